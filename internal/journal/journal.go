// Package journal is what a run (release, nightly, rollback) says about itself: the steps it
// records in the ledger, the outcome and exit code it ends with, and the statement it prints when
// a human must act.
//
//   - Steps are typed constants (Step), one list for every flow, so that a step's name in the
//     ledger, in `zdcd-release history` and in the docs is spelled in one place.
//   - One policy for ledger writes, in every flow: each write runs on a context of its own that
//     the run's cancellation (SIGTERM) does not end, bounded by WriteTimeout; a failed write is a
//     warning line in the log ("       warning: could not record … in the ledger: …") and never
//     stops the run nor is silently ignored: the run matters more than its record.
//   - One exit error type, *Error, carrying the exit code of DESIGN.md (the Exit* constants,
//     declared here only); internal/cli maps errors to exit codes from it.
//   - One printer for the statement when a human must act (Statement): one header, then the
//     problem, the state of the database and of the app, and the commands that finish the job.
package journal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/zdcd/zdcd/internal/ledger"
)

// Exit codes of DESIGN.md.
const (
	ExitOK             = 0 // done: nothing pending, everything applied, or (check) everything safe
	ExitRefused        = 1 // unsafe migrations pending and not approved; nothing changed
	ExitUsage          = 2 // usage or configuration error; nothing changed
	ExitFailed         = 3 // the run failed; the database is consistent
	ExitRecoveryFailed = 4 // recovery failed: a human must act
)

// Error ends a run with an exit code. Its message is one line; the log above it says the rest.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Exit wraps err with an exit code (nil stays nil).
func Exit(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Code is the exit code err carries, and whether it carries one.
func Code(err error) (int, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Code, true
	}
	return 0, false
}

// WriteTimeout bounds each ledger write of the journal.
const WriteTimeout = 30 * time.Second

// DefaultRecoveryTimeout bounds a run's recovery, on a context of its own once the run's context
// is cancelled (Heroku stops a release phase at one hour; a restore of a large database can take
// a while).
const DefaultRecoveryTimeout = 15 * time.Minute

// Ledger is the part of the ledger a journal writes (*ledger.Postgres).
type Ledger interface {
	RecordStep(ctx context.Context, runID int64, s ledger.Step) error
	FinishRun(ctx context.Context, runID int64, outcome ledger.Outcome, exitCode int, errText string) error
}

var _ Ledger = (*ledger.Postgres)(nil)

// Journal records one run's steps and outcome. Ledger may be replaced when the run reconnects.
type Journal struct {
	Ledger Ledger
	RunID  int64
	Out    io.Writer
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Copy, when set, also receives every step recorded (a run kept in memory to write back after
	// a restore rolled the ledger back).
	Copy *ledger.Detail
}

// Clock returns the journal's time.
func (j *Journal) Clock() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

// Write runs one ledger write under the journal's policy: on a context the run's cancellation
// does not end, bounded by WriteTimeout; a failure is a warning line saying what could not be
// recorded. It reports whether the write succeeded.
func (j *Journal) Write(ctx context.Context, what string, write func(ctx context.Context) error) bool {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), WriteTimeout)
	defer cancel()
	if err := write(wctx); err != nil {
		j.Warn("could not %s in the ledger: %v", what, err)
		return false
	}
	return true
}

// Warn writes a warning line (an indented detail of the step above).
func (j *Journal) Warn(format string, args ...any) {
	fmt.Fprintf(j.Out, "       warning: "+format+"\n", args...)
}

// Step records a step that started at started and ends now.
func (j *Journal) Step(ctx context.Context, s Step, started time.Time, ok bool, detail string) {
	st := ledger.Step{Name: s.String(), Started: started, Finished: j.Clock(), OK: ok, Detail: detail}
	if j.Copy != nil {
		j.Copy.Steps = append(j.Copy.Steps, st)
	}
	if j.RunID == 0 {
		return
	}
	j.Write(ctx, "record step "+s.String(), func(ctx context.Context) error { return j.Ledger.RecordStep(ctx, j.RunID, st) })
}

// StepErr records a step whose detail is err's text ("" on success).
func (j *Journal) StepErr(ctx context.Context, s Step, started time.Time, err error) {
	j.Step(ctx, s, started, err == nil, ErrText(err))
}

// Finish records the run's outcome and returns err with its exit code (nil when err is nil).
func (j *Journal) Finish(ctx context.Context, o ledger.Outcome, code int, err error) error {
	if j.RunID != 0 {
		j.Write(ctx, "record the outcome", func(ctx context.Context) error {
			return j.Ledger.FinishRun(ctx, j.RunID, o, code, ErrText(err))
		})
	}
	return Exit(code, err)
}

// ErrText is err's text, "" for nil.
func ErrText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// ErrSuffix is "; " and err's text, "" for nil.
func ErrSuffix(err error) string {
	if err == nil {
		return ""
	}
	return "; " + err.Error()
}
