// Package nightly is `zdcd-release nightly`, the Heroku Scheduler job that ships, in the
// maintenance window, a release the release phase refused for unsafe migrations (DESIGN.md,
// "Nightly"): find the newest refusal not superseded, switch maintenance mode on and stop the
// workers, approve exactly the refused plan in the ledger, release the refused slug again through
// the Platform API, follow its release phase, check its dynos come up, and bring the app back.
//
// The Scheduler dyno runs the old code, and its environment does not reach the release phase of
// the release it creates (HEROKU.md 7): the intent travels through the ledger, as approvals of
// the refused plan's digests (source "nightly", expiring with ZDCD_NIGHTLY_RELEASE_TIMEOUT), which
// the release phase consumes.
//
// Decisions (where DESIGN.md is silent):
//
//   - Outside ZDCD_NIGHTLY_WINDOW the run says so in one line and exits 0 without connecting to
//     anything: a Scheduler job that fires hourly must not fail every hour.
//   - The release lock is held while finding the refusal and recording the approvals, and given
//     back before the release is created: its release phase takes it.
//   - A refusal whose release Heroku has expired (or whose slug is gone) cannot be released
//     again: it is marked superseded with the reason, and the next refusal is considered.
//   - A failed release never went live: its own release phase has already put the database back
//     (restored, or untouched), so there is nothing to roll back; the app is brought back and the
//     run exits 3. Its ledger run says what happened; a release phase that did not finish, or
//     whose recovery failed, is exit 4.
//   - A release that succeeded but whose dynos do not all run it, up, within the bound is undone:
//     the backup its release phase took is restored and the app rolled back to the release live
//     before, then brought back (exit 3).
//   - Nightly approvals not used by the release (it failed, or was never created) are revoked:
//     they must not approve a later deploy in the hour they would otherwise last.
//   - SIGTERM while the release phase runs cannot stop it: maintenance mode and the stopped
//     workers are kept (the release phase may be applying an unsafe migration), and the run ends
//     with exit 4 and the commands to finish once the release is over. Before the release, the
//     app is brought back (exit 3); after it succeeded, the app is brought back and the dynos are
//     left unchecked (exit 3, outcome interrupted).
//   - Maintenance mode that was on before the run is left on.
//   - A switch of maintenance mode on, or a scale-down, that failed may nevertheless have been
//     applied (a 5xx or a cut connection after Heroku acted): the app and the formation are read
//     back, and what is found switched on or stopped is undone like the rest, never left silently.
//   - When Heroku cannot say how the release ended (its polls fail or time out), the release
//     phase's own ledger run can: Heroku marks a release succeeded exactly when its release
//     command exits 0, and the release phase records its exit code before exiting. After a few
//     failed polls with that run finished, its exit code decides; a success is then confirmed by
//     the dyno check. Only when neither Heroku nor the ledger can say is the run exit 4, with
//     maintenance mode and the stopped workers kept and stated.
package nightly

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/migrate"
	"github.com/zdcd/zdcd/internal/window"
)

// ApprovedBy is who the ledger's nightly approvals name.
const ApprovedBy = "zdcd-release nightly"

// Defaults.
const (
	// DefaultLookback is how far back refusals are looked for (Heroku expires releases older than
	// 30 days and 20 releases).
	DefaultLookback = 30 * 24 * time.Hour
	// DefaultDynoTimeout bounds the wait for the new release's dynos (capped by the release
	// timeout).
	DefaultDynoTimeout = 10 * time.Minute
	// outputGrace is how long the release output may take to drain after the release is over.
	outputGrace = 15 * time.Second
)

// Platform is the part of the Platform API the nightly run uses (*heroku.Client).
type Platform interface {
	window.Platform
	Releases(ctx context.Context, app string, max int) ([]heroku.Release, error)
	ReleaseInfo(ctx context.Context, app, release string) (heroku.Release, error)
	CreateRelease(ctx context.Context, app, slugID, description string) (heroku.Release, error)
	Rollback(ctx context.Context, app, target string) (heroku.Release, error)
	Dynos(ctx context.Context, app string) ([]heroku.Dyno, error)
	ReleaseOutput(ctx context.Context, url string, w io.Writer) error
}

var _ Platform = (*heroku.Client)(nil)

// Restorer restores a backup the release phase took, by its name ("b005").
type Restorer interface {
	Restore(ctx context.Context, backupID string) error
	// RestoreCommand is the command a human runs to restore it by hand.
	RestoreCommand(backupID string) string
}

// Ledger is the part of the ledger the nightly run uses (*ledger.Postgres).
type Ledger interface {
	StartRun(ctx context.Context, info ledger.RunInfo) (int64, error)
	RecordStep(ctx context.Context, runID int64, s ledger.Step) error
	FinishRun(ctx context.Context, runID int64, outcome ledger.Outcome, exitCode int, errText string) error
	FinishAbandoned(ctx context.Context, current int64) (int, error)
	Refused(ctx context.Context, since time.Time) ([]ledger.Run, error)
	MarkSuperseded(ctx context.Context, refusedID, byRunID int64, reason string) error
	Run(ctx context.Context, id int64) (*ledger.Detail, error)
	RunByRelease(ctx context.Context, command ledger.Command, version int) (*ledger.Detail, error)
	Approve(ctx context.Context, a ledger.Approval) (int64, error)
	Revoke(ctx context.Context, approvalID int64) error
	Put(ctx context.Context, d *ledger.Detail) error
}

