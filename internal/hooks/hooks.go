// Package hooks installs and removes zdcd's git commit-msg hook: before a commit that touches
// migrations, it runs `zdcd-release check` against the developer's local database and blocks the
// commit when a migration is unsafe, unless the message says [allow-unsafe-migrations]
// (docs/hooks.md). A commit-msg hook already in place is moved aside and chained, never
// overwritten; Uninstall puts it back exactly.
package hooks

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const (
	// Name is the hook zdcd installs.
	Name = "commit-msg"
	// ChainedName is where the commit-msg hook that was there before is moved; zdcd's hook runs
	// it first, with the same arguments.
	ChainedName = "commit-msg.zdcd-chained"
	// Marker is the line that identifies zdcd's hook.
	Marker = "# zdcd-release commit-msg hook"
	// AllowToken in a commit message lets unsafe migrations through.
	AllowToken = "[allow-unsafe-migrations]"
	// AlwaysVar set to 1 checks every commit, not only those that touch migrations.
	AlwaysVar = "ZDCD_HOOK_ALWAYS"
)

//go:embed commit-msg.sh
var script string

// placeholder is replaced, in the embedded script, by the shell-quoted path of zdcd-release.
const placeholder = "__ZDCD_RELEASE__"

// ErrNotRepository means the directory is not inside a git repository.
var ErrNotRepository = errors.New("not a git repository")

// Script returns the hook that runs binary (an absolute path; "" means zdcd-release on PATH).
func Script(binary string) []byte {
	if binary == "" {
		binary = "zdcd-release"
	}
	return []byte(strings.Replace(script, placeholder, shellQuote(binary), 1))
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// IsOurs reports whether a hook's content is zdcd's.
func IsOurs(content []byte) bool {
	for _, line := range bytes.Split(content, []byte("\n")) {
		if string(bytes.TrimRight(line, "\r")) == Marker {
			return true
		}
	}
	return false
}

// Options say where to install and what.
type Options struct {
	// Repo is a directory inside the git repository (a worktree's too); "" is the current one.
	Repo string
	// Binary is the absolute path of the zdcd-release the hook runs; "" means zdcd-release on
	// PATH. The hook falls back to PATH when the file is gone.
	Binary string
	// Git is the git executable; "" is "git" on PATH.
	Git string
	// Env is git's environment; nil inherits the process's.
	Env []string
}

// Result says what Install or Uninstall did.
type Result struct {
	// Dir is the hooks directory (`git rev-parse --git-path hooks`: core.hooksPath when set, the
	// main repository's hooks for a worktree).
	Dir string
	// Hook is the path of the commit-msg hook.
	Hook string
	// Chained is the path of the previous commit-msg hook, moved aside and run first by zdcd's
	// (Install), or put back (Uninstall); "" when there is none.
	Chained string
	// Changed is false when there was nothing to do: Install found its hook up to date,
	// Uninstall found no zdcd hook.
	Changed bool
}

// Dir returns the repository's hooks directory, absolute, as git itself finds it: core.hooksPath
// when set, and the main repository's hooks directory from a linked worktree.
func Dir(ctx context.Context, opts Options) (string, error) {
	repo := opts.Repo
	if repo == "" {
		repo = "."
	}
	repo, err := filepath.Abs(repo)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(repo); err != nil {
		return "", fmt.Errorf("repository directory: %w", err)
	} else if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a directory", repo)
	}
	git := opts.Git
	if git == "" {
		git = "git"
	}
	cmd := exec.CommandContext(ctx, git, "rev-parse", "--git-path", "hooks")
	cmd.Dir = repo
	cmd.Env = opts.Env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && strings.Contains(stderr.String(), "not a git repository") {
			return "", fmt.Errorf("%s: %w (run it inside one, or pass --repo DIR)", repo, ErrNotRepository)
		}
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", fmt.Errorf("git rev-parse --git-path hooks in %s: %v: %s", repo, err, msg)
		}
		return "", fmt.Errorf("git rev-parse --git-path hooks in %s: %w", repo, err)
	}
	dir := strings.TrimRight(string(out), "\r\n")
	if dir == "" {
		return "", fmt.Errorf("git rev-parse --git-path hooks in %s printed nothing", repo)
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(repo, dir)
	}
	return filepath.Clean(dir), nil
}

