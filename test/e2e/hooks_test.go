package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
)

// hookPending are the sample app's migrations after its baseline (test/sampleapp/README.md):
// hookRepo keeps them out of the first commit, and tests add them back one by one, the way a
// developer adds a new migration.
var hookPending = regexp.MustCompile(`^(accounts/migrations/000[3-5]|shop/migrations/(000[4-9]|001\d)|blog/migrations/000[2-5])_\w+\.py$`)

// hookRepo is a git repository holding a copy of the sample app at its baseline, committed, with
// the pending migrations moved to a directory outside it (returned), and the environment git
// runs with: the throwaway database the baseline is migrated on, as the developer's DATABASE_URL.
func hookRepo(t *testing.T) (repo, pending, dbURL string, env []string) {
	t.Helper()
	repo = copySampleApp(t)
	pending = t.TempDir()
	for _, app := range []string{"accounts", "shop", "blog"} {
		dir := filepath.Join(repo, app, "migrations")
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			rel := app + "/migrations/" + e.Name()
			if !hookPending.MatchString(rel) {
				continue
			}
			if err := os.MkdirAll(filepath.Join(pending, app, "migrations"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(repo, rel), filepath.Join(pending, rel)); err != nil {
				t.Fatal(err)
			}
		}
	}
	dbURL = pgtest.NewDatabase(t)
	migrateBaseline(t, repo, dbURL)

	env = hookGitEnv(t, dbURL)
	hookGit(t, repo, env, "init", "-q", "-b", "main")
	hookGit(t, repo, env, "config", "user.name", "Dev Eloper")
	hookGit(t, repo, env, "config", "user.email", "dev@example.com")
	hookGit(t, repo, env, "add", ".")
	hookGit(t, repo, env, "commit", "-q", "-m", "the app at its baseline")
	return repo, pending, dbURL, env
}

// hookGitEnv is baseEnv (DATABASE_URL, ZDCD_PYTHON) without the machine's git configuration.
func hookGitEnv(t *testing.T, dbURL string) []string {
	t.Helper()
	return append(baseEnv(dbURL),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+filepath.Join(t.TempDir(), "gitconfig"),
	)
}