var _ Ledger = (*ledger.Postgres)(nil)

// Flow is one nightly run. Fill it and call Run.
type Flow struct {
	Config   *config.Config
	Ledger   Ledger
	Platform Platform
	Restorer Restorer
	// Lock takes the release lock (release.AcquireLock) and returns what gives it back.
	Lock func(ctx context.Context) (unlock func(context.Context) error, err error)
	// Info is recorded with the run (ZdcdVersion, ServerVersion); Command and AppName are set.
	Info ledger.RunInfo
	Out  io.Writer
	// Now is the clock (time.Now by default).
	Now func() time.Time
	// Poll is the pause between two polls of a release or of the dynos (default
	// Config.APIPollInterval).
	Poll time.Duration
	// DynoTimeout bounds the wait for the dynos (default DefaultDynoTimeout, at most
	// Config.NightlyReleaseTimeout).
	DynoTimeout time.Duration
	// RecoveryTimeout bounds the recovery (default journal.DefaultRecoveryTimeout).
	RecoveryTimeout time.Duration
	// Preflight runs the migrate command in probe mode (migrate.Runner.ProbeCommand) before
	// maintenance mode is switched on; nil: no pre-flight. Its error wraps
	// migrate.ErrSessionUnverified when the command's sessions cannot be verified.
	Preflight func(ctx context.Context) error

	runID int64
	j     *journal.Journal
	st    state
}

// state is what the run did to the app, for recovery and for the statement when a human must act.
type state struct {
	app string
	// win is the maintenance window: what the run switched on and stopped.
	win *window.Window
	// refused is the refusal deployed; previous the release live before.
	refused  ledger.Run
	previous heroku.Release
	// approvals are the ledger approvals recorded, to revoke if the release does not use them.
	approvals []int64
	// created is the release created (nil before); live is true once it went live.
	created *heroku.Release
	live    bool
	// backupID is the backup the new release's release phase took; restored once it is back.
	backupID   string
	restored   bool
	rolledBack *heroku.Release
}

func (f *Flow) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Flow) say(format string, args ...any) {
	fmt.Fprintf(f.Out, "-----> "+format+"\n", args...)
}

func (f *Flow) detail(format string, args ...any) {
	fmt.Fprintf(f.Out, "       "+format+"\n", args...)
}

// InWindow reports whether now is inside ZDCD_NIGHTLY_WINDOW, and the line to print when not.
func InWindow(cfg *config.Config, now time.Time) (bool, string) {
	w := cfg.NightlyWindow
	if w.Contains(now) {
		return true, ""
	}
	return false, fmt.Sprintf("Outside the nightly window (ZDCD_NIGHTLY_WINDOW=%s; it is %s there): nothing done.",
		w, now.In(w.Location).Format("2006-01-02 15:04 MST"))
}

