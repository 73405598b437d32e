package journal_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/ledger"
)

// The step names are the ledger's: stable and unique.
func TestStepNames(t *testing.T) {
	want := []string{"plan", "schema-ahead", "preflight", "backup", "migrate", "verify", "find-refused", "approve",
		"create-release", "release", "dynos", "maintenance-on", "scale-down", "scale-up", "maintenance-off", "restore", "rollback"}
	var got []string
	for _, s := range journal.Steps() {
		got = append(got, s.String())
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("steps = %q, want %q", got, want)
	}
	if s := journal.Step(0).String(); s != "step(0)" {
		t.Errorf("Step(0) = %q", s)
	}
}

type fakeLedger struct {
	steps    []ledger.Step
	outcome  ledger.Outcome
	code     int
	text     string
	fail     error
	deadline bool
}

func (l *fakeLedger) RecordStep(ctx context.Context, _ int64, s ledger.Step) error {
	_, l.deadline = ctx.Deadline()
	l.steps = append(l.steps, s)
	return l.fail
}

func (l *fakeLedger) FinishRun(ctx context.Context, _ int64, o ledger.Outcome, code int, text string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	l.outcome, l.code, l.text = o, code, text
	return l.fail
}

func TestStepAndFinish(t *testing.T) {
	l := &fakeLedger{}
	var out bytes.Buffer
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	copied := &ledger.Detail{}
	j := &journal.Journal{Ledger: l, RunID: 7, Out: &out, Now: func() time.Time { return now }, Copy: copied}
	// A cancelled run (SIGTERM) still records: the write has a context of its own, bounded.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	j.StepErr(ctx, journal.StepScaleDown, now.Add(-time.Second), errors.New("scale worker to 0: 500"))
	if len(l.steps) != 1 || l.steps[0].Name != "scale-down" || l.steps[0].OK || l.steps[0].Detail != "scale worker to 0: 500" || !l.steps[0].Finished.Equal(now) {
		t.Errorf("steps = %+v", l.steps)
	}
	if !l.deadline {
		t.Error("the ledger write is not bounded")
	}
	if len(copied.Steps) != 1 {
		t.Errorf("copy has %d steps", len(copied.Steps))
	}
	err := j.Finish(ctx, ledger.OutcomeFailed, journal.ExitFailed, errors.New("nothing was migrated"))
	if code, ok := journal.Code(fmt.Errorf("wrapped: %w", err)); !ok || code != journal.ExitFailed {
		t.Errorf("Code(%v) = %d, %v", err, code, ok)
	}
	if l.outcome != ledger.OutcomeFailed || l.code != 3 || l.text != "nothing was migrated" {
		t.Errorf("recorded %s %d %q", l.outcome, l.code, l.text)
	}
	if err := j.Finish(ctx, ledger.OutcomeApplied, journal.ExitOK, nil); err != nil {
		t.Errorf("Finish(nil) = %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("output:\n%s", out.String())
	}
}

// A failed ledger write is a warning line, never silent, and never stops the run.
func TestFailedWriteWarns(t *testing.T) {
	l := &fakeLedger{fail: errors.New("connection refused")}
	var out bytes.Buffer
	j := &journal.Journal{Ledger: l, RunID: 7, Out: &out}
	j.Step(context.Background(), journal.StepRestore, time.Now(), true, "")
	err := j.Finish(context.Background(), ledger.OutcomeRestored, journal.ExitFailed, errors.New("restored"))
	want := "       warning: could not record step restore in the ledger: connection refused\n" +
		"       warning: could not record the outcome in the ledger: connection refused\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if code, _ := journal.Code(err); code != journal.ExitFailed {
		t.Errorf("err = %v", err)
	}
}

func TestStatement(t *testing.T) {
	var out bytes.Buffer
	journal.Statement{
		Flow: "NIGHTLY", Problem: "the rollback to v41 failed (500).",
		Facts:    []journal.Fact{{Label: "Database", Text: "unchanged."}, {Label: "App", Text: "maintenance mode is off."}},
		Commands: []string{"heroku rollback v41 --app shop"}, RunID: 12,
	}.Print(&out)
	want := `
!!!!!! NIGHTLY RECOVERY FAILED: a human must act.
  Problem:   the rollback to v41 failed (500).
  Database:  unchanged.
  App:       maintenance mode is off.
  To finish by hand:
    heroku rollback v41 --app shop
  Then: ` + "`zdcd-release history 12`" + ` shows this run.
`
	if out.String() != want {
		t.Errorf("statement:\n%s\nwant:\n%s", out.String(), want)
	}
	for _, tt := range []struct {
		flow    string
		running bool
		want    string
	}{
		{"", false, "!!!!!! RECOVERY FAILED: a human must act."},
		{"ROLLBACK", true, "!!!!!! ROLLBACK RECOVERY NOT FINISHED (the restore is still running on Heroku): a human must act."},
	} {
		if got := journal.Header(tt.flow, tt.running); got != tt.want {
			t.Errorf("Header(%q, %v) = %q, want %q", tt.flow, tt.running, got, tt.want)
		}
	}
}
