// Package window is the maintenance window every flow opens before it changes what the old code
// cannot survive, and closes afterwards: the release phase (a plan the old release may not
// survive, and its restore), the nightly run (the re-release of a refused plan) and the rollback
// (its restore). Where maintenance mode is switched on is here, and only here.
//
// Open switches maintenance mode on (unless it is on already) and stops every process type but web
// (and release): under maintenance mode the router stops web traffic, but workers, clock
// processes and the like keep writing. Close brings back exactly what Open changed, and nothing
// else: maintenance mode that was on before stays on. A switch that failed may nevertheless have
// been applied (Heroku acted, then the answer was lost): Open reads the app or the formation back,
// and what it finds switched on or stopped goes into the State like the rest, so that Close undoes
// it, never leaving it silently. The window's State says what it changed, and Commands the exact
// heroku commands that finish it by hand when Close cannot.
//
// Every switch is a step of the run's journal (maintenance-on, scale-down, scale-up,
// maintenance-off) and a line of its log.
package window

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/journal"
)

// Platform is the part of the Heroku Platform API a window uses (*heroku.Client).
type Platform interface {
	AppInfo(ctx context.Context, app string) (heroku.App, error)
	SetMaintenance(ctx context.Context, app string, on bool) (heroku.App, error)
	Formation(ctx context.Context, app string) ([]heroku.Formation, error)
	Scale(ctx context.Context, app, processType string, quantity int) (heroku.Formation, error)
}

var _ Platform = (*heroku.Client)(nil)

// Journal records the window's steps (*journal.Journal).
type Journal interface {
	Clock() time.Time
	Step(ctx context.Context, s journal.Step, started time.Time, ok bool, detail string)
}

var _ Journal = (*journal.Journal)(nil)

// ReadBackTimeout bounds reading the app or its formation back after a failed switch.
const ReadBackTimeout = 30 * time.Second

// State is what a window changed on the app.
type State struct {
	App string
	// WasOn: maintenance mode was on before the window; On: the window switched it on (or may
	// have: a failed switch read back on, or not readable) and it is not switched off yet.
	WasOn, On bool
	// Stopped are the process types the window scaled to 0, with their quantity before; a type is
	// removed once it is scaled back.
	Stopped map[string]int
}

// Changed reports whether the window changed anything still to bring back.
func (s State) Changed() bool { return s.On || len(s.Stopped) > 0 }

// Window is one maintenance window of one app.
type Window struct {
	State
	platform Platform
	journal  Journal
	out      io.Writer
}

// New returns a window of app, closed.
func New(p Platform, app string, j Journal, out io.Writer) *Window {
	return &Window{State: State{App: app, Stopped: map[string]int{}}, platform: p, journal: j, out: out}
}

// OpenError is why a window could not be opened; Workers is false when maintenance mode could not
// be switched on, true when the workers could not be stopped.
type OpenError struct {
	Workers bool
	Err     error
}

func (e *OpenError) Error() string {
	if e.Workers {
		return fmt.Sprintf("the worker dynos could not be stopped (%v)", e.Err)
	}
	return fmt.Sprintf("maintenance mode could not be switched on (%v)", e.Err)
}

func (e *OpenError) Unwrap() error { return e.Err }

func (w *Window) say(format string, args ...any) {
	fmt.Fprintf(w.out, "-----> "+format+"\n", args...)
}

// Open switches maintenance mode on and stops the workers. On error (an *OpenError) the State
// holds what was changed nevertheless: Close brings it back.
func (w *Window) Open(ctx context.Context) error {
	if err := w.maintenanceOn(ctx); err != nil {
		return &OpenError{Err: err}
	}
	started := w.journal.Clock()
	err := w.stopWorkers(ctx)
	w.journal.Step(ctx, journal.StepScaleDown, started, err == nil, ScaledText(w.Stopped)+journal.ErrSuffix(err))
	if err != nil {
		return &OpenError{Workers: true, Err: err}
	}
	if len(w.Stopped) > 0 {
		w.say("Stopped the worker dynos: %s.", ScaledText(w.Stopped))
	}
	return nil
}

func (w *Window) maintenanceOn(ctx context.Context) error {
	started := w.journal.Clock()
	app, err := w.platform.AppInfo(ctx, w.App)
	if err == nil {
		w.WasOn = app.Maintenance
		if !app.Maintenance {
			if _, err = w.platform.SetMaintenance(ctx, w.App, true); err != nil && w.onAnyway(ctx) {
				w.On = true
				fmt.Fprintln(w.out, "       Maintenance mode may be on although the switch failed (Heroku may have acted): it is switched off again.")
			}
		}
	}
	w.journal.Step(ctx, journal.StepMaintenanceOn, started, err == nil, journal.ErrText(err))
	if err != nil {
		return err
	}
	w.On = !w.WasOn
	if w.WasOn {
		w.say("Maintenance mode was already on: leaving it as it is.")
	} else {
		w.say("Maintenance mode on.")
	}
	return nil
}

// onAnyway reports whether a switch of maintenance mode on that failed was applied nevertheless,
// reading the app back. When it cannot be read, it reports true: switching maintenance mode off
// again is harmless when it was off before; leaving it on silently is not.
func (w *Window) onAnyway(ctx context.Context) bool {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ReadBackTimeout)
	defer cancel()
	a, err := w.platform.AppInfo(rctx, w.App)
	return err != nil || a.Maintenance
}