// Run runs the nightly flow. The error is a *journal.Error carrying the exit code, or nil (exit 0).
func (f *Flow) Run(ctx context.Context) error {
	f.j = &journal.Journal{Ledger: f.Ledger, Out: f.Out, Now: f.Now}
	f.st = state{app: f.Config.AppName, win: window.New(f.Platform, f.Config.AppName, f.j, f.Out)}
	if ok, line := InWindow(f.Config, f.now()); !ok {
		fmt.Fprintln(f.Out, line)
		return nil
	}

	unlock, err := f.Lock(ctx)
	if err != nil {
		return journal.Exit(journal.ExitFailed, fmt.Errorf("nightly: %w", err))
	}
	locked := true
	defer func() {
		if locked {
			_ = unlock(context.WithoutCancel(ctx))
		}
	}()

	info := f.Info
	info.Command = ledger.CommandNightly
	info.AppName = f.Config.AppName
	if f.runID, err = f.Ledger.StartRun(ctx, info); err != nil {
		return journal.Exit(journal.ExitFailed, fmt.Errorf("ledger: start the run: %w", err))
	}
	f.j.RunID = f.runID
	if n, err := f.Ledger.FinishAbandoned(ctx, f.runID); err != nil {
		f.detail("warning: could not close abandoned runs in the ledger: %v", err)
	} else if n > 0 {
		f.detail("Closed %d earlier run(s) that ended without recording an outcome; see `zdcd-release history`.", n)
	}

	// 1. What waits for the window.
	started := f.now()
	refused, detail, err := f.pending(ctx)
	f.step(ctx, journal.StepFindRefused, started, err == nil, refusedText(refused, err))
	if err != nil {
		return f.finish(ctx, ledger.OutcomeFailed, journal.ExitFailed, fmt.Errorf("find the refused release: %w; nothing was changed", err))
	}
	if refused == nil {
		fmt.Fprintln(f.Out, "Nothing to deploy tonight: no refused release waits for the nightly window.")
		return f.finish(ctx, ledger.OutcomeNothingPending, journal.ExitOK, nil)
	}
	f.st.refused = *refused
	unsafe := unsafeMigrations(detail)
	f.say("Release v%d was refused for unsafe migrations: %s. Deploying it again in the nightly window.", refused.ReleaseVersion, names(unsafe))
	for _, m := range unsafe {
		if m.Digest == "" {
			return f.finish(ctx, ledger.OutcomeFailed, journal.ExitFailed, fmt.Errorf("the plan of release v%d was recorded without digests (by an older zdcd-release), so it cannot be approved: deploy it again to record it; nothing was changed", refused.ReleaseVersion))
		}
	}

	// 2. The release live now: what a rollback goes back to.
	if f.st.previous, err = f.current(ctx); err != nil {
		return f.finish(ctx, ledger.OutcomeFailed, journal.ExitFailed, fmt.Errorf("read the live release: %w; nothing was changed", err))
	}

	// Pre-flight: a migrate command whose session settings zdcd cannot verify would be refused by
	// the release phase only once maintenance mode is on and the workers are stopped. Checked here
	// in the Scheduler dyno (same config vars, the live code), before anything is touched; the
	// release phase checks again with the refused slug's code before its backup.
	if f.Preflight != nil {
		f.say("Pre-flight: checking that the migrate command's sessions run under zdcd's lock_timeout and statement_timeout")
		started = f.now()
		err := f.Preflight(ctx)
		f.step(ctx, journal.StepPreflight, started, err == nil, errText(err))
		switch {
		case errors.Is(err, migrate.ErrSessionUnverified):
			fmt.Fprintln(f.Out, "Nothing was changed: maintenance mode was not switched on, no dyno was stopped, no release was created.")
			return f.finish(ctx, ledger.OutcomeFailed, journal.ExitUsage, fmt.Errorf("nightly: refused before anything was touched: %w", err))
		case err != nil:
			return f.finish(ctx, ledger.OutcomeFailed, journal.ExitFailed, fmt.Errorf("nightly: pre-flight check of the migrate command: %w; nothing was changed", err))
		}
	}

	// 3. Maintenance on, workers stopped.
	if err := f.st.win.Open(ctx); err != nil {
		return f.undo(ctx, err)
	}

	// 4. Approve exactly the refused plan, for the time the release may take.
	started = f.now()
	err = f.approve(ctx, unsafe)
	f.step(ctx, journal.StepApprove, started, err == nil, fmt.Sprintf("%d approval(s) of run %d's plan%s", len(f.st.approvals), refused.ID, errSuffix(err)))
	if err != nil {
		return f.undo(ctx, fmt.Errorf("record the approvals: %w", err))
	}

	// The release phase takes the release lock: give it back.
	locked = false
	if err := unlock(ctx); err != nil {
		f.detail("warning: could not release the release lock (%v); it goes with this connection", err)
	}

	// 5. Release the refused slug again and follow its release phase.
	desc := fmt.Sprintf("zdcd nightly: re-release of v%d (%s) [run %d]", refused.ReleaseVersion, names(unsafe), f.runID)
	started = f.now()
	created, err := f.Platform.CreateRelease(ctx, f.st.app, refused.SlugID, desc)
	f.step(ctx, journal.StepCreateRelease, started, err == nil, createdText(created, err))
	if err != nil {
		if errors.Is(err, heroku.ErrOutcomeUnknown) {
			return f.mustAct(ctx, fmt.Errorf("creating the release: %w", err), "Heroku may or may not have created the release of slug "+refused.SlugID+"; `heroku releases --app "+f.st.app+"` shows it")
		}
		return f.undo(ctx, fmt.Errorf("create the release: %w", err))
	}
	f.st.created = &created
	f.say("Created v%d: %s", created.Version, desc)

	rel, err := f.follow(ctx, created)
	if err != nil {
		if ctx.Err() != nil {
			return f.interruptedDuringRelease(ctx, err)
		}
		return f.mustAct(ctx, err, fmt.Sprintf("the outcome of v%d is unknown: its release phase may still be running (%v)", created.Version, err))
	}
	if rel.Status != heroku.StatusSucceeded {
		return f.releaseFailed(ctx, rel)
	}
	f.st.live = true
	f.say("v%d succeeded: its release phase applied %s.", rel.Version, names(unsafe))

	// 6. Its dynos.
	if err := f.waitDynos(ctx, rel); err != nil {
		if ctx.Err() != nil {
			// Interrupted: bring the app back without the check.
			if berr := f.bringBack(context.WithoutCancel(ctx)); berr != nil {
				return f.mustAct(ctx, fmt.Errorf("interrupted (SIGTERM) after v%d succeeded: %w", rel.Version, berr), berr.Error())
			}
			return f.finish(ctx, ledger.OutcomeInterrupted, journal.ExitFailed, fmt.Errorf("interrupted (SIGTERM) after v%d succeeded, before its dynos were confirmed up; the workers are back and maintenance mode is off: check `heroku ps --app %s`", rel.Version, f.st.app))
		}
		return f.dynosDown(ctx, rel, err)
	}

	// 7. Back.
	if err := f.bringBack(ctx); err != nil {
		return f.mustAct(ctx, err, err.Error())
	}
	fmt.Fprintf(f.Out, "Release v%d (the code of v%d) is live with %s applied.\n", rel.Version, refused.ReleaseVersion, names(unsafe))
	return f.finish(ctx, ledger.OutcomeApplied, journal.ExitOK, nil)
}