// Install puts zdcd's commit-msg hook in the repository's hooks directory. A commit-msg hook
// already there that is not zdcd's is moved to ChainedName, content, mode and all, and run first
// by zdcd's. Installing again rewrites zdcd's hook (the binary's path may have changed) and
// chains nothing more.
func Install(ctx context.Context, opts Options) (*Result, error) {
	dir, err := Dir(ctx, opts)
	if err != nil {
		return nil, err
	}
	res := &Result{Dir: dir, Hook: filepath.Join(dir, Name)}
	chained := filepath.Join(dir, ChainedName)
	want := Script(opts.Binary)

	current, hookExists, err := readHook(res.Hook)
	if err != nil {
		return nil, err
	}
	_, err = os.Lstat(chained)
	chainedExists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("inspect %s: %w", chained, err)
	}
	if chainedExists {
		res.Chained = chained
	}

	movedAside := false
	switch {
	case hookExists && IsOurs(current):
		if bytes.Equal(current, want) && isExecutable(res.Hook) {
			return res, nil
		}
	case hookExists && chainedExists:
		return nil, fmt.Errorf("%s is not zdcd's hook and %s is already taken: move one of them away, then install again", res.Hook, ChainedName)
	case hookExists:
		if err := os.Rename(res.Hook, chained); err != nil {
			return nil, fmt.Errorf("move the existing commit-msg hook aside: %w", err)
		}
		res.Chained, movedAside = chained, true
	case chainedExists:
		return nil, fmt.Errorf("%s is there but zdcd's commit-msg hook is not: rename it back to %s (or remove it), then install again", chained, Name)
	default:
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create the hooks directory: %w", err)
		}
	}
	if err := writeHook(res.Hook, want); err != nil {
		if movedAside {
			// Put the original back: a failed install changes nothing.
			if rerr := os.Rename(chained, res.Hook); rerr != nil {
				return nil, fmt.Errorf("%w; and moving the original back from %s failed: %v", err, chained, rerr)
			}
		}
		return nil, err
	}
	res.Changed = true
	return res, nil
}

// Uninstall removes zdcd's commit-msg hook and moves the chained one, if any, back in its place.
// Without zdcd's hook it changes nothing (Changed is false).
func Uninstall(ctx context.Context, opts Options) (*Result, error) {
	dir, err := Dir(ctx, opts)
	if err != nil {
		return nil, err
	}
	res := &Result{Dir: dir, Hook: filepath.Join(dir, Name)}
	chained := filepath.Join(dir, ChainedName)
	current, exists, err := readHook(res.Hook)
	if err != nil {
		return nil, err
	}
	if !exists || !IsOurs(current) {
		return res, nil
	}
	if _, err := os.Lstat(chained); err == nil {
		// Rename over zdcd's hook: the original is back in one step, exactly as it was.
		if err := os.Rename(chained, res.Hook); err != nil {
			return nil, fmt.Errorf("put the original commit-msg hook back: %w", err)
		}
		res.Chained = chained
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("inspect %s: %w", chained, err)
	} else if err := os.Remove(res.Hook); err != nil {
		return nil, fmt.Errorf("remove zdcd's commit-msg hook: %w", err)
	}
	res.Changed = true
	return res, nil
}

// readHook reads the hook at path; exists is false when there is none. A dangling symlink is a
// hook that exists (with no content).
func readHook(path string) (content []byte, exists bool, err error) {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("inspect %s: %w", path, err)
	}
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, true, fmt.Errorf("read %s: %w", path, err)
	}
	return b, true, nil
}

// writeHook writes an executable hook atomically: a temporary file beside it, renamed over it.
func writeHook(path string, content []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+Name+".zdcd-*")
	if err != nil {
		return fmt.Errorf("write the commit-msg hook: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o755)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write the commit-msg hook: %w", err)
	}
	return nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&0o111 != 0
}
