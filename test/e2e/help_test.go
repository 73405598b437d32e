package e2e

import (
	"strings"
	"testing"
)

// Every command answers --help with its usage and exit 0; an unknown command is a usage error.
func TestHelp(t *testing.T) {
	dir := t.TempDir()
	for _, cmd := range []string{"release", "nightly", "approve", "rollback", "hooks", "check", "lint", "explain", "history", "config", "version"} {
		r := run(t, dir, lintEnv(), cmd, "--help")
		if r.code != 0 || !strings.Contains(r.stderr, "zdcd-release") || strings.Contains(r.stderr, "help requested") {
			t.Errorf("%s --help:\n%s", cmd, r)
		}
	}
	r := run(t, dir, lintEnv(), "help")
	if r.code != 0 || !strings.Contains(r.stdout, "lint") || !strings.Contains(r.stdout, "explain") {
		t.Errorf("help:\n%s", r)
	}
	r = run(t, dir, lintEnv(), "frobnicate")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command:\n%s", r)
	}
}