// pending finds the newest refusal not superseded whose release Heroku can still release, with its
// recorded plan. Refusals Heroku can no longer release are marked superseded.
func (f *Flow) pending(ctx context.Context) (*ledger.Run, *ledger.Detail, error) {
	runs, err := f.Ledger.Refused(ctx, f.now().Add(-DefaultLookback))
	if err != nil {
		return nil, nil, err
	}
	if len(runs) == 0 {
		return nil, nil, nil
	}
	list, err := f.Platform.Releases(ctx, f.st.app, 200)
	if err != nil {
		return nil, nil, err
	}
	byVersion := map[int]heroku.Release{}
	for _, r := range list {
		byVersion[r.Version] = r
	}
	for i := range runs {
		run := runs[i]
		if run.ReleaseVersion == 0 {
			f.detail("Refusal %d has no release version (HEROKU_RELEASE_VERSION was not set): it cannot be deployed again; skipped.", run.ID)
			continue
		}
		r, ok := byVersion[run.ReleaseVersion]
		if !ok {
			r, err = f.Platform.ReleaseInfo(ctx, f.st.app, fmt.Sprint(run.ReleaseVersion))
			if err != nil && !heroku.IsNotFound(err) {
				return nil, nil, err
			}
			ok = err == nil
		}
		why := ""
		switch {
		case !ok:
			why = fmt.Sprintf("release v%d does not exist on Heroku", run.ReleaseVersion)
		case r.Status == heroku.StatusExpired:
			why = fmt.Sprintf("release v%d expired on Heroku (its slug is gone)", run.ReleaseVersion)
		case r.SlugID == "":
			why = fmt.Sprintf("release v%d has no slug", run.ReleaseVersion)
		case run.SlugID != "" && run.SlugID != r.SlugID:
			why = fmt.Sprintf("release v%d runs slug %s, the ledger recorded %s", run.ReleaseVersion, r.SlugID, run.SlugID)
		}
		if why != "" {
			f.detail("Refusal %d cannot be deployed again: %s. Marked superseded.", run.ID, why)
			if err := f.Ledger.MarkSuperseded(ctx, run.ID, 0, "nightly: "+why); err != nil {
				f.detail("warning: could not mark it superseded: %v", err)
			}
			continue
		}
		run.SlugID = r.SlugID
		d, err := f.Ledger.Run(ctx, run.ID)
		if err != nil {
			return nil, nil, fmt.Errorf("read refused run %d: %w", run.ID, err)
		}
		return &run, d, nil
	}
	return nil, nil, nil
}

// current returns the release live now.
func (f *Flow) current(ctx context.Context) (heroku.Release, error) {
	list, err := f.Platform.Releases(ctx, f.st.app, 50)
	if err != nil {
		return heroku.Release{}, err
	}
	for _, r := range list {
		if r.Current {
			return r, nil
		}
	}
	return heroku.Release{}, errors.New("no release is current")
}

// approve records a nightly approval of each unsafe migration of the refused plan.
func (f *Flow) approve(ctx context.Context, unsafe []ledger.Migration) error {
	now := f.now()
	reason := fmt.Sprintf("nightly window %s: re-release of v%d", now.UTC().Format("2006-01-02"), f.st.refused.ReleaseVersion)
	for _, m := range unsafe {
		id, err := f.Ledger.Approve(ctx, ledger.Approval{
			App:        m.App,
			Name:       m.Name,
			Reason:     reason,
			ApprovedBy: ApprovedBy,
			Digest:     m.Digest,
			ExpiresAt:  now.Add(f.Config.NightlyReleaseTimeout),
			Source:     ledger.ApprovalByNightly,
			RunID:      f.st.refused.ID,
		})
		if err != nil {
			return fmt.Errorf("approve %s.%s: %w", m.App, m.Name, err)
		}
		f.st.approvals = append(f.st.approvals, id)
		f.detail("Approved %s.%s (%s) until %s.", m.App, m.Name, ledger.ShortDigestLabeled(m.Digest), now.Add(f.Config.NightlyReleaseTimeout).UTC().Format(time.RFC3339))
	}
	return nil
}

