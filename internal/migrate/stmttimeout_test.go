package migrate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestIsStatementTimeout(t *testing.T) {
	tail := func(exc string) []string {
		return strings.Split(`  Applying app.0002_slow...Traceback (most recent call last):
  File "/usr/lib/python3/dist-packages/django/db/backends/utils.py", line 84, in _execute
    return self.cursor.execute(sql, params)
psycopg2.errors.QueryCanceled: `+exc+`


The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "manage.py", line 22, in <module>
django.db.utils.OperationalError: `+exc, "\n")
	}
	tests := []struct {
		name  string
		lines []string
		want  bool
	}{
		{name: "statement timeout", lines: tail("canceling statement due to statement timeout"), want: true},
		{name: "cancel request", lines: tail("canceling statement due to user request")},
		{name: "lock timeout", lines: tail("canceling statement due to lock timeout")},
		{name: "no traceback", lines: []string{"canceling statement due to statement timeout"}},
		{name: "only in source", lines: []string{"Traceback (most recent call last):", `    raise X("canceling statement due to statement timeout")`, "ValueError: boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsStatementTimeout(tt.lines); got != tt.want {
				t.Errorf("IsStatementTimeout = %v, want %v", got, tt.want)
			}
		})
	}
}

// A migration running past the statement timeout fails (not retried) with an error naming
// ZDCD_STATEMENT_TIMEOUT.
func TestRunStatementTimeoutNamesTheVariable(t *testing.T) {
	p := newProject(t, map[string]string{
		"0002_slow": migration("0001_initial", `        migrations.RunSQL("SELECT pg_sleep(30)", migrations.RunSQL.noop),`, true),
	})
	log := newLineLog(t)
	r := p.runner(log)
	r.StatementTimeout = 300 * time.Millisecond
	res, err := await(t, start(context.Background(), r, p.migrations(t)), log)
	if !errors.Is(err, ErrStatementTimeout) || !errors.Is(err, ErrFailed) || res.Kind != KindFailed {
		t.Fatalf("Run: %v (kind %q), want a statement timeout", err, res.Kind)
	}
	if !strings.Contains(err.Error(), "raise ZDCD_STATEMENT_TIMEOUT") || !strings.Contains(err.Error(), "300ms") {
		t.Errorf("error = %v", err)
	}
	if len(res.Attempts) != 1 || res.Attempts[0].LockTimedOut {
		t.Errorf("attempts = %+v", res.Attempts)
	}
}