func hookGit(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := hookGitRun(dir, env, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func hookGitRun(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// hookAdd stages a pending migration (a path relative to the project).
func hookAdd(t *testing.T, repo, pending, rel string, env []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(pending, rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, rel), b, 0o644); err != nil {
		t.Fatal(err)
	}
	hookGit(t, repo, env, "add", rel)
}

// hookCommit commits what is staged with message and reports whether a commit was made, and
// what git and the hooks printed.
func hookCommit(t *testing.T, repo string, env []string, message string) (bool, string) {
	t.Helper()
	head := hookGit(t, repo, env, "rev-parse", "HEAD")
	out, err := hookGitRun(repo, env, "commit", "-m", message)
	committed := hookGit(t, repo, env, "rev-parse", "HEAD") != head
	if committed != (err == nil) {
		t.Fatalf("git commit: err %v but committed=%v:\n%s", err, committed, out)
	}
	return committed, out
}

func hookInstall(t *testing.T, repo string, env []string, args ...string) result {
	t.Helper()
	return run(t, repo, env, append([]string{"hooks"}, args...)...)
}

// An unsafe migration blocks the commit (nothing committed, the report shown, the override named);
// [allow-unsafe-migrations] lets it through, saying so; a safe migration and a commit that
// touches no migration go through.
func TestHookBlocksUnsafeMigration(t *testing.T) {
	repo, pending, dbURL, env := hookRepo(t)
	if r := hookInstall(t, repo, env, "install"); r.code != 0 || !strings.Contains(r.stdout, binary+" check") {
		t.Fatalf("install:\n%s", r)
	}

	hookAdd(t, repo, pending, "accounts/migrations/0003_customer_phone_ordering.py", env)
	if ok, out := hookCommit(t, repo, env, "customer phone"); !ok {
		t.Fatalf("a safe migration was blocked:\n%s", out)
	} else if !strings.Contains(out, "accounts.0003_customer_phone_ordering") {
		t.Errorf("the hook did not run check on a migration commit:\n%s", out)
	}

	hookAdd(t, repo, pending, "accounts/migrations/0004_customer_is_vip.py", env)
	ok, out := hookCommit(t, repo, env, "customer is_vip")
	if ok {
		t.Fatalf("an unsafe migration was committed:\n%s", out)
	}
	for _, want := range []string{"accounts.0004_customer_is_vip", "unsafe", "zdcd hook: commit blocked", "[allow-unsafe-migrations]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, password(t, dbURL)) {
		t.Errorf("the hook's output contains the database password")
	}
	if staged := hookGit(t, repo, env, "diff", "--cached", "--name-only"); strings.TrimSpace(staged) != "accounts/migrations/0004_customer_is_vip.py" {
		t.Errorf("after the blocked commit, staged: %q", staged)
	}
	if files := hookGit(t, repo, env, "ls-tree", "-r", "--name-only", "HEAD", "accounts/migrations"); strings.Contains(files, "0004") {
		t.Errorf("the unsafe migration is in HEAD:\n%s", files)
	}

	ok, out = hookCommit(t, repo, env, "customer is_vip\n\nReviewed with ops: deploy at night. [allow-unsafe-migrations]")
	if !ok {
		t.Fatalf("[allow-unsafe-migrations] did not let the commit through:\n%s", out)
	}
	if !strings.Contains(out, "accounts.0004_customer_is_vip") || !strings.Contains(out, "committing unsafe migrations anyway") {
		t.Errorf("the override is not reported:\n%s", out)
	}

	// accounts.0004 is still pending on the local database, but this commit touches no migration.
	if err := os.WriteFile(filepath.Join(repo, "NOTES.md"), []byte("notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hookGit(t, repo, env, "add", "NOTES.md")
	if ok, out := hookCommit(t, repo, env, "notes"); !ok || strings.Contains(out, "zdcd") {
		t.Errorf("a commit without migrations was checked or blocked:\n%s", out)
	}
	// ZDCD_HOOK_ALWAYS=1 checks it anyway.
	if err := os.WriteFile(filepath.Join(repo, "NOTES.md"), []byte("more notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hookGit(t, repo, env, "add", "NOTES.md")
	if ok, out := hookCommit(t, repo, append(env, "ZDCD_HOOK_ALWAYS=1"), "more notes"); ok || !strings.Contains(out, "accounts.0004_customer_is_vip") {
		t.Errorf("ZDCD_HOOK_ALWAYS=1 did not check the commit:\n%s", out)
	}
}

// With no database configured the hook cannot check: it says why in one line, warns, and lets
// the commit through.
func TestHookWarnsWhenCheckCannotRun(t *testing.T) {
	repo, pending, _, env := hookRepo(t)
	if r := hookInstall(t, repo, env, "install"); r.code != 0 {
		t.Fatalf("install:\n%s", r)
	}
	var noDB []string
	for _, e := range env {
		if !strings.HasPrefix(e, "DATABASE_URL=") {
			noDB = append(noDB, e)
		}
	}
	hookAdd(t, repo, pending, "accounts/migrations/0003_customer_phone_ordering.py", env)
	hookAdd(t, repo, pending, "accounts/migrations/0004_customer_is_vip.py", env)
	ok, out := hookCommit(t, repo, noDB, "offline")
	if !ok {
		t.Fatalf("the hook blocked a commit because it could not check:\n%s", out)
	}
	if !strings.Contains(out, "DATABASE_URL is not set") || !strings.Contains(out, "zdcd hook: warning: migrations not checked") {
		t.Errorf("want the error and the warning:\n%s", out)
	}
}

// An existing commit-msg hook keeps running (first, with the message file) and its failure still
// blocks; installing twice chains it once; uninstall puts it back byte for byte, mode included.
func TestHookChainsExistingHook(t *testing.T) {
	repo, pending, _, env := hookRepo(t)
	hooksDir := filepath.Join(repo, ".git", "hooks")
	marker := filepath.Join(t.TempDir(), "team-hook-ran")
	original := "#!/bin/sh\n# the team's commit-msg hook\nhead -n 1 \"$1\" >> '" + marker + "'\n" +
		"if [ -n \"${TEAM_HOOK_FAIL:-}\" ]; then echo 'team hook: rejected' >&2; exit 1; fi\n"
	hook := filepath.Join(hooksDir, "commit-msg")
	if err := os.WriteFile(hook, []byte(original), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(hook, 0o750); err != nil {
		t.Fatal(err)
	}

	r := hookInstall(t, repo, env, "install")
	if r.code != 0 || !strings.Contains(r.stdout, "commit-msg.zdcd-chained") {
		t.Fatalf("install:\n%s", r)
	}
	r = hookInstall(t, repo, env, "install", "--repo", repo)
	if r.code != 0 || !strings.Contains(r.stdout, "Already installed") {
		t.Fatalf("second install:\n%s", r)
	}
	if got := hookFiles(t, hooksDir); strings.Join(got, " ") != "commit-msg commit-msg.zdcd-chained" {
		t.Fatalf("hooks after two installs: %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(hooksDir, "commit-msg.zdcd-chained")); string(b) != original {
		t.Fatalf("the chained hook is not the original:\n%s", b)
	}

	hookAdd(t, repo, pending, "accounts/migrations/0003_customer_phone_ordering.py", env)
	if ok, out := hookCommit(t, repo, env, "phone"); !ok {
		t.Fatalf("commit:\n%s", out)
	}
	if b, _ := os.ReadFile(marker); string(b) != "phone\n" {
		t.Errorf("the team's hook did not run with the message: marker %q", b)
	}

	hookAdd(t, repo, pending, "accounts/migrations/0004_customer_is_vip.py", env)
	ok, out := hookCommit(t, repo, append(env, "TEAM_HOOK_FAIL=1"), "is_vip [allow-unsafe-migrations]")
	if ok || !strings.Contains(out, "team hook: rejected") {
		t.Errorf("the team's hook failed but the commit went through:\n%s", out)
	}
	if b, _ := os.ReadFile(marker); string(b) != "phone\nis_vip [allow-unsafe-migrations]\n" {
		t.Errorf("marker %q", b)
	}

	r = hookInstall(t, repo, env, "uninstall")
	if r.code != 0 || !strings.Contains(r.stdout, "previous one is back") {
		t.Fatalf("uninstall:\n%s", r)
	}
	if got := hookFiles(t, hooksDir); strings.Join(got, " ") != "commit-msg" {
		t.Errorf("hooks after uninstall: %v", got)
	}
	b, err := os.ReadFile(hook)
	if err != nil || string(b) != original {
		t.Errorf("the original hook is not back byte for byte (%v):\n%s", err, b)
	}
	if fi, err := os.Stat(hook); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("the original hook's mode is not back: %v %v", fi.Mode(), err)
	}
	r = hookInstall(t, repo, env, "uninstall")
	if r.code != 0 || !strings.Contains(r.stdout, "not installed") {
		t.Errorf("second uninstall:\n%s", r)
	}
}

// hookFiles lists a hooks directory, git's samples left out.
func hookFiles(t *testing.T, dir string) []string {
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

// Usage and repository errors: one line, exit 2, nothing written.
func TestHookUsageErrors(t *testing.T) {
	outside := t.TempDir()
	env := append(hookGitEnv(t, ""), "GIT_CEILING_DIRECTORIES="+filepath.Dir(outside))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"outside a repository", []string{"install"}, "not a git repository"},
		{"uninstall outside a repository", []string{"uninstall", "--repo", outside}, "not a git repository"},
		{"missing --repo directory", []string{"install", "--repo", filepath.Join(outside, "nope")}, "nope"},
		{"no action", nil, "install or uninstall"},
		{"unknown action", []string{"status"}, `unknown action "status"`},
		{"extra argument", []string{"install", "now"}, `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := hookInstall(t, outside, env, tt.args...)
			msg := strings.TrimSpace(r.stderr)
			if r.code != 2 || r.stdout != "" || strings.Contains(msg, "\n") || !strings.Contains(msg, tt.want) {
				t.Errorf("want exit 2 and one line containing %q:\n%s", tt.want, r)
			}
		})
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("files written outside a repository: %v", entries)
	}
	if r := hookInstall(t, outside, env, "--help"); r.code != 0 || !strings.Contains(r.stderr, "hooks install|uninstall") {
		t.Errorf("hooks --help:\n%s", r)
	}
}
