// Package testenv is what the tests share about their environment: the Python with Django, and
// the zdcd-release binary built once per test binary, run the way Heroku runs it.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
)

// DefaultPython is Debian's interpreter with python3-django. The python3 first on PATH may be
// another build without Django, so PATH is never trusted.
const DefaultPython = "/usr/bin/python3"

// Python is the interpreter with Django: $ZDCD_PYTHON, else DefaultPython.
func Python() string {
	if p := os.Getenv("ZDCD_PYTHON"); p != "" {
		return p
	}
	return DefaultPython
}

// SampleBaseline is what "production" already runs in the sample project (test/sampleapp): the
// `manage.py migrate` targets, in order, that leave the rest of its migrations pending
// (test/sampleapp/README.md lists them). Tests and the demo migrate these first.
var SampleBaseline = [][]string{
	{"contenttypes"},
	{"auth"},
	{"accounts", "0002_customer_nickname"},
	{"shop", "0001_squashed_0003_order"},
	{"blog", "0001_initial"},
}

// MainWithBinary builds zdcd-release into a temporary directory, sets *binary to its path, runs
// the package's tests with one throwaway PostgreSQL cluster (pgtest.Main), and removes the build.
// Use it as: func TestMain(m *testing.M) { testenv.MainWithBinary(m, &binary) }.
func MainWithBinary(m *testing.M, binary *string) {
	dir, err := os.MkdirTemp("", "zdcd-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*binary = filepath.Join(dir, "zdcd-release")
	build := exec.Command("go", "build", "-o", *binary, "github.com/zdcd/zdcd/cmd/zdcd-release")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build zdcd-release: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	pgtest.Main(m)
}
