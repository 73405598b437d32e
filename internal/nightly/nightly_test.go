package nightly

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/ledger"
)

// fakeLedger keeps runs and approvals in memory.
type fakeLedger struct {
	mu        sync.Mutex
	refused   []ledger.Run
	details   map[int64]*ledger.Detail
	byRelease map[int]*ledger.Detail
	steps     []string
	approvals []ledger.Approval
	revoked   []int64
	outcome   ledger.Outcome
	code      int
	puts      int
}

func (l *fakeLedger) StartRun(ctx context.Context, info ledger.RunInfo) (int64, error) {
	return 100, nil
}
func (l *fakeLedger) RecordStep(ctx context.Context, id int64, s ledger.Step) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ok := "ok"
	if !s.OK {
		ok = "failed"
	}
	l.steps = append(l.steps, s.Name+":"+ok)
	return nil
}
func (l *fakeLedger) FinishRun(ctx context.Context, id int64, o ledger.Outcome, code int, text string) error {
	l.outcome, l.code = o, code
	return nil
}
func (l *fakeLedger) FinishAbandoned(ctx context.Context, current int64) (int, error) { return 0, nil }
func (l *fakeLedger) Refused(ctx context.Context, since time.Time) ([]ledger.Run, error) {
	return l.refused, nil
}
func (l *fakeLedger) MarkSuperseded(ctx context.Context, id, by int64, reason string) error {
	return nil
}
func (l *fakeLedger) Run(ctx context.Context, id int64) (*ledger.Detail, error) {
	if d, ok := l.details[id]; ok {
		return d, nil
	}
	return nil, ledger.ErrNotFound
}
func (l *fakeLedger) RunByRelease(ctx context.Context, c ledger.Command, v int) (*ledger.Detail, error) {
	if d, ok := l.byRelease[v]; ok {
		return d, nil
	}
	return nil, ledger.ErrNotFound
}
func (l *fakeLedger) Approve(ctx context.Context, a ledger.Approval) (int64, error) {
	l.approvals = append(l.approvals, a)
	return int64(len(l.approvals)), nil
}
func (l *fakeLedger) Revoke(ctx context.Context, id int64) error {
	l.revoked = append(l.revoked, id)
	return nil
}
func (l *fakeLedger) Put(ctx context.Context, d *ledger.Detail) error { l.puts++; return nil }

// fakePlatform is an app with v4 live (slug-old), v5 refused (slug-new), worker=2.
type fakePlatform struct {
	mu          sync.Mutex
	calls       []string
	maintenance bool
	formation   map[string]int
	releases    []heroku.Release
	// result is the status the created release ends with; dynosState the state of its dynos.
	result     string
	dynosState string
	// block keeps the release pending (a release phase that runs on).
	block      bool
	failRollbk error
	// pollErr is what every poll of a release created by the run answers (Heroku unreachable);
	// liveOnCreate ends its release phase with result at once.
	pollErr      error
	liveOnCreate bool
	// maintFails and scaleFails are answered by switching maintenance on and scaling to 0, after
	// acting on them.
	maintFails, scaleFails error
}

func newPlatform() *fakePlatform {
	return &fakePlatform{
		formation: map[string]int{"web": 1, "worker": 2},
		releases: []heroku.Release{
			{ID: "r4", Version: 4, Status: "succeeded", Current: true, SlugID: "slug-old"},
			{ID: "r5", Version: 5, Status: "failed", SlugID: "slug-new"},
		},
		result: "succeeded", dynosState: "up",
	}
}

func (p *fakePlatform) log(s string) { p.mu.Lock(); p.calls = append(p.calls, s); p.mu.Unlock() }

