package migrate

import (
	"regexp"
	"strings"
)

// lockTimeoutRe matches what psycopg (2 or 3) and the server say about SQLSTATE 55P03: the
// exception class (language independent) or the server's English message.
var lockTimeoutRe = regexp.MustCompile(`\b(psycopg2?\.errors\.)?LockNotAvailable\b|canceling statement due to lock timeout`)

// exceptionRe matches a Python exception line ending a traceback: "module.Class: message".
var exceptionRe = regexp.MustCompile(`^[A-Za-z_][\w.]*(Error|Exception|LockNotAvailable|Warning|Exit)\b.*`)

// IsLockTimeout reports whether the output of a failed migrate command shows that it failed on a
// lock timeout. It reads only the final exception chain (the last "Traceback (most recent call
// last):" and the tracebacks chained to it by "The above exception was the direct cause ..." or
// "During handling of the above exception ..."), and only its unindented lines (the exception
// lines, not stack frames or source lines), so that a migration whose code merely mentions lock
// timeouts, or an earlier handled error, is not taken for one. psycopg2 names the class
// (LockNotAvailable) in the first traceback of the chain; Django re-raises it as OperationalError
// with the server's message, which may be localised. Without a traceback it is never a lock
// timeout.
func IsLockTimeout(lines []string) bool {
	start := chainStart(lines)
	if start < 0 {
		return false
	}
	for _, l := range lines[start:] {
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			continue // a stack frame or its source line
		}
		if lockTimeoutRe.MatchString(l) {
			return true
		}
	}
	return false
}

// chainStart is the index of the first traceback of the output's final exception chain, -1 when
// there is no traceback.
func chainStart(lines []string) int {
	isTB := func(l string) bool {
		return strings.HasSuffix(strings.TrimSpace(l), "Traceback (most recent call last):")
	}
	start := -1
	for i := len(lines) - 1; i >= 0; i-- {
		if isTB(lines[i]) {
			start = i
			break
		}
	}
	for start > 0 {
		// Is the traceback at start chained to an earlier one?
		j := start - 1
		for j >= 0 && strings.TrimSpace(lines[j]) == "" {
			j--
		}
		if j < 0 {
			break
		}
		l := strings.TrimSpace(lines[j])
		if !strings.HasPrefix(l, "The above exception was the direct cause") && !strings.HasPrefix(l, "During handling of the above exception") {
			break
		}
		prev := -1
		for k := j - 1; k >= 0; k-- {
			if isTB(lines[k]) {
				prev = k
				break
			}
		}
		if prev < 0 {
			break
		}
		start = prev
	}
	return start
}

// lastException is the last exception line of the output ("django.db.utils.OperationalError:
// canceling statement due to lock timeout"), or the last non-empty line.
func lastException(lines []string) string {
	lastNonEmpty := ""
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		if lastNonEmpty == "" {
			lastNonEmpty = l
		}
		if !strings.HasPrefix(lines[i], " ") && exceptionRe.MatchString(l) {
			return l
		}
		if strings.HasSuffix(l, "Traceback (most recent call last):") {
			break
		}
	}
	return lastNonEmpty
}