// follow waits for the release phase of r, bounded by ZDCD_NIGHTLY_RELEASE_TIMEOUT, streaming its
// output.
func (f *Flow) follow(ctx context.Context, r heroku.Release) (heroku.Release, error) {
	started := f.now()
	wctx, cancel := context.WithTimeout(ctx, f.Config.NightlyReleaseTimeout)
	defer cancel()

	var streamed chan error
	sctx, stop := context.WithCancel(context.WithoutCancel(wctx))
	defer stop()
	if r.OutputStreamURL != "" && r.Status == heroku.StatusPending {
		f.say("Release phase of v%d:", r.Version)
		streamed = make(chan error, 1)
		go func() { streamed <- f.Platform.ReleaseOutput(sctx, r.OutputStreamURL, f.Out) }()
	}
	got, err := f.waitRelease(wctx, r)
	if streamed != nil {
		// The stream ends with the command; give its tail a moment, then stop.
		timer := time.NewTimer(outputGrace)
		select {
		case <-streamed:
		case <-timer.C:
			stop()
			<-streamed
		case <-ctx.Done():
			stop()
			<-streamed
		}
		timer.Stop()
	}
	detail := fmt.Sprintf("v%d %s", r.Version, got.Status)
	if err != nil {
		if ctx.Err() == nil && wctx.Err() != nil {
			err = fmt.Errorf("v%d is still pending after ZDCD_NIGHTLY_RELEASE_TIMEOUT=%s: %w", r.Version, f.Config.NightlyReleaseTimeout, err)
		}
		detail += errSuffix(err)
	}
	f.step(ctx, journal.StepRelease, started, err == nil && got.Status == heroku.StatusSucceeded, detail)
	return got, err
}

// ledgerGrace is how many polls of a release in a row must fail, once its release phase recorded
// its outcome in the ledger, before the ledger decides.
const ledgerGrace = 3

// waitRelease polls r until it is no longer pending. When Heroku cannot be read (polls failing
// or timing out), the release phase's own ledger run says how it ended: Heroku marks a release
// succeeded exactly when its release command exits 0, and the release phase records its exit
// code before it exits. So after ledgerGrace failed polls with that run finished, the release is
// taken as succeeded (exit 0) or failed (any other); a success is then confirmed by the dyno
// check (the dynos run the new version only once it is live). It returns the last release seen
// with an error when neither Heroku nor the ledger can say, or when ctx ends.
func (f *Flow) waitRelease(ctx context.Context, r heroku.Release) (heroku.Release, error) {
	why := ""
	settle := func(failures int, err error) (string, bool) {
		d, lerr := f.Ledger.RunByRelease(ctx, ledger.CommandRelease, r.Version)
		switch {
		case lerr != nil:
			why = "its release phase's ledger run cannot be read (" + lerr.Error() + ")"
			return "", false
		case d.Outcome == "":
			why = "its release phase has recorded no outcome in the ledger"
			return "", false
		case failures < ledgerGrace:
			return "", false
		}
		status := heroku.StatusFailed
		if d.ExitCode == 0 {
			status = heroku.StatusSucceeded
		}
		f.say("Heroku cannot be asked how v%d ended (%d polls failed: %v); its release phase recorded in the ledger (run %d) that it ended %s with exit %d, so Heroku marks v%d %s.",
			r.Version, failures, err, d.ID, d.Outcome, d.ExitCode, r.Version, status)
		return status, true
	}
	got, err := heroku.PollRelease(ctx, fmt.Sprintf("wait for release v%d of %s", r.Version, f.st.app),
		func(ctx context.Context) (heroku.Release, error) { return f.Platform.ReleaseInfo(ctx, f.st.app, r.ID) },
		heroku.Polling{Every: f.poll(), MaxFailures: heroku.DefaultPollFailures, Settle: settle, Seen: r})
	if err != nil && why != "" {
		err = fmt.Errorf("%w, and %s", err, why)
	}
	return got, err
}

func (f *Flow) poll() time.Duration {
	if f.Poll > 0 {
		return f.Poll
	}
	return f.Config.APIPollInterval
}

// waitDynos waits until every dyno of each process type with a quantity runs r and is up.
func (f *Flow) waitDynos(ctx context.Context, r heroku.Release) error {
	bound := f.DynoTimeout
	if bound <= 0 {
		bound = DefaultDynoTimeout
	}
	if t := f.Config.NightlyReleaseTimeout; t > 0 && bound > t {
		bound = t
	}
	started := f.now()
	dctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	var problem string
	var err error
	for {
		problem, err = f.dynosProblem(dctx, r.Version)
		if err == nil && problem == "" {
			break
		}
		timer := time.NewTimer(f.poll())
		select {
		case <-dctx.Done():
			timer.Stop()
			if problem == "" && err != nil {
				problem = err.Error()
			}
			err = fmt.Errorf("the dynos of v%d are not all up after %s: %s", r.Version, bound, problem)
			f.step(ctx, journal.StepDynos, started, false, err.Error())
			return err
		case <-timer.C:
		}
	}
	f.step(ctx, journal.StepDynos, started, true, fmt.Sprintf("every dyno runs v%d and is up", r.Version))
	f.say("Every dyno runs v%d and is up.", r.Version)
	return nil
}