// stopWorkers scales every process type but web (and release) that runs to 0. Each type stopped
// goes into Stopped, also when a later one fails.
func (w *Window) stopWorkers(ctx context.Context) error {
	fs, err := w.platform.Formation(ctx, w.App)
	if err != nil {
		return err
	}
	for _, f := range Workers(fs) {
		if _, err := w.platform.Scale(ctx, w.App, f.Type, 0); err != nil {
			w.stoppedAnyway(ctx, fs, f.Type)
			return fmt.Errorf("scale %s to 0: %w", f.Type, err)
		}
		w.Stopped[f.Type] = f.Quantity
	}
	return nil
}

// stoppedAnyway records the process types a failed scale-down may nevertheless have stopped: those
// the formation, read back, shows at 0. When it cannot be read back, the type whose scale failed
// counts as stopped: scaling it back to its quantity is harmless, leaving it at 0 silently is not.
func (w *Window) stoppedAnyway(ctx context.Context, before []heroku.Formation, failed string) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ReadBackTimeout)
	defer cancel()
	now, err := w.platform.Formation(rctx, w.App)
	for _, b := range Workers(before) {
		if _, ok := w.Stopped[b.Type]; ok {
			continue
		}
		at0 := err != nil && b.Type == failed
		for _, n := range now {
			at0 = at0 || (n.Type == b.Type && n.Quantity == 0)
		}
		if at0 {
			w.Stopped[b.Type] = b.Quantity
		}
	}
}

// Workers are the process types of a formation a window stops: every one but web and release
// that runs.
func Workers(fs []heroku.Formation) []heroku.Formation {
	var out []heroku.Formation
	for _, f := range fs {
		if f.Type != "web" && f.Type != "release" && f.Quantity > 0 {
			out = append(out, f)
		}
	}
	return out
}

// Close scales the stopped process types back and switches maintenance mode off when the window
// switched it on. It may be called again after it failed: it retries what is left.
func (w *Window) Close(ctx context.Context) error {
	started := w.journal.Clock()
	err := w.startWorkers(ctx)
	w.journal.Step(ctx, journal.StepScaleUp, started, err == nil, journal.ErrText(err))
	if err != nil {
		return err
	}
	if !w.On {
		if w.WasOn {
			w.say("Maintenance mode was on before this run: leaving it on.")
		}
		return nil
	}
	started = w.journal.Clock()
	_, err = w.platform.SetMaintenance(ctx, w.App, false)
	w.journal.Step(ctx, journal.StepMaintenanceOff, started, err == nil, journal.ErrText(err))
	if err != nil {
		return fmt.Errorf("maintenance mode could not be switched off (%v)", err)
	}
	w.On = false
	w.say("Maintenance mode off.")
	return nil
}

func (w *Window) startWorkers(ctx context.Context) error {
	var failed []string
	for _, t := range sortedTypes(w.Stopped) {
		if _, err := w.platform.Scale(ctx, w.App, t, w.Stopped[t]); err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", t, err))
			continue
		}
		w.say("Started %s again: %s=%d.", t, t, w.Stopped[t])
		delete(w.Stopped, t)
	}
	if len(failed) > 0 {
		return fmt.Errorf("the worker dynos could not be scaled back (%s)", strings.Join(failed, "; "))
	}
	return nil
}

// Facts are the App and Workers lines of a statement for a human who must act: whether
// maintenance mode is on and who switched it, and which process types zdcd stopped. off is what
// to say when maintenance mode is off.
func (s State) Facts(off string) []journal.Fact {
	var app string
	switch {
	case s.On:
		app = "maintenance mode is ON (switched on by zdcd); visitors see the maintenance page."
	case s.WasOn:
		app = "maintenance mode is on (it was on before this run)."
	default:
		app = off + "."
	}
	facts := []journal.Fact{{Label: "App", Text: app}}
	if len(s.Stopped) > 0 {
		facts = append(facts, journal.Fact{Label: "Workers", Text: "scaled to 0 by zdcd (before: " + ScaledText(s.Stopped) + ")."})
	}
	return facts
}

// Commands are the heroku commands that close the window by hand: the stopped process types
// scaled back, then maintenance mode off when zdcd switched it on.
func (s State) Commands() []string {
	out := ScaleCommands(s.App, s.Stopped)
	if s.On {
		out = append(out, MaintenanceOff(s.App))
	}
	return out
}

// MaintenanceOn is the command that switches maintenance mode on by hand.
func MaintenanceOn(app string) string { return "heroku maintenance:on --app " + app }

// MaintenanceOff is the command that switches maintenance mode off by hand.
func MaintenanceOff(app string) string { return "heroku maintenance:off --app " + app }

// ScaleCommands are the heroku commands that scale process types back to their quantities.
func ScaleCommands(app string, quantities map[string]int) []string {
	var out []string
	for _, t := range sortedTypes(quantities) {
		out = append(out, fmt.Sprintf("heroku ps:scale %s=%d --app %s", t, quantities[t], app))
	}
	return out
}

// ScaledText lists process types and quantities: "clock=1 worker=2".
func ScaledText(m map[string]int) string {
	var s []string
	for _, t := range sortedTypes(m) {
		s = append(s, fmt.Sprintf("%s=%d", t, m[t]))
	}
	if len(s) == 0 {
		return "no worker dynos running"
	}
	return strings.Join(s, " ")
}

func sortedTypes(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
