package main

import (
	"fmt"
	"strings"
)

// header starts a part of the story.
func header(title, what string) {
	fmt.Printf("\n=====> %s\n", title)
	if what != "" {
		for _, l := range strings.Split(what, "\n") {
			fmt.Println("       " + l)
		}
	}
	fmt.Println()
}

// step is something the demo does, Heroku-style.
func step(format string, args ...any) { fmt.Printf("-----> "+format+"\n", args...) }

// detail is an indented line under a step.
func detail(format string, args ...any) { fmt.Printf("       "+format+"\n", args...) }

// quote prints a block of output (a release phase's, a command's) indented under a bar.
func quote(out string) {
	out = strings.TrimRight(out, "\n")
	if out == "" {
		fmt.Println("       | (no output)")
		return
	}
	for _, l := range strings.Split(out, "\n") {
		fmt.Println("       | " + strings.TrimRight(l, "\r"))
	}
}

// check prints one checked fact; a false one fails the step.
func (d *demo) check(ok bool, format string, args ...any) bool {
	s := fmt.Sprintf(format, args...)
	if ok {
		d.passed++
		fmt.Println("       ✓ " + s)
	} else {
		d.failed = append(d.failed, s)
		fmt.Println("       ✗ " + s)
	}
	return ok
}

// checkNoErr is check for an operation the check needs; err is printed.
func (d *demo) checkNoErr(err error, format string, args ...any) bool {
	if err != nil {
		return d.check(false, format+": %v", append(args, err)...)
	}
	return true
}

// endStep fails the story when a check of the step failed.
func (d *demo) endStep(name string) error {
	if len(d.failed) == 0 {
		return nil
	}
	err := fmt.Errorf("%s: %d check(s) failed: %s", name, len(d.failed), strings.Join(d.failed, "; "))
	d.failed = nil
	return err
}

// inOrder reports whether each of subs occurs in s after the previous one, and the first missing.
func inOrder(s string, subs ...string) (bool, string) {
	for _, sub := range subs {
		i := strings.Index(s, sub)
		if i < 0 {
			return false, sub
		}
		s = s[i+len(sub):]
	}
	return true, ""
}