// dynosProblem says what is not yet right with the dynos ("" when every one runs version and is up).
func (f *Flow) dynosProblem(ctx context.Context, version int) (string, error) {
	fs, err := f.Platform.Formation(ctx, f.st.app)
	if err != nil {
		return "", err
	}
	ds, err := f.Platform.Dynos(ctx, f.st.app)
	if err != nil {
		return "", err
	}
	var problems []string
	for _, p := range fs {
		if p.Type == "release" || p.Quantity == 0 {
			continue
		}
		n := 0
		for _, d := range ds {
			if d.Type != p.Type {
				continue
			}
			if d.ReleaseVersion != version || d.State != "up" {
				problems = append(problems, fmt.Sprintf("%s is %s on v%d", d.Name, d.State, d.ReleaseVersion))
				continue
			}
			n++
		}
		if n < p.Quantity {
			problems = append(problems, fmt.Sprintf("%s: %d of %d up on v%d", p.Type, n, p.Quantity, version))
		}
	}
	return strings.Join(problems, "; "), nil
}

// bringBack starts the workers again and switches maintenance mode off (unless it was on before).
func (f *Flow) bringBack(ctx context.Context) error { return f.st.win.Close(ctx) }

// recoveryContext is a context of its own for recovery, bounded by RecoveryTimeout.
func (f *Flow) recoveryContext(ctx context.Context) (context.Context, context.CancelFunc) {
	t := f.RecoveryTimeout
	if t <= 0 {
		t = journal.DefaultRecoveryTimeout
	}
	return context.WithTimeout(context.WithoutCancel(ctx), t)
}

// undo brings the app back after a failure before any release was created: nothing changed.
func (f *Flow) undo(ctx context.Context, cause error) error {
	rctx, cancel := f.recoveryContext(ctx)
	defer cancel()
	if ctx.Err() != nil {
		cause = fmt.Errorf("interrupted (SIGTERM): %w", cause)
	}
	f.say("Nothing was released: %v", cause)
	f.revoke(rctx)
	if err := f.bringBack(rctx); err != nil {
		return f.mustAct(rctx, cause, err.Error())
	}
	outcome := ledger.OutcomeFailed
	if ctx.Err() != nil {
		outcome = ledger.OutcomeInterrupted
	}
	return f.finish(rctx, outcome, journal.ExitFailed, fmt.Errorf("%w; nothing was released, the database is unchanged%s", cause, f.where()))
}

// revoke withdraws the nightly approvals the release did not consume.
func (f *Flow) revoke(ctx context.Context) {
	for _, id := range f.st.approvals {
		if err := f.Ledger.Revoke(ctx, id); err != nil {
			f.detail("warning: could not revoke nightly approval %d: %v (it expires by itself)", id, err)
		}
	}
}

// releaseFailed handles a release whose release phase failed: it never went live, and its
// release phase put the database back itself. Its ledger run says how.
func (f *Flow) releaseFailed(ctx context.Context, rel heroku.Release) error {
	rctx, cancel := f.recoveryContext(ctx)
	defer cancel()
	f.say("v%d %s: Heroku keeps v%d live.", rel.Version, rel.Status, f.st.previous.Version)
	d, err := f.Ledger.RunByRelease(rctx, ledger.CommandRelease, rel.Version)
	var what string
	outcome := ledger.OutcomeMigrationFailed
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		// The release phase stops before the ledger only on a configuration error or when it
		// cannot connect: nothing was migrated.
		what = "its release phase recorded no run (it stopped before the ledger: configuration or connection), so nothing was migrated"
		outcome = ledger.OutcomeFailed
	case err != nil:
		f.revoke(rctx)
		return f.mustAct(rctx, fmt.Errorf("v%d %s", rel.Version, rel.Status), "v"+fmt.Sprint(rel.Version)+" failed and its ledger run cannot be read ("+err.Error()+"), so the state of the database is unknown")
	case d.Outcome == ledger.OutcomeRecoveryFailed || d.Outcome == ledger.OutcomeInterrupted || d.Outcome == "":
		f.revoke(rctx)
		return f.mustAct(rctx, fmt.Errorf("v%d %s", rel.Version, rel.Status), fmt.Sprintf("the release phase of v%d (ledger run %d) ended %s: its output above says what state the database is in", rel.Version, d.ID, orWord(string(d.Outcome), "without recording an outcome")))
	default:
		what = fmt.Sprintf("its release phase (ledger run %d) ended %s", d.ID, d.Outcome)
		switch d.Outcome {
		case ledger.OutcomeRestored:
			what += fmt.Sprintf(": the database was restored from %s", orWord(d.BackupID, "its backup"))
			outcome = ledger.OutcomeRestored
		case ledger.OutcomeRefused:
			what += ": the plan it found is not the one refused in v" + fmt.Sprint(f.st.refused.ReleaseVersion) + ", so the approvals did not hold; nothing was migrated"
			outcome = ledger.OutcomeFailed
		case ledger.OutcomeBackupFailed, ledger.OutcomeFailed:
			what += ": nothing was migrated"
			outcome = ledger.OutcomeFailed
		default:
			what += ": the database is consistent (untouched, or only backward-compatible migrations applied)"
		}
	}
	f.detail("%s.", capitalize(what))
	f.revoke(rctx)
	if err := f.bringBack(rctx); err != nil {
		return f.mustAct(rctx, fmt.Errorf("v%d %s", rel.Version, rel.Status), err.Error())
	}
	return f.finish(rctx, outcome, journal.ExitFailed, fmt.Errorf("the re-release of v%d (v%d) failed: %s; v%d stays live%s", f.st.refused.ReleaseVersion, rel.Version, what, f.st.previous.Version, f.where()))
}

