package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zdcd/zdcd/internal/hooks"
)

// HooksOptions are the arguments of `zdcd-release hooks install|uninstall`.
type HooksOptions struct {
	// Action is "install" or "uninstall".
	Action string
	// Repo is a directory inside the git repository; "" is the working directory.
	Repo string
	// Binary is the zdcd-release the installed hook runs: this one, by absolute path.
	Binary string
}

const hooksUsage = "Usage: zdcd-release hooks install|uninstall [--repo DIR]\n\n" +
	"install: a git commit-msg hook that runs `zdcd-release check` against your local database before each\n" +
	"commit touching migrations, and blocks it when a migration is unsafe unless the message contains\n" +
	hooks.AllowToken + ". An existing commit-msg hook is kept and run first. uninstall puts it back.\n" +
	"See docs/hooks.md.\n\nFlags:"

func runHooks(ctx context.Context, args []string, io IO) error {
	var opts HooksOptions
	fs := newFlags("hooks", io)
	fs.StringVar(&opts.Repo, "repo", "", "a directory inside the git repository (default: the working directory)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), hooksUsage)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return &usageError{msg: "hooks needs an action: install or uninstall (zdcd-release hooks --help)"}
	case len(pos) > 1:
		return &usageError{msg: fmt.Sprintf("hooks: unexpected argument %q", pos[1])}
	case pos[0] != "install" && pos[0] != "uninstall":
		return &usageError{msg: fmt.Sprintf("hooks: unknown action %q: install or uninstall", pos[0])}
	}
	opts.Action = pos[0]
	if opts.Repo == "" && io.Getwd != nil {
		if opts.Repo, err = io.Getwd(); err != nil {
			return fmt.Errorf("working directory: %w", err)
		}
	}
	if opts.Action == "install" {
		// The hook runs this very binary; without a path it falls back to zdcd-release on PATH.
		if exe, err := os.Executable(); err == nil {
			if abs, err := filepath.Abs(exe); err == nil {
				opts.Binary = abs
			}
		}
	}
	return hooksRun(ctx, opts, io)
}

func hooksRun(ctx context.Context, opts HooksOptions, io IO) error {
	hopts := hooks.Options{Repo: opts.Repo, Binary: opts.Binary, Env: io.Environ}
	if opts.Action == "uninstall" {
		res, err := hooks.Uninstall(ctx, hopts)
		if err != nil {
			return fmt.Errorf("uninstall the commit-msg hook: %w", err)
		}
		switch {
		case !res.Changed:
			_, err = fmt.Fprintf(io.Out, "zdcd's commit-msg hook is not installed in %s: nothing to do\n", res.Dir)
		case res.Chained != "":
			_, err = fmt.Fprintf(io.Out, "Removed zdcd's commit-msg hook; the previous one is back at %s\n", res.Hook)
		default:
			_, err = fmt.Fprintf(io.Out, "Removed zdcd's commit-msg hook %s\n", res.Hook)
		}
		return err
	}
	res, err := hooks.Install(ctx, hopts)
	if err != nil {
		return fmt.Errorf("install the commit-msg hook: %w", err)
	}
	verb := "Installed"
	if !res.Changed {
		verb = "Already installed:"
	}
	runs := opts.Binary
	if runs == "" {
		runs = "zdcd-release on PATH"
	}
	if _, err := fmt.Fprintf(io.Out, "%s zdcd's commit-msg hook %s (it runs %s check)\n", verb, res.Hook, runs); err != nil {
		return err
	}
	if res.Chained != "" {
		if _, err := fmt.Fprintf(io.Out, "The previous commit-msg hook runs first, from %s; `zdcd-release hooks uninstall` puts it back\n", res.Chained); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(io.Out, "Commits touching migrations are checked against your local database (%s=1: every commit); %s in the message lets unsafe ones through\n", hooks.AlwaysVar, hooks.AllowToken)
	return err
}
