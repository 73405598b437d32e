package migrate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/testenv"
)

func TestBeyondTarget(t *testing.T) {
	k := func(n string) plan.MigrationKey { return plan.MigrationKey{App: "app", Name: n} }
	set := func(ks ...plan.MigrationKey) map[plan.MigrationKey]bool {
		m := map[plan.MigrationKey]bool{}
		for _, x := range ks {
			m[x] = true
		}
		return m
	}
	tests := []struct {
		name          string
		target        Migration
		before, after map[plan.MigrationKey]bool
		want          string
	}{
		{name: "target only", target: Migration{Key: k("0002")}, before: set(k("0001")), after: set(k("0001"), k("0002")), want: "[]"},
		{name: "nothing", target: Migration{Key: k("0002")}, before: set(k("0001")), after: set(k("0001")), want: "[]"},
		{name: "squash records what it replaces", target: Migration{Key: k("0002_squashed"), Replaces: []plan.MigrationKey{k("0002"), k("0003")}},
			before: set(k("0001")), after: set(k("0001"), k("0002"), k("0003"), k("0002_squashed")), want: "[]"},
		{name: "more", target: Migration{Key: k("0002")}, before: set(k("0001")),
			after: set(k("0001"), k("0002"), k("0004"), k("0003"), plan.MigrationKey{App: "other", Name: "0001"}),
			want:  "[app.0003 app.0004 other.0001]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fmt.Sprint(beyondTarget(tt.target, tt.before, tt.after))
			if got == "[]" && tt.want == "[]" {
				return
			}
			if got != tt.want {
				t.Errorf("beyondTarget = %s, want %s", got, tt.want)
			}
		})
	}
}

// A wrapper that drops the appended <app> <migration> (one config load cannot see: here the
// Argv override) applies the whole plan in the attempt meant for the first migration: the run
// stops there and says so, and every migration it applied is reported.
func TestOneAtATimeAttemptThatAppliesMoreIsStopped(t *testing.T) {
	p := newProject(t, map[string]string{
		"0002_item_note":  migration("0001_initial", addNote, true),
		"0003_other_flag": migration("0002_item_note", `        migrations.AddField("other", "flag", models.BooleanField(null=True)),`, true),
	})
	migs := p.migrations(t)
	log := newLineLog(t)
	r := p.runner(log)
	r.OneAtATime = true
	r.Argv = []string{"/bin/sh", "-c", "exec " + testenv.Python() + " manage.py migrate --noinput"}
	res, err := await(t, start(context.Background(), r, migs), log)
	if !errors.Is(err, ErrBeyondTarget) || !errors.Is(err, ErrFailed) || res.Kind != KindFailed {
		t.Fatalf("Run: %v (kind %q), want ErrBeyondTarget", err, res.Kind)
	}
	if !strings.Contains(err.Error(), "the attempt for app.0002_item_note alone") || !strings.Contains(err.Error(), "also applied app.0003_other_flag") {
		t.Errorf("error = %v", err)
	}
	if len(res.Attempts) != 1 || res.Attempts[0].Error == "" {
		t.Fatalf("attempts = %+v, want one, failed", res.Attempts)
	}
	want := []plan.MigrationKey{{App: "app", Name: "0002_item_note"}, {App: "app", Name: "0003_other_flag"}}
	if fmt.Sprint(res.Applied) != fmt.Sprint(want) {
		t.Errorf("applied = %v, want %v", res.Applied, want)
	}
}