// dynosDown undoes a release that went live but whose dynos did not come up: restore the backup
// its release phase took, roll back to the release live before, bring the app back.
func (f *Flow) dynosDown(ctx context.Context, rel heroku.Release, cause error) error {
	rctx, cancel := f.recoveryContext(ctx)
	defer cancel()
	f.say("%v. Undoing v%d: restoring the backup its release phase took, then rolling back to v%d.", cause, rel.Version, f.st.previous.Version)
	d, err := f.Ledger.RunByRelease(rctx, ledger.CommandRelease, rel.Version)
	if err != nil || d.BackupID == "" {
		why := "its ledger run records no backup"
		if err != nil {
			why = "its ledger run cannot be read (" + err.Error() + ")"
		}
		return f.mustAct(rctx, cause, fmt.Sprintf("v%d is live but its dynos are not up, and %s, so the database was not restored", rel.Version, why))
	}
	f.st.backupID = d.BackupID

	// The restore rolls the ledger back with the database: keep this run to rewrite it.
	mine, rerr := f.Ledger.Run(rctx, f.runID)
	if rerr != nil {
		f.detail("warning: could not read this run back from the ledger before the restore: %v", rerr)
	}
	f.say("Restoring backup %s", d.BackupID)
	started := f.now()
	err = f.Restorer.Restore(rctx, d.BackupID)
	f.step(rctx, journal.StepRestore, started, err == nil, errText(err))
	if still := (*heroku.StillRunningError)(nil); errors.As(err, &still) {
		// Not failed: Heroku goes on restoring after this run's bound.
		return f.mustAct(ctx, cause, fmt.Sprintf("the restore of backup %s did not finish within this run's recovery bound and has not failed: %v; wait for it to say Completed before anything else", d.BackupID, err))
	}
	if err != nil {
		return f.mustAct(rctx, cause, fmt.Sprintf("the restore of backup %s failed (%v)", d.BackupID, err))
	}
	f.st.restored = true
	if mine != nil {
		f.j.Write(rctx, "rewrite this run after the restore", func(ctx context.Context) error { return f.Ledger.Put(ctx, mine) })
		f.step(rctx, journal.StepRestore, started, true, "backup "+d.BackupID+" restored")
	}
	f.revoke(rctx) // the restore brought them back unconsumed

	started = f.now()
	rb, err := f.Platform.Rollback(rctx, f.st.app, fmt.Sprint(f.st.previous.Version))
	f.step(rctx, journal.StepRollback, started, err == nil, createdText(rb, err))
	if err != nil {
		return f.mustAct(rctx, cause, fmt.Sprintf("the rollback to v%d failed (%v)", f.st.previous.Version, err))
	}
	f.st.rolledBack = &rb
	f.say("Rolling back: v%d runs the code of v%d.", rb.Version, f.st.previous.Version)
	got, err := f.follow(rctx, rb)
	if err != nil || got.Status != heroku.StatusSucceeded {
		problem := fmt.Sprintf("the rollback release v%d %s", rb.Version, orWord(got.Status, "did not finish"))
		if err != nil {
			problem += " (" + err.Error() + ")"
		}
		return f.mustAct(rctx, cause, problem)
	}
	f.st.live = false
	if err := f.bringBack(rctx); err != nil {
		return f.mustAct(rctx, cause, err.Error())
	}
	return f.finish(rctx, ledger.OutcomeRestored, journal.ExitFailed, fmt.Errorf("%w; backup %s restored and rolled back to the code of v%d (v%d)%s", cause, d.BackupID, f.st.previous.Version, rb.Version, f.where()))
}

// interruptedDuringRelease: SIGTERM while the release phase runs. It cannot be stopped, and it may
// be applying an unsafe migration: maintenance mode and the stopped workers stay.
func (f *Flow) interruptedDuringRelease(ctx context.Context, cause error) error {
	rctx, cancel := f.recoveryContext(ctx)
	defer cancel()
	rel := f.st.created
	if r, err := f.Platform.ReleaseInfo(rctx, f.st.app, rel.ID); err == nil && r.Status != heroku.StatusPending {
		f.say("Interrupted (SIGTERM); v%d has just %s.", r.Version, r.Status)
		if r.Status == heroku.StatusSucceeded {
			f.st.live = true
			if err := f.bringBack(rctx); err != nil {
				return f.mustAct(rctx, cause, err.Error())
			}
			return f.finish(rctx, ledger.OutcomeInterrupted, journal.ExitFailed, fmt.Errorf("interrupted (SIGTERM) after v%d succeeded, before its dynos were confirmed up; the workers are back%s: check `heroku ps --app %s`", r.Version, f.where(), f.st.app))
		}
		return f.releaseFailed(ctx, r)
	}
	return f.mustAct(rctx, fmt.Errorf("interrupted (SIGTERM): %w", cause),
		fmt.Sprintf("this run was stopped (SIGTERM) while the release phase of v%d was still running; it cannot be stopped and may be applying an unsafe migration, so maintenance mode and the stopped workers were kept", rel.Version))
}