func (p *fakePlatform) AppInfo(ctx context.Context, app string) (heroku.App, error) {
	return heroku.App{Name: app, Maintenance: p.maintenance}, nil
}
func (p *fakePlatform) SetMaintenance(ctx context.Context, app string, on bool) (heroku.App, error) {
	p.log(fmt.Sprintf("maintenance %v", on))
	p.maintenance = on
	if on && p.maintFails != nil {
		return heroku.App{}, p.maintFails // Heroku acted, the answer was lost
	}
	return heroku.App{Name: app, Maintenance: on}, nil
}
func (p *fakePlatform) Formation(ctx context.Context, app string) ([]heroku.Formation, error) {
	var out []heroku.Formation
	for _, t := range []string{"web", "worker"} {
		out = append(out, heroku.Formation{Type: t, Quantity: p.formation[t]})
	}
	return out, nil
}
func (p *fakePlatform) Scale(ctx context.Context, app, t string, q int) (heroku.Formation, error) {
	p.log(fmt.Sprintf("scale %s=%d", t, q))
	p.formation[t] = q
	if q == 0 && p.scaleFails != nil {
		return heroku.Formation{}, p.scaleFails // Heroku acted, the answer was lost
	}
	return heroku.Formation{Type: t, Quantity: q}, nil
}
func (p *fakePlatform) Releases(ctx context.Context, app string, max int) ([]heroku.Release, error) {
	out := append([]heroku.Release(nil), p.releases...)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
func (p *fakePlatform) ReleaseInfo(ctx context.Context, app, id string) (heroku.Release, error) {
	for i, r := range p.releases {
		if r.ID == id || fmt.Sprint(r.Version) == id {
			if p.pollErr != nil && r.Version > 5 {
				return heroku.Release{}, p.pollErr
			}
			if r.Status == "pending" && !p.block {
				return p.end(i), nil
			}
			return r, nil
		}
	}
	return heroku.Release{}, &heroku.APIError{Status: 404, ID: "not_found"}
}

// end ends the release phase of release i with p.result.
func (p *fakePlatform) end(i int) heroku.Release {
	p.releases[i].Status = p.result
	if p.result == "succeeded" {
		for j := range p.releases {
			p.releases[j].Current = j == i
		}
	}
	return p.releases[i]
}
func (p *fakePlatform) add(slug, desc string) heroku.Release {
	v := p.releases[len(p.releases)-1].Version + 1
	r := heroku.Release{ID: fmt.Sprintf("r%d", v), Version: v, Status: "pending", SlugID: slug, Description: desc}
	p.releases = append(p.releases, r)
	return r
}
func (p *fakePlatform) CreateRelease(ctx context.Context, app, slug, desc string) (heroku.Release, error) {
	p.log("create " + slug)
	r := p.add(slug, desc)
	if p.liveOnCreate {
		p.end(len(p.releases) - 1)
	}
	return r, nil
}
func (p *fakePlatform) Rollback(ctx context.Context, app, target string) (heroku.Release, error) {
	p.log("rollback v" + target)
	if p.failRollbk != nil {
		return heroku.Release{}, p.failRollbk
	}
	p.result, p.dynosState = "succeeded", "up"
	return p.add("slug-old", "Rollback to v"+target), nil
}
func (p *fakePlatform) Dynos(ctx context.Context, app string) ([]heroku.Dyno, error) {
	cur := 0
	for _, r := range p.releases {
		if r.Current {
			cur = r.Version
		}
	}
	return []heroku.Dyno{{Name: "web.1", Type: "web", State: p.dynosState, ReleaseVersion: cur}}, nil
}
func (p *fakePlatform) ReleaseOutput(ctx context.Context, url string, w io.Writer) error { return nil }

type fakeRestorer struct {
	restored []string
	err      error
}

func (r *fakeRestorer) Restore(ctx context.Context, id string) error {
	r.restored = append(r.restored, id)
	return r.err
}
func (r *fakeRestorer) RestoreCommand(id string) string { return "heroku pg:backups:restore " + id }

type env struct {
	flow *Flow
	p    *fakePlatform
	l    *fakeLedger
	r    *fakeRestorer
	out  *bytes.Buffer
}

func newFlow(t *testing.T) *env {
	cfg := config.Defaults()
	cfg.AppName = "shop"
	cfg.APIPollInterval = time.Millisecond
	cfg.NightlyReleaseTimeout = time.Hour
	l := &fakeLedger{
		refused: []ledger.Run{{ID: 7, RunInfo: ledger.RunInfo{ReleaseVersion: 5, SlugID: "slug-new"}, Outcome: ledger.OutcomeRefused}},
		details: map[int64]*ledger.Detail{7: {Migrations: []ledger.Migration{
			{App: "shop", Name: "0001_safe", Digest: "sha256:aa", Safe: true},
			{App: "shop", Name: "0002_unsafe", Digest: "sha256:bb", Safe: false},
		}}},
		byRelease: map[int]*ledger.Detail{6: {Run: ledger.Run{ID: 8, Outcome: ledger.OutcomeApplied, BackupID: "b003"}}},
	}
	e := &env{p: newPlatform(), l: l, r: &fakeRestorer{}, out: &bytes.Buffer{}}
	e.flow = &Flow{
		Config: cfg, Ledger: l, Platform: e.p, Restorer: e.r, Out: e.out,
		Lock: func(ctx context.Context) (func(context.Context) error, error) {
			e.p.log("lock")
			return func(context.Context) error { e.p.log("unlock"); return nil }, nil
		},
		DynoTimeout: 50 * time.Millisecond,
	}
	return e
}

func (e *env) calls() string { return strings.Join(e.p.calls, ", ") }

func code(err error) int {
	var ne *journal.Error
	if errors.As(err, &ne) {
		return ne.Code
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestRunApplies(t *testing.T) {
	e := newFlow(t)
	err := e.flow.Run(context.Background())
	if code(err) != 0 {
		t.Fatalf("Run: %v\n%s", err, e.out)
	}
	want := "lock, maintenance true, scale worker=0, unlock, create slug-new, scale worker=2, maintenance false"
	if e.calls() != want {
		t.Errorf("calls\n got %s\nwant %s", e.calls(), want)
	}
	if len(e.l.approvals) != 1 {
		t.Fatalf("approvals = %+v", e.l.approvals)
	}
	a := e.l.approvals[0]
	if a.Name != "0002_unsafe" || a.Digest != "sha256:bb" || a.Source != ledger.ApprovalByNightly || a.RunID != 7 || a.ApprovedBy != ApprovedBy || a.ExpiresAt.IsZero() || !strings.Contains(a.Reason, "re-release of v5") {
		t.Errorf("approval = %+v", a)
	}
	if e.l.outcome != ledger.OutcomeApplied || len(e.l.revoked) != 0 {
		t.Errorf("outcome %s, revoked %v", e.l.outcome, e.l.revoked)
	}
}

func TestRunNothingPending(t *testing.T) {
	e := newFlow(t)
	e.l.refused = nil
	if err := e.flow.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.calls() != "lock, unlock" || e.l.outcome != ledger.OutcomeNothingPending || !strings.Contains(e.out.String(), "Nothing to deploy tonight") {
		t.Errorf("calls %s, outcome %s:\n%s", e.calls(), e.l.outcome, e.out)
	}
}

func TestRunExpiredRefusalSkipped(t *testing.T) {
	e := newFlow(t)
	e.p.releases[1].Status = heroku.StatusExpired
	if err := e.flow.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.out.String(), "release v5 expired on Heroku") || e.l.outcome != ledger.OutcomeNothingPending {
		t.Errorf("outcome %s:\n%s", e.l.outcome, e.out)
	}
}

func TestRunReleaseFailed(t *testing.T) {
	e := newFlow(t)
	e.p.result = "failed"
	e.l.byRelease[6] = &ledger.Detail{Run: ledger.Run{ID: 8, Outcome: ledger.OutcomeRestored, BackupID: "b003"}}
	err := e.flow.Run(context.Background())
	if code(err) != journal.ExitFailed || !strings.Contains(err.Error(), "ended restored") {
		t.Fatalf("Run: %v\n%s", err, e.out)
	}
	if strings.Contains(e.calls(), "rollback") || e.p.maintenance || e.p.formation["worker"] != 2 {
		t.Errorf("calls %s", e.calls())
	}
	if len(e.l.revoked) != 1 || e.l.outcome != ledger.OutcomeRestored {
		t.Errorf("revoked %v, outcome %s", e.l.revoked, e.l.outcome)
	}
}

func TestRunReleaseRecoveryFailed(t *testing.T) {
	e := newFlow(t)
	e.p.result = "failed"
	e.l.byRelease[6] = &ledger.Detail{Run: ledger.Run{ID: 8, Outcome: ledger.OutcomeRecoveryFailed}}
	err := e.flow.Run(context.Background())
	if code(err) != journal.ExitRecoveryFailed {
		t.Fatalf("Run: %v\n%s", err, e.out)
	}
	// The app is left as the release phase's statement describes: maintenance on, workers stopped.
	for _, want := range []string{"NIGHTLY RECOVERY FAILED", "maintenance mode is ON", "heroku ps:scale worker=2 --app shop", "heroku maintenance:off --app shop"} {
		if !strings.Contains(e.out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, e.out)
		}
	}
}

func TestRunDynosDownRestoresAndRollsBack(t *testing.T) {
	e := newFlow(t)
	e.p.dynosState = "crashed"
	e.l.details[100] = &ledger.Detail{Run: ledger.Run{ID: 100}}
	err := e.flow.Run(context.Background())
	if code(err) != journal.ExitFailed {
		t.Fatalf("Run: %v\n%s", err, e.out)
	}
	want := "lock, maintenance true, scale worker=0, unlock, create slug-new, rollback v4, scale worker=2, maintenance false"
	if e.calls() != want {
		t.Errorf("calls\n got %s\nwant %s", e.calls(), want)
	}
	if strings.Join(e.r.restored, ",") != "b003" || e.l.puts != 1 || e.l.outcome != ledger.OutcomeRestored {
		t.Errorf("restored %v, puts %d, outcome %s", e.r.restored, e.l.puts, e.l.outcome)
	}
	if cur := e.p.releases[len(e.p.releases)-1]; !cur.Current || cur.SlugID != "slug-old" {
		t.Errorf("live release %+v, want the rollback to slug-old", cur)
	}
}

func TestRunDynosDownRestoreFails(t *testing.T) {
	e := newFlow(t)
	e.p.dynosState = "crashed"
	e.r.err = errors.New("restore r004 failed")
	err := e.flow.Run(context.Background())
	if code(err) != journal.ExitRecoveryFailed {
		t.Fatalf("Run: %v\n%s", err, e.out)
	}
	for _, want := range []string{"the restore of backup b003 failed", "v6 (re-release of v5) is live", "heroku pg:backups:restore b003", "heroku rollback v4 --app shop", "heroku ps:scale worker=2 --app shop", "heroku maintenance:off --app shop"} {
		if !strings.Contains(e.out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, e.out)
		}
	}
	if !e.p.maintenance || e.l.outcome != ledger.OutcomeRecoveryFailed {
		t.Errorf("maintenance %v, outcome %s", e.p.maintenance, e.l.outcome)
	}
}

