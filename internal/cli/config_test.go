package cli

import (
	"encoding/json"
	"github.com/zdcd/zdcd/internal/journal"
	"strings"
	"testing"
)

func TestConfigPrintsRedacted(t *testing.T) {
	env := append(baseEnv(t.TempDir(), "postgres://zdcd:s3cr3t-pw@db.example:5432/shop"),
		"HEROKU_API_KEY=0123456789abcdef-key", "HEROKU_APP_NAME=shop", "ZDCD_LOCK_TIMEOUT=3s")
	r := runCLI(t, t.TempDir(), env, "config")
	if r.code != journal.ExitOK {
		t.Fatalf("config:\n%s", r)
	}
	for _, want := range []string{
		"DATABASE_URL=postgres://zdcd:********@db.example:5432/shop",
		"HEROKU_API_KEY=********",
		"HEROKU_APP_NAME=shop",
		"ZDCD_LOCK_TIMEOUT=3s",
		"ZDCD_DATABASE_VAR=DATABASE_URL (default)",
	} {
		if !strings.Contains(r.stdout, want+"\n") {
			t.Errorf("config does not print %q:\n%s", want, r.stdout)
		}
	}
	for _, secret := range []string{"s3cr3t-pw", "0123456789abcdef-key"} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("config prints the secret %q:\n%s", secret, r)
		}
	}

	r = runCLI(t, t.TempDir(), env, "config", "--json")
	var vars []struct{ Name, Value, Source string }
	if err := json.Unmarshal([]byte(r.stdout), &vars); r.code != journal.ExitOK || err != nil {
		t.Fatalf("config --json: %v\n%s", err, r)
	}
	found := false
	for _, v := range vars {
		if v.Name == "ZDCD_LOCK_TIMEOUT" {
			found = v.Value == "3s"
		}
	}
	if !found {
		t.Errorf("config --json: want ZDCD_LOCK_TIMEOUT 3s:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "s3cr3t-pw") || strings.Contains(r.stdout, "0123456789abcdef-key") {
		t.Errorf("config --json prints a secret:\n%s", r.stdout)
	}
}

// A malformed variable is a configuration error: exit 2, one line per bad variable, naming it.
func TestConfigErrors(t *testing.T) {
	env := append(baseEnv(t.TempDir(), "postgres://zdcd:s3cr3t-pw@db.example:5432/shop"),
		"ZDCD_LOCK_TIMEOUT=soon", "ZDCD_BACKUP=sometimes")
	r := runCLI(t, t.TempDir(), env, "config")
	if r.code != journal.ExitUsage || r.stdout != "" {
		t.Fatalf("want exit 2 and nothing on stdout:\n%s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 2 || !strings.Contains(r.stderr, "ZDCD_LOCK_TIMEOUT") || !strings.Contains(r.stderr, "ZDCD_BACKUP") {
		t.Errorf("want one line for each bad variable:\n%s", r.stderr)
	}
}