// where says the app's state at the end of a run that brought it back.
func (f *Flow) where() string {
	if f.st.win.WasOn {
		return "; maintenance mode is on, as it was before this run"
	}
	return "; the app is out of maintenance"
}

// mustAct prints exactly what state the app and the database are in and the commands that finish
// the job, records it, and returns exit 4.
func (f *Flow) mustAct(ctx context.Context, cause error, problem string) error {
	rctx, cancel := f.recoveryContext(ctx)
	defer cancel()
	s := journal.Statement{Flow: "NIGHTLY", Problem: problem, RunID: f.runID,
		Facts:    []journal.Fact{{Label: "Release", Text: f.releaseState()}, {Label: "Database", Text: f.databaseState()}},
		Commands: f.finishCommands()}
	s.Facts = append(s.Facts, f.st.win.Facts("maintenance mode is off")...)
	s.Print(f.Out)
	err := fmt.Errorf("nightly recovery failed, a human must act: %s (after: %v)", problem, cause)
	return f.finish(rctx, ledger.OutcomeRecoveryFailed, journal.ExitRecoveryFailed, err)
}

// releaseState is the Release line of the statement.
func (f *Flow) releaseState() string {
	st := &f.st
	switch {
	case st.created == nil:
		return fmt.Sprintf("no release was created; v%d is live.", st.previous.Version)
	case st.rolledBack != nil:
		return fmt.Sprintf("v%d (re-release of v%d) went live; rollback v%d to the code of v%d was created.", st.created.Version, st.refused.ReleaseVersion, st.rolledBack.Version, st.previous.Version)
	case st.live:
		return fmt.Sprintf("v%d (re-release of v%d) is live; v%d was live before.", st.created.Version, st.refused.ReleaseVersion, st.previous.Version)
	}
	return fmt.Sprintf("v%d (re-release of v%d) was created; `heroku releases:info v%d --app %s` says whether it is over (a failed release never goes live: v%d stays).", st.created.Version, st.refused.ReleaseVersion, st.created.Version, st.app, st.previous.Version)
}

// databaseState is the Database line of the statement.
func (f *Flow) databaseState() string {
	st := &f.st
	switch {
	case st.restored:
		return fmt.Sprintf("restored from backup %s (taken by v%d's release phase before migrating).", st.backupID, st.created.Version)
	case st.backupID != "":
		return fmt.Sprintf("NOT restored: it holds v%d's migrations; backup %s (taken before them) is the way back.", st.created.Version, st.backupID)
	case st.live:
		return fmt.Sprintf("holds v%d's migrations (the release succeeded).", st.created.Version)
	case st.created != nil:
		return fmt.Sprintf("in the hands of v%d's release phase (it restores its own backup if a migration fails); `zdcd-release history` shows its run.", st.created.Version)
	}
	return "unchanged."
}

// finishCommands are the statement's commands: wait for the release, restore, roll back, then
// close the window by hand.
func (f *Flow) finishCommands() []string {
	st := &f.st
	var cmds []string
	if st.created != nil && !st.live && st.rolledBack == nil && !st.restored {
		cmds = append(cmds, fmt.Sprintf("heroku releases:info v%d --app %s   # wait until it is no longer pending", st.created.Version, st.app))
	}
	if st.backupID != "" && !st.restored {
		cmds = append(cmds, f.Restorer.RestoreCommand(st.backupID))
	}
	if st.live && st.rolledBack == nil && (st.backupID != "" || st.restored) {
		cmds = append(cmds, fmt.Sprintf("heroku rollback v%d --app %s", st.previous.Version, st.app))
	}
	return append(cmds, st.win.Commands()...)
}

// finish records the outcome and returns the run's error (nil for exit 0).
func (f *Flow) finish(ctx context.Context, outcome ledger.Outcome, code int, err error) error {
	return f.j.Finish(ctx, outcome, code, err)
}

// step records a timed step.
func (f *Flow) step(ctx context.Context, s journal.Step, started time.Time, ok bool, detail string) {
	f.j.Step(ctx, s, started, ok, detail)
}

func unsafeMigrations(d *ledger.Detail) []ledger.Migration {
	var out []ledger.Migration
	if d == nil {
		return nil
	}
	for _, m := range d.Migrations {
		if !m.Safe {
			out = append(out, m)
		}
	}
	return out
}

func names(ms []ledger.Migration) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.App+"."+m.Name)
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func refusedText(r *ledger.Run, err error) string {
	switch {
	case err != nil:
		return err.Error()
	case r == nil:
		return "none"
	}
	return fmt.Sprintf("run %d, v%d, slug %s", r.ID, r.ReleaseVersion, r.SlugID)
}

func createdText(r heroku.Release, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("v%d %s", r.Version, r.ID)
}

func errText(err error) string { return journal.ErrText(err) }

func errSuffix(err error) string { return journal.ErrSuffix(err) }

func orWord(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
