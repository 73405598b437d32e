// Package e2e runs the zdcd-release binary as a subprocess, exactly as Heroku runs it, against a
// throwaway PostgreSQL cluster and Debian's real Django.
package e2e

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// binary is the zdcd-release built for this test run.
var binary string

func TestMain(m *testing.M) { testenv.MainWithBinary(m, &binary) }

// python is Django's interpreter (testenv.Python).
func python() string { return testenv.Python() }

// sampleApp is the sample Django project.
func sampleApp(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("../sampleapp")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "manage.py")); err != nil {
		t.Fatalf("sample app missing: %v", err)
	}
	return dir
}

// copySampleApp copies the sample project to a temporary directory the test may modify.
func copySampleApp(t testing.TB) string {
	t.Helper()
	dst := t.TempDir()
	if out, err := exec.Command("cp", "-a", sampleApp(t)+"/.", dst).CombinedOutput(); err != nil {
		t.Fatalf("copy sample app: %v: %s", err, out)
	}
	return dst
}

// baseEnv is a clean environment: nothing of the developer's leaks into the run.
func baseEnv(databaseURL string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"LANG=C.UTF-8",
		"ZDCD_PYTHON=" + python(),
	}
	if databaseURL != "" {
		env = append(env, "DATABASE_URL="+databaseURL)
	}
	return env
}

// result is what a run printed and how it exited.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// run runs the binary in dir with env and args.
func run(t testing.TB, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run zdcd-release: %v", err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// manage runs `python manage.py args...` in dir against databaseURL.
func manage(t testing.TB, dir, databaseURL string, args ...string) string {
	t.Helper()
	cmd := exec.Command(python(), append([]string{"manage.py"}, args...)...)
	cmd.Dir = dir
	cmd.Env = baseEnv(databaseURL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("manage.py %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// password returns the password of a database URL, to assert it never appears in output.
func password(t testing.TB, databaseURL string) string {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := u.User.Password()
	if !ok || p == "" {
		t.Fatal("test database URL has no password")
	}
	return p
}

func assertNoSecret(t testing.TB, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && (strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s)) {
			t.Errorf("output contains a secret:\n%s", r)
		}
	}
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run `go test ./test/e2e -run %s -update` to create it): %v", t.Name(), err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (rerun with -update if the change is intended):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
