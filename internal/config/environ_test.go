package config

import (
	"slices"
	"testing"

	"github.com/zdcd/zdcd/internal/childenv"
)

// ProcessEnviron reads the table's variables (and the database variable ZDCD_DATABASE_VAR names)
// through envconfig; set and unset variables come out as the process has them, and Load reads the
// result as it reads an injected environment.
func TestProcessEnviron(t *testing.T) {
	t.Setenv("ZDCD_LOCK_TIMEOUT", "250ms")
	t.Setenv("ZDCD_DATABASE_VAR", "HEROKU_POSTGRESQL_RED_URL")
	t.Setenv("HEROKU_POSTGRESQL_RED_URL", "postgres://u:p%40ss@db.example.com:5432/app")
	t.Setenv("ZDCD_LOCK_RETRIES", "")
	t.Setenv("UNRELATED_VAR", "kept")
	env, err := ProcessEnviron()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"ZDCD_LOCK_TIMEOUT":         "250ms",
		"HEROKU_POSTGRESQL_RED_URL": "postgres://u:p%40ss@db.example.com:5432/app",
		"UNRELATED_VAR":             "kept",
	} {
		if got := childenv.Value(env, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !slices.Contains(env, "ZDCD_LOCK_RETRIES=") {
		t.Error("a variable set to the empty string was lost")
	}
	c, err := Load(env)
	if err != nil {
		t.Fatal(err)
	}
	if c.LockTimeout.String() != "250ms" || c.Database == nil || c.Database.Host != "db.example.com" {
		t.Errorf("Load(ProcessEnviron()) = lock_timeout %v, database %+v", c.LockTimeout, c.Database)
	}
}

func TestReadEnvconfig(t *testing.T) {
	t.Setenv("ZDCD_TEST_A", "a")
	t.Setenv("V0", "not this") // envconfig's fallback key is the tag, never the field name
	got, err := readEnvconfig([]string{"ZDCD_TEST_A", "ZDCD_TEST_UNSET"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["ZDCD_TEST_A"] != "a" {
		t.Errorf("readEnvconfig = %v", got)
	}
}
