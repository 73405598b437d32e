package hooks

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// gitEnv is a clean environment for git: no global or system configuration of the machine's.
func gitEnv(t testing.TB) []string {
	t.Helper()
	home := t.TempDir()
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"LANG=C.UTF-8",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + filepath.Join(home, "gitconfig"),
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
	}
}

// git runs git in dir and returns its output; it fails the test on an error.
func git(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := gitRun(dir, env, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func gitRun(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// newRepo is a fresh repository with one commit.
func newRepo(t testing.TB, env []string) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, env, "init", "-q", "-b", "main")
	git(t, dir, env, "commit", "-q", "--allow-empty", "-m", "initial")
	return dir
}

func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mode(t testing.TB, path string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

// hookFiles lists the hooks directory's files, the samples git init puts there left out.
func hookFiles(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sample") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

func install(t testing.TB, opts Options) *Result {
	t.Helper()
	res, err := Install(context.Background(), opts)
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	return res
}

func uninstall(t testing.TB, opts Options) *Result {
	t.Helper()
	res, err := Uninstall(context.Background(), opts)
	if err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	return res
}

// The hook is shellcheck-clean for any binary path, and names it quoted.
func TestScriptShellcheck(t *testing.T) {
	for _, binary := range []string{"", "/usr/local/bin/zdcd-release", "/home/o'brien/my tools/zdcd-release"} {
		s := Script(binary)
		if !IsOurs(s) {
			t.Errorf("%q: no marker line", binary)
		}
		if strings.Contains(string(s), placeholder) {
			t.Errorf("%q: placeholder left in the script", binary)
		}
		path := filepath.Join(t.TempDir(), "commit-msg")
		writeFile(t, path, string(s), 0o755)
		if out, err := exec.Command("shellcheck", path).CombinedOutput(); err != nil {
			t.Errorf("shellcheck with binary %q: %v\n%s", binary, err, out)
		}
		// The shell reads back exactly the path.
		out, err := exec.Command("sh", "-c", `eval "$(grep '^zdcd=' "$1")"; printf %s "$zdcd"`, "sh", path).Output()
		want := binary
		if want == "" {
			want = "zdcd-release"
		}
		if err != nil || string(out) != want {
			t.Errorf("the script's zdcd is %q (%v), want %q", out, err, want)
		}
	}
}

func TestIsOurs(t *testing.T) {
	tests := []struct {
		content string
		want    bool
	}{
		{string(Script("/x")), true},
		{"#!/bin/sh\n" + Marker + "\r\nexit 0\n", true},
		{"#!/bin/sh\nexit 0\n", false},
		{"#!/bin/sh\n# zdcd-release commit-msg hook, but not quite\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsOurs([]byte(tt.content)); got != tt.want {
			t.Errorf("IsOurs(%q) = %v, want %v", tt.content, got, tt.want)
		}
	}
}

// A fresh repository: the hook is written, executable; installing again changes nothing and chains
// nothing; uninstall removes it.
func TestInstallFresh(t *testing.T) {
	env := gitEnv(t)
	repo := newRepo(t, env)
	opts := Options{Repo: repo, Binary: "/opt/zdcd/zdcd-release", Env: env}
	res := install(t, opts)
	hooksDir := filepath.Join(repo, ".git", "hooks")
	if res.Dir != hooksDir || res.Hook != filepath.Join(hooksDir, Name) || res.Chained != "" || !res.Changed {
		t.Fatalf("install: %+v", res)
	}
	if got := readFile(t, res.Hook); got != string(Script(opts.Binary)) {
		t.Errorf("hook content:\n%s", got)
	}
	if m := mode(t, res.Hook); m.Perm() != 0o755 || !m.IsRegular() {
		t.Errorf("hook mode %v, want -rwxr-xr-x", m)
	}

	again := install(t, opts)
	if again.Changed || again.Chained != "" {
		t.Errorf("second install: %+v", again)
	}
	if got := hookFiles(t, hooksDir); strings.Join(got, " ") != Name {
		t.Errorf("hooks directory after two installs: %v, want only %s", got, Name)
	}

	// A new binary path rewrites the hook, still without chaining it.
	moved := install(t, Options{Repo: repo, Binary: "/elsewhere/zdcd-release", Env: env})
	if !moved.Changed || moved.Chained != "" || !strings.Contains(readFile(t, res.Hook), "'/elsewhere/zdcd-release'") {
		t.Errorf("reinstall with a new binary: %+v", moved)
	}
	if got := hookFiles(t, hooksDir); strings.Join(got, " ") != Name {
		t.Errorf("hooks directory after reinstall: %v", got)
	}

	un := uninstall(t, opts)
	if !un.Changed || un.Chained != "" {
		t.Errorf("uninstall: %+v", un)
	}
	if got := hookFiles(t, hooksDir); len(got) != 0 {
		t.Errorf("hooks directory after uninstall: %v", got)
	}
	if un := uninstall(t, opts); un.Changed {
		t.Errorf("second uninstall changed something: %+v", un)
	}
}

// An existing hook is moved aside and chained, once however often zdcd installs, and uninstall
// puts it back byte for byte with its mode; a symlink stays a symlink.
func TestInstallChainsExistingHook(t *testing.T) {
	env := gitEnv(t)
	tests := []struct {
		name  string
		setup func(t *testing.T, hook string)
	}{
		{"script", func(t *testing.T, hook string) {
			writeFile(t, hook, "#!/bin/sh\n# the team's hook\r\nexit 0\n\x00binary tail", 0o700)
		}},
		{"not executable", func(t *testing.T, hook string) {
			writeFile(t, hook, "#!/bin/sh\nexit 1\n", 0o644)
		}},
		{"symlink", func(t *testing.T, hook string) {
			writeFile(t, filepath.Join(filepath.Dir(hook), "team-hook"), "#!/bin/sh\nexit 0\n", 0o755)
			if err := os.Symlink("team-hook", hook); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := newRepo(t, env)
			hook := filepath.Join(repo, ".git", "hooks", Name)
			tt.setup(t, hook)
			before, beforeMode := snapshotLink(t, hook)
			opts := Options{Repo: repo, Binary: "/opt/zdcd-release", Env: env}

			res := install(t, opts)
			chained := filepath.Join(repo, ".git", "hooks", ChainedName)
			if !res.Changed || res.Chained != chained {
				t.Fatalf("install: %+v", res)
			}
			if got, m := snapshotLink(t, chained); got != before || m != beforeMode {
				t.Errorf("chained hook %q %v, want the original %q %v", got, m, before, beforeMode)
			}
			if !IsOurs([]byte(readFile(t, hook))) {
				t.Errorf("commit-msg is not zdcd's hook")
			}

			again := install(t, opts)
			if again.Changed || again.Chained != chained {
				t.Errorf("second install: %+v", again)
			}
			if got, _ := snapshotLink(t, chained); got != before {
				t.Errorf("second install chained zdcd's own hook: %q", got)
			}
			if names := hookFiles(t, filepath.Dir(hook)); strings.Count(strings.Join(names, " "), "zdcd") != 1 {
				t.Errorf("hooks directory: %v", names)
			}

			un := uninstall(t, opts)
			if !un.Changed || un.Chained != chained {
				t.Errorf("uninstall: %+v", un)
			}
			if got, m := snapshotLink(t, hook); got != before || m != beforeMode {
				t.Errorf("restored hook %q %v, want %q %v", got, m, before, beforeMode)
			}
			if _, err := os.Lstat(chained); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s left behind: %v", ChainedName, err)
			}
		})
	}
}

// snapshotLink is a file's content, or a symlink's target, and its mode.
func snapshotLink(t testing.TB, path string) (string, os.FileMode) {
	t.Helper()
	m := mode(t, path)
	if m&os.ModeSymlink != 0 {
		target, err := os.Readlink(path)
		if err != nil {
			t.Fatal(err)
		}
		return "-> " + target, m
	}
	return readFile(t, path), m
}

// The hooks directory is git's: core.hooksPath (relative to the top directory, created when
// missing) and, from a linked worktree, the main repository's.
func TestInstallHooksDirectory(t *testing.T) {
	env := gitEnv(t)

	t.Run("core.hooksPath from a subdirectory", func(t *testing.T) {
		repo := newRepo(t, env)
		git(t, repo, env, "config", "core.hooksPath", "tools/githooks")
		sub := filepath.Join(repo, "app", "deep")
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		res := install(t, Options{Repo: sub, Env: env})
		want := filepath.Join(repo, "tools", "githooks")
		if res.Dir != want || !IsOurs([]byte(readFile(t, filepath.Join(want, Name)))) {
			t.Fatalf("install: %+v, want the hook in %s", res, want)
		}
		if _, err := os.Lstat(filepath.Join(repo, ".git", "hooks", Name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("hook also written to .git/hooks: %v", err)
		}
		// Git runs it: a commit goes through it (nothing touches migrations, so it only chains).
		writeFile(t, filepath.Join(want, ChainedName), "#!/bin/sh\necho chained-ran >&2\n", 0o755)
		out := git(t, repo, env, "commit", "--allow-empty", "-m", "through core.hooksPath")
		if !strings.Contains(out, "chained-ran") {
			t.Errorf("git did not run the hook in core.hooksPath:\n%s", out)
		}
	})

	t.Run("absolute core.hooksPath", func(t *testing.T) {
		repo := newRepo(t, env)
		shared := filepath.Join(t.TempDir(), "shared-hooks")
		git(t, repo, env, "config", "core.hooksPath", shared)
		res := install(t, Options{Repo: repo, Env: env})
		if res.Dir != shared {
			t.Fatalf("install in %s, want %s", res.Dir, shared)
		}
	})

	t.Run("worktree", func(t *testing.T) {
		repo := newRepo(t, env)
		wt := filepath.Join(t.TempDir(), "wt")
		git(t, repo, env, "worktree", "add", "-q", "-b", "feature", wt)
		res := install(t, Options{Repo: wt, Env: env})
		want := filepath.Join(repo, ".git", "hooks")
		if res.Dir != want {
			t.Fatalf("install from a worktree in %s, want the shared %s", res.Dir, want)
		}
		writeFile(t, filepath.Join(want, ChainedName), "#!/bin/sh\necho chained-ran >&2\n", 0o755)
		out := git(t, wt, env, "commit", "--allow-empty", "-m", "in the worktree")
		if !strings.Contains(out, "chained-ran") {
			t.Errorf("git did not run the hook from the worktree:\n%s", out)
		}
		if un := uninstall(t, Options{Repo: wt, Env: env}); !un.Changed {
			t.Errorf("uninstall from the worktree: %+v", un)
		}
	})
}

// Outside a repository, and in states zdcd cannot sort out alone: an error, nothing changed.
func TestInstallRefuses(t *testing.T) {
	env := gitEnv(t)
	ctx := context.Background()

	t.Run("not a repository", func(t *testing.T) {
		dir := t.TempDir()
		for _, f := range []func(context.Context, Options) (*Result, error){Install, Uninstall} {
			_, err := f(ctx, Options{Repo: dir, Env: append(env, "GIT_CEILING_DIRECTORIES="+filepath.Dir(dir))})
			if !errors.Is(err, ErrNotRepository) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), dir) {
				t.Errorf("want a one-line ErrNotRepository naming %s, got %v", dir, err)
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("files written outside a repository: %v", entries)
		}
	})

	t.Run("missing directory", func(t *testing.T) {
		_, err := Install(ctx, Options{Repo: filepath.Join(t.TempDir(), "nope"), Env: env})
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("want a one-line error, got %v", err)
		}
	})

	t.Run("foreign hook and a chained one", func(t *testing.T) {
		repo := newRepo(t, env)
		hooksDir := filepath.Join(repo, ".git", "hooks")
		writeFile(t, filepath.Join(hooksDir, Name), "#!/bin/sh\necho new\n", 0o755)
		writeFile(t, filepath.Join(hooksDir, ChainedName), "#!/bin/sh\necho old\n", 0o755)
		if _, err := Install(ctx, Options{Repo: repo, Env: env}); err == nil || !strings.Contains(err.Error(), ChainedName) {
			t.Errorf("want an error naming %s, got %v", ChainedName, err)
		}
		if readFile(t, filepath.Join(hooksDir, Name)) != "#!/bin/sh\necho new\n" || readFile(t, filepath.Join(hooksDir, ChainedName)) != "#!/bin/sh\necho old\n" {
			t.Errorf("files changed")
		}
		// Uninstall leaves a hook that is not zdcd's alone.
		if res := uninstall(t, Options{Repo: repo, Env: env}); res.Changed || readFile(t, filepath.Join(hooksDir, Name)) != "#!/bin/sh\necho new\n" {
			t.Errorf("uninstall touched a foreign hook: %+v", res)
		}
	})

	t.Run("chained hook without zdcd's", func(t *testing.T) {
		repo := newRepo(t, env)
		chained := filepath.Join(repo, ".git", "hooks", ChainedName)
		writeFile(t, chained, "#!/bin/sh\necho old\n", 0o755)
		if _, err := Install(ctx, Options{Repo: repo, Env: env}); err == nil || !strings.Contains(err.Error(), "rename it back") {
			t.Errorf("want an error saying to rename it back, got %v", err)
		}
		if _, err := os.Lstat(filepath.Join(repo, ".git", "hooks", Name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a hook was written: %v", err)
		}
	})
}

// fakeZdcd is a zdcd-release stand-in for the script's tests: it logs its directory and
// arguments, prints a report and exits with $FAKE_EXIT.
func fakeZdcd(t testing.TB, dir string) (binary, log string) {
	t.Helper()
	binary = filepath.Join(dir, "zdcd-release")
	log = filepath.Join(dir, "calls.log")
	writeFile(t, binary, "#!/bin/sh\necho \"$PWD $*\" >> '"+log+"'\necho 'REPORT: shop.0002 is unsafe'\nexit \"${FAKE_EXIT:-0}\"\n", 0o755)
	return binary, log
}

// The hook as git runs it, with a zdcd-release stand-in: which commits it checks, what each exit
// of check does to the commit, the override, the chained hook.
func TestScriptBehaviour(t *testing.T) {
	tests := []struct {
		name      string
		file      string // staged before the commit
		message   string
		env       []string
		chained   string // the previous commit-msg hook, if any
		noBinary  bool   // the recorded binary is gone and none is on PATH
		onPath    bool   // the recorded binary is gone but zdcd-release is on PATH
		commits   bool
		checked   bool
		wantInOut []string
	}{
		{name: "safe", file: "shop/migrations/0002_x.py", message: "add x",
			commits: true, checked: true},
		{name: "unsafe blocks", file: "shop/migrations/0002_x.py", message: "add x", env: []string{"FAKE_EXIT=1"},
			commits: false, checked: true, wantInOut: []string{"REPORT: shop.0002 is unsafe", "zdcd hook: commit blocked", AllowToken}},
		{name: "unsafe allowed", file: "shop/migrations/0002_x.py", message: "add x\n\nReviewed. " + AllowToken, env: []string{"FAKE_EXIT=1"},
			commits: true, checked: true, wantInOut: []string{"REPORT", "committing unsafe migrations anyway"}},
		{name: "token in a comment line does not count", file: "shop/migrations/0002_x.py", message: "add x\n# " + AllowToken, env: []string{"FAKE_EXIT=1"},
			commits: false, checked: true, wantInOut: []string{"commit blocked"}},
		{name: "check cannot run: warn", file: "shop/migrations/0002_x.py", message: "add x", env: []string{"FAKE_EXIT=2"},
			commits: true, checked: true, wantInOut: []string{"zdcd hook: warning: migrations not checked", "exited 2"}},
		{name: "no migrations staged: not checked", file: "shop/models.py", message: "models", env: []string{"FAKE_EXIT=1"},
			commits: true, checked: false},
		{name: "a top-level migrations directory counts", file: "migrations/001.sql", message: "sql", env: []string{"FAKE_EXIT=1"},
			commits: false, checked: true},
		{name: "a name merely containing migrations does not", file: "docs/migrations.md", message: "docs", env: []string{"FAKE_EXIT=1"},
			commits: true, checked: false},
		{name: "always", file: "shop/models.py", message: "models", env: []string{"FAKE_EXIT=1", AlwaysVar + "=1"},
			commits: false, checked: true},
		{name: "chained hook runs first and passes", file: "shop/migrations/0002_x.py", message: "add x",
			chained: "#!/bin/sh\necho \"chained got $# arg: $(cat \"$1\")\" >&2\n", commits: true, checked: true, wantInOut: []string{"chained got 1 arg: add x"}},
		{name: "chained hook failure blocks before check", file: "shop/migrations/0002_x.py", message: "add x",
			chained: "#!/bin/sh\necho 'team hook says no' >&2\nexit 7\n", commits: false, checked: false, wantInOut: []string{"team hook says no"}},
		{name: "chained hook failure blocks even with the override", file: "shop/migrations/0002_x.py", message: "x " + AllowToken,
			chained: "#!/bin/sh\nexit 3\n", commits: false, checked: false},
		{name: "binary gone: zdcd-release on PATH", file: "shop/migrations/0002_x.py", message: "add x", env: []string{"FAKE_EXIT=1"},
			onPath: true, commits: false, checked: true, wantInOut: []string{"commit blocked"}},
		{name: "binary gone: warn", file: "shop/migrations/0002_x.py", message: "add x", env: []string{"FAKE_EXIT=1"},
			noBinary: true, commits: true, checked: false, wantInOut: []string{"zdcd-release is neither at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := gitEnv(t)
			repo := newRepo(t, env)
			binDir := t.TempDir()
			binary, log := fakeZdcd(t, binDir)
			recorded := binary
			if tt.noBinary || tt.onPath {
				recorded = filepath.Join(t.TempDir(), "gone", "zdcd-release")
			}
			if tt.onPath {
				env = append(env, "PATH="+binDir+":"+os.Getenv("PATH"))
			}
			if tt.chained != "" {
				writeFile(t, filepath.Join(repo, ".git", "hooks", Name), tt.chained, 0o755)
			}
			install(t, Options{Repo: repo, Binary: recorded, Env: env})

			writeFile(t, filepath.Join(repo, tt.file), "content\n", 0o644)
			git(t, repo, env, "add", ".")
			msgFile := filepath.Join(t.TempDir(), "msg")
			writeFile(t, msgFile, tt.message+"\n", 0o644)
			head := git(t, repo, env, "rev-parse", "HEAD")
			out, err := gitRun(repo, append(env, tt.env...), "commit", "--cleanup=strip", "-F", msgFile)
			committed := git(t, repo, env, "rev-parse", "HEAD") != head
			if committed != tt.commits || (err == nil) != tt.commits {
				t.Errorf("committed=%v (git: %v), want %v:\n%s", committed, err, tt.commits, out)
			}
			calls, _ := os.ReadFile(log)
			if got := len(calls) > 0; got != tt.checked {
				t.Errorf("check ran=%v, want %v (calls %q):\n%s", got, tt.checked, calls, out)
			}
			if tt.checked && string(calls) != repo+" check\n" {
				t.Errorf("check ran as %q, want %q", calls, repo+" check\n")
			}
			for _, w := range tt.wantInOut {
				if !strings.Contains(out, w) {
					t.Errorf("output does not contain %q:\n%s", w, out)
				}
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "zdcd hook:") && strings.Contains(line, "blocked") && !strings.Contains(line, AllowToken) {
					t.Errorf("the blocking line does not say how to override: %q", line)
				}
			}
		})
	}
}

// The chained hook's exit code is the hook's.
func TestScriptPreservesChainedExitCode(t *testing.T) {
	env := gitEnv(t)
	repo := newRepo(t, env)
	hooksDir := filepath.Join(repo, ".git", "hooks")
	writeFile(t, filepath.Join(hooksDir, Name), "#!/bin/sh\nexit 42\n", 0o755)
	binary, _ := fakeZdcd(t, t.TempDir())
	res := install(t, Options{Repo: repo, Binary: binary, Env: env})
	msg := filepath.Join(t.TempDir(), "msg")
	writeFile(t, msg, "x\n", 0o644)
	cmd := exec.Command(res.Hook, msg)
	cmd.Dir = repo
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 42 {
		t.Errorf("hook exit %v, want 42:\n%s", err, out.String())
	}
}