func TestRunSIGTERMDuringRelease(t *testing.T) {
	e := newFlow(t)
	e.p.block = true
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			e.p.mu.Lock()
			n := len(e.p.calls)
			e.p.mu.Unlock()
			if n >= 5 { // lock, maintenance, scale, unlock, create
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	err := e.flow.Run(ctx)
	if code(err) != journal.ExitRecoveryFailed {
		t.Fatalf("Run: %v\n%s", err, e.out)
	}
	if !e.p.maintenance || e.p.formation["worker"] != 0 {
		t.Errorf("maintenance %v, formation %v: kept while the release phase runs", e.p.maintenance, e.p.formation)
	}
	for _, want := range []string{"still running", "heroku releases:info v6 --app shop", "heroku maintenance:off --app shop"} {
		if !strings.Contains(e.out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, e.out)
		}
	}
}

func TestInWindow(t *testing.T) {
	cfg := config.Defaults()
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	if ok, _ := InWindow(cfg, now); !ok {
		t.Error("no window is any time")
	}
	cfg.NightlyWindow, _ = config.ParseWindow("02:00-05:00 Europe/Paris")
	ok, line := InWindow(cfg, now)
	if ok || line != "Outside the nightly window (ZDCD_NIGHTLY_WINDOW=02:00-05:00 Europe/Paris; it is 2026-01-15 13:00 CET there): nothing done." {
		t.Errorf("InWindow = %v %q", ok, line)
	}
}

