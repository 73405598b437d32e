package childenv

import (
	"reflect"
	"testing"
)

func TestEnv(t *testing.T) {
	env := []string{"A=1", "PGOPTIONS=-c x=1", "A=2"}
	if Value(env, "A") != "2" || Value(env, "B") != "" {
		t.Errorf("Value: %q %q", Value(env, "A"), Value(env, "B"))
	}
	got := Set(env, "A", "3")
	if !reflect.DeepEqual(got, []string{"PGOPTIONS=-c x=1", "A=3"}) || len(env) != 3 || env[0] != "A=1" {
		t.Errorf("Set = %v (input %v must be untouched)", got, env)
	}
	if v := Value(AppendPGOptions(env, "-c y=2"), "PGOPTIONS"); v != "-c x=1 -c y=2" {
		t.Errorf("AppendPGOptions = %q", v)
	}
	if v := Value(AppendPGOptions([]string{"A=1"}, "-c y=2"), "PGOPTIONS"); v != "-c y=2" {
		t.Errorf("AppendPGOptions without PGOPTIONS = %q", v)
	}
}

func TestLookPath(t *testing.T) {
	if got := LookPath("sh", "/nonexistent:/bin"); got != "/bin/sh" {
		t.Errorf("LookPath(sh) = %q", got)
	}
	if got := LookPath("sh", "/nonexistent"); got != "" {
		t.Errorf("LookPath on a PATH without it = %q", got)
	}
	// An empty element is not the working directory.
	t.Chdir("/bin")
	if got := LookPath("sh", ":/nonexistent"); got != "" {
		t.Errorf("LookPath searched the working directory: %q", got)
	}
}
