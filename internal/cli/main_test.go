package cli

import (
	"bytes"
	"fmt"
	"github.com/zdcd/zdcd/internal/journal"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/testenv"
)

// The commands run in-process: Main with an injected environment, working directory and
// stdout/stderr buffers. Real PostgreSQL (a throwaway cluster for the package) and real Django
// (testenv.Python) where a command needs them.

func TestMain(m *testing.M) { pgtest.Main(m) }

// result is what a run printed and how it exited.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// runCLI runs `zdcd-release args...` in-process with env as its whole environment and dir as its
// working directory.
func runCLI(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	io := IO{Out: &out, Err: &errb, Environ: env, Getwd: func() (string, error) { return dir, nil }}
	code := Main(append([]string{"zdcd-release"}, args...), io)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// baseEnv is a small, fixed environment: the sample project in dir, Django's Python, and the
// database URL when not "".
func baseEnv(dir, databaseURL string) []string {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=C.UTF-8",
		"PYTHONDONTWRITEBYTECODE=1",
		"ZDCD_PYTHON=" + testenv.Python(),
		"ZDCD_PROJECT_DIR=" + dir,
	}
	if databaseURL != "" {
		env = append(env, "DATABASE_URL="+databaseURL)
	}
	return env
}

// sampleApp copies the sample Django project (test/sampleapp) to a directory of the test's own.
func sampleApp(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	if out, err := exec.Command("cp", "-a", "../../test/sampleapp/.", dst).CombinedOutput(); err != nil {
		t.Fatalf("copy sample app: %v: %s", err, out)
	}
	return dst
}

// sampleDatabase is a fresh database on which the sample project's baseline is applied
// (testenv.SampleBaseline): "production", with the rest of its migrations pending.
func sampleDatabase(t *testing.T, dir string) string {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	for _, target := range testenv.SampleBaseline {
		cmd := exec.Command(testenv.Python(), append([]string{"manage.py", "migrate", "--noinput"}, target...)...)
		cmd.Dir = dir
		cmd.Env = baseEnv(dir, dbURL)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("manage.py migrate %v: %v\n%s", target, err, out)
		}
	}
	return dbURL
}

// e2eGolden is a golden file of the end-to-end tests: the in-process run must print the same.
func e2eGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../test/e2e/testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// serverVersion normalises the PostgreSQL version, as the end-to-end goldens do.
var serverVersion = regexp.MustCompile(`("server_version": )\d+|PostgreSQL \d+\.\d+`)

func normalise(s string) string {
	return serverVersion.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "PostgreSQL") {
			return "PostgreSQL <version>"
		}
		return `"server_version": 0`
	})
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // on stderr
	}{
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"bad format", []string{"check", "--format", "xml"}, `unknown --format "xml"`},
		{"unknown flag", []string{"check", "--nope"}, "flag provided but not defined: -nope"},
		{"trace without url", []string{"check", "--trace"}, "--trace needs a scratch database"},
		{"lint bad pg version", []string{"lint", "--pg-version", "x"}, `--pg-version "x"`},
		{"positional argument", []string{"config", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, t.TempDir(), baseEnv(t.TempDir(), ""), tt.args...)
			if r.code != journal.ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("want exit 2, nothing on stdout, %q on stderr:\n%s", tt.want, r)
			}
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
				t.Errorf("want one line on stderr, got %d:\n%s", n+1, r.stderr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	r := runCLI(t, t.TempDir(), nil, "help")
	if r.code != journal.ExitOK || !strings.Contains(r.stdout, "Usage: zdcd-release <command>") {
		t.Fatalf("help:\n%s", r)
	}
	for _, c := range commands() {
		if !strings.Contains(r.stdout, "  "+c.name+" ") {
			t.Errorf("help does not list %s", c.name)
		}
	}
	if r := runCLI(t, t.TempDir(), nil); r.code != journal.ExitUsage || !strings.Contains(r.stderr, "Usage:") {
		t.Errorf("no command: want exit 2 and the usage on stderr:\n%s", r)
	}
}
