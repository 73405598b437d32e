package cli

import (
	"github.com/zdcd/zdcd/internal/journal"
	"strings"
	"testing"
)

// check on the sample app after its baseline prints what the end-to-end goldens pin, in text and
// JSON, and refuses with exit 1.
func TestCheckSampleApp(t *testing.T) {
	app := sampleApp(t)
	dbURL := sampleDatabase(t, app)
	tests := []struct {
		format, golden string
	}{
		{"text", "check_sample.txt"},
		{"json", "check_sample.json"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			r := runCLI(t, app, baseEnv(app, dbURL), "check", "--format", tt.format)
			if r.code != journal.ExitRefused {
				t.Fatalf("want exit 1 (unsafe migrations pending):\n%s", r)
			}
			if r.stderr != "" {
				t.Errorf("stderr should be empty:\n%s", r.stderr)
			}
			if got, want := normalise(r.stdout), e2eGolden(t, tt.golden); got != want {
				t.Errorf("differs from test/e2e/testdata/%s:\n--- got\n%s\n--- want\n%s", tt.golden, got, want)
			}
		})
	}
}

// Without a database URL check is a configuration error naming the variable (exit 2).
func TestCheckWithoutDatabase(t *testing.T) {
	app := t.TempDir()
	r := runCLI(t, app, baseEnv(app, ""), "check")
	if r.code != journal.ExitUsage || !strings.Contains(r.stderr, "DATABASE_URL is not set") {
		t.Fatalf("want exit 2 naming DATABASE_URL:\n%s", r)
	}
}

// An approval naming an unknown rule is a configuration error, before anything is judged.
func TestCheckUnknownRuleApproved(t *testing.T) {
	app := sampleApp(t)
	dbURL := sampleDatabase(t, app)
	env := append(baseEnv(app, dbURL), "ZDCD_ALLOW=accounts.0004_customer_is_vip:no-such-rule")
	r := runCLI(t, app, env, "check")
	if r.code != journal.ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, `ZDCD_ALLOW names an unknown rule "no-such-rule"`) {
		t.Fatalf("want exit 2 naming the rule:\n%s", r)
	}
}
