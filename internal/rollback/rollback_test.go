package rollback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/release"
	"github.com/zdcd/zdcd/internal/window"
)

// fakePlatform records the calls of a rollback's recovery; fail makes every change fail.
type fakePlatform struct {
	calls []string
	fail  bool
}

func (p *fakePlatform) AppInfo(ctx context.Context, app string) (heroku.App, error) {
	return heroku.App{}, nil
}

func (p *fakePlatform) SetMaintenance(ctx context.Context, app string, on bool) (heroku.App, error) {
	p.calls = append(p.calls, "maintenance "+map[bool]string{true: "on", false: "off"}[on])
	if p.fail {
		return heroku.App{}, errors.New("503")
	}
	return heroku.App{Maintenance: on}, nil
}

func (p *fakePlatform) Formation(ctx context.Context, app string) ([]heroku.Formation, error) {
	return nil, nil
}

func (p *fakePlatform) Scale(ctx context.Context, app, typ string, n int) (heroku.Formation, error) {
	p.calls = append(p.calls, "scale "+typ)
	if p.fail {
		return heroku.Formation{}, errors.New("500")
	}
	return heroku.Formation{Type: typ, Quantity: n}, nil
}

// fakeLedger records how the run finished.
type fakeLedger struct {
	Ledger
	outcome ledger.Outcome
	exit    int
}

func (l *fakeLedger) RecordStep(ctx context.Context, runID int64, s ledger.Step) error { return nil }

func (l *fakeLedger) FinishRun(ctx context.Context, runID int64, o ledger.Outcome, exit int, text string) error {
	l.outcome, l.exit = o, exit
	return nil
}

type fakeBackups struct{ release.Backuper }

func (fakeBackups) RestoreCommand(b release.Backup) string {
	return "heroku pg:backups:restore " + b.ID
}

func testState(p *fakePlatform) (*state, *Plan, *fakeLedger, *bytes.Buffer) {
	var out bytes.Buffer
	l := &fakeLedger{}
	f := &Flow{Config: &config.Config{AppName: "shop"}, Platform: p, Ledger: l, Backups: fakeBackups{}, Out: &out}
	p2 := &Plan{Incompatible: []plan.MigrationKey{{App: "accounts", Name: "0004_customer_is_vip"}}, Backup: &release.Backup{ID: "b007"}}
	p2.Current.Version, p2.Target.Version = 42, 40
	j := &journal.Journal{Ledger: l, RunID: 1, Out: &out}
	win := window.New(p, "shop", j, &out)
	win.Stopped["worker"], win.On = 2, true
	return &state{flow: f, j: j, win: win}, p2, l, &out
}

// A rollback that fails before its restore started brings the app back and exits 3: the
// database and the code are as they were.
func TestAbandonBringsTheAppBack(t *testing.T) {
	p := &fakePlatform{}
	st, pl, l, out := testState(p)
	err := st.abandon(context.Background(), pl, errors.New("the worker dynos could not be stopped"))
	var re *journal.Error
	if !errors.As(err, &re) || re.Code != 3 || !strings.Contains(err.Error(), "the database and the code were not changed") {
		t.Fatalf("err = %v", err)
	}
	if got := strings.Join(p.calls, ", "); got != "scale worker, maintenance off" {
		t.Errorf("calls: %s", got)
	}
	if l.outcome != ledger.OutcomeFailed || l.exit != 3 {
		t.Errorf("ledger: %s (%d)", l.outcome, l.exit)
	}
	if strings.Contains(out.String(), "RECOVERY FAILED") {
		t.Errorf("output:\n%s", out)
	}
}

// When the app cannot be brought back, it is exit 4 with the state stated.
func TestAbandonCannotBringTheAppBack(t *testing.T) {
	st, pl, l, out := testState(&fakePlatform{fail: true})
	err := st.abandon(context.Background(), pl, errors.New("the worker dynos could not be stopped"))
	var re *journal.Error
	if !errors.As(err, &re) || re.Code != 4 {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"ROLLBACK RECOVERY FAILED: a human must act.", "Database:  NOT restored",
		"maintenance mode is ON (switched on by zdcd)", "Workers:   scaled to 0 by zdcd (before: worker=2)",
		"heroku pg:backups:restore b007", "heroku rollback v40 --app shop", "heroku ps:scale worker=2 --app shop", "heroku maintenance:off --app shop"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if l.outcome != ledger.OutcomeRecoveryFailed || l.exit != 4 {
		t.Errorf("ledger: %s (%d)", l.outcome, l.exit)
	}
}

// Once the restore was asked of Heroku, a failure does not claim the database is untouched.
func TestHumanMustActAfterAStartedRestore(t *testing.T) {
	st, pl, _, out := testState(&fakePlatform{})
	st.restoreStarted = true
	st.humanMustAct(context.Background(), pl, errors.New("the restore of backup b007 failed: pg_restore: exit status 1."))
	for _, want := range []string{"Problem:   the restore of backup b007 failed: pg_restore: exit status 1.\n",
		"Database:  not restored, or only partly", "heroku pg:backups:restore b007"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), "NOT restored (still holds") {
		t.Errorf("output claims the database is untouched:\n%s", out)
	}
}

// A restore that outlived the run's bound is still running on Heroku: it is said so, and the
// statement does not ask for another restore while it runs.
func TestHumanMustActWhileTheRestoreRuns(t *testing.T) {
	st, pl, _, out := testState(&fakePlatform{})
	st.restoreStarted = true
	started := time.Now().Add(-time.Hour)
	st.restoreRunning = &heroku.StillRunningError{App: "shop", Elapsed: time.Hour,
		Transfer: heroku.Transfer{Name: "r012", FromType: "gof3r", ToType: "pg_restore", StartedAt: &started, ProcessedBytes: 2 << 30, SourceBytes: 3 << 30}}
	st.humanMustAct(context.Background(), pl, fmt.Errorf("the restore of backup b007 has not finished and has not failed: %w", st.restoreRunning))
	for _, want := range []string{"Database:  being restored: restore r012 still running on Heroku after 1h",
		"heroku pg:backups:info r012 --app shop   # until it says Completed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"heroku pg:backups:restore", "not restored, or only partly", "RECOVERY FAILED", "b007 failed"} {
		if strings.Contains(out.String(), bad) {
			t.Errorf("output says %q while the restore runs:\n%s", bad, out)
		}
	}
}