// Heroku answers 503 to every poll of the release: its release phase's ledger run says how it
// ended, and the dynos confirm it is live.
func TestRunPollsFailLedgerDecides(t *testing.T) {
	e := newFlow(t)
	e.p.pollErr = &heroku.APIError{Status: 503, ID: "service_unavailable"}
	e.p.liveOnCreate = true // the release phase ends: Heroku makes v6 live, but cannot be asked
	e.l.byRelease[6].ExitCode = 0
	err := e.flow.Run(context.Background())
	if code(err) != journal.ExitOK {
		t.Fatalf("Run: %v\n%s", err, e.out)
	}
	if !strings.Contains(e.out.String(), "recorded in the ledger (run 8) that it ended applied with exit 0") {
		t.Errorf("output:\n%s", e.out)
	}
	if e.p.maintenance || e.p.formation["worker"] != 2 {
		t.Errorf("maintenance %v, formation %v", e.p.maintenance, e.p.formation)
	}
}

// Heroku answers 503 to every poll and the release phase recorded no outcome: exit 4, with
// maintenance and the stopped workers kept and stated.
func TestRunPollsFailLedgerSilent(t *testing.T) {
	e := newFlow(t)
	e.p.block = true
	e.p.pollErr = &heroku.APIError{Status: 503, ID: "service_unavailable"}
	e.l.byRelease[6].Outcome = ""
	err := e.flow.Run(context.Background())
	if code(err) != journal.ExitRecoveryFailed {
		t.Fatalf("Run: %v\n%s", err, e.out)
	}
	for _, want := range []string{"the outcome of v6 is unknown", "recorded no outcome in the ledger", "heroku releases:info v6 --app shop", "heroku ps:scale worker=2 --app shop", "heroku maintenance:off --app shop"} {
		if !strings.Contains(e.out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, e.out)
		}
	}
	if !e.p.maintenance || e.p.formation["worker"] != 0 {
		t.Errorf("maintenance %v, formation %v: kept while the outcome is unknown", e.p.maintenance, e.p.formation)
	}
}

// Switching maintenance on, or stopping the workers, fails after Heroku acted: what is read back
// on or stopped is undone, not left silently.
func TestRunActedThenFailed(t *testing.T) {
	reset := errors.New("read: connection reset by peer")
	for _, tt := range []struct {
		name  string
		setup func(p *fakePlatform)
		want  string
	}{
		{"maintenance", func(p *fakePlatform) { p.maintFails = reset }, "maintenance true, maintenance false"},
		{"scale", func(p *fakePlatform) { p.scaleFails = reset }, "scale worker=0, scale worker=2, maintenance false"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newFlow(t)
			tt.setup(e.p)
			err := e.flow.Run(context.Background())
			if code(err) != journal.ExitFailed {
				t.Fatalf("Run: %v\n%s", err, e.out)
			}
			if e.p.maintenance || e.p.formation["worker"] != 2 {
				t.Errorf("maintenance %v, formation %v: want the app back", e.p.maintenance, e.p.formation)
			}
			if !strings.Contains(e.calls(), tt.want) || strings.Contains(e.calls(), "create") {
				t.Errorf("calls %q, want %q and no release", e.calls(), tt.want)
			}
		})
	}
}
