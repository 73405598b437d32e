package window_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/herokufake"
	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/window"
)

const app = "shop"

// steps records the window's steps as a journal would.
type steps struct{ got []string }

func (s *steps) Clock() time.Time { return time.Now() }
func (s *steps) Step(_ context.Context, st journal.Step, _ time.Time, ok bool, _ string) {
	mark := "ok"
	if !ok {
		mark = "failed"
	}
	s.got = append(s.got, st.String()+" "+mark)
}

// fake is the local Heroku over real HTTP with app "shop" running web=1, worker=2, clock=1, and a
// client of it that retries fast.
func fake(t *testing.T) (*herokufake.Server, *heroku.Client) {
	t.Helper()
	srv, url := herokufake.StartTest(t, herokufake.Options{})
	if _, err := srv.CreateApp(app); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte("web: serve\nworker: work\nclock: tick\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Deploy(app, dir); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.APIKey = config.NewSecret("test-token")
	cfg.PlatformAPIURL, cfg.DataAPIURL = url, url
	cfg.APITimeout = 10 * time.Second
	c, err := heroku.New(cfg, heroku.Options{RetryMax: 2, RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond,
		RetryAfterMax: 10 * time.Millisecond, RequestTimeout: 5 * time.Second, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for typ, q := range map[string]int{"worker": 2, "clock": 1} {
		if _, err := c.Scale(ctx, app, typ, q); err != nil {
			t.Fatal(err)
		}
	}
	return srv, c
}

var running = map[string]int{"clock": 1, "web": 1, "worker": 2}

func TestOpenClose(t *testing.T) {
	srv, c := fake(t)
	var out bytes.Buffer
	var j steps
	w := window.New(c, app, &j, &out)
	ctx := context.Background()
	if err := w.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if !srv.Maintenance(app) || !reflect.DeepEqual(srv.Formation(app), map[string]int{"clock": 0, "web": 1, "worker": 0}) {
		t.Fatalf("after Open: maintenance %v, formation %v", srv.Maintenance(app), srv.Formation(app))
	}
	st := w.State
	if !st.On || st.WasOn || !reflect.DeepEqual(st.Stopped, map[string]int{"clock": 1, "worker": 2}) {
		t.Errorf("state = %+v", st)
	}
	want := []string{"heroku ps:scale clock=1 --app shop", "heroku ps:scale worker=2 --app shop", "heroku maintenance:off --app shop"}
	if got := w.Commands(); !reflect.DeepEqual(got, want) {
		t.Errorf("Commands() = %q, want %q", got, want)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if srv.Maintenance(app) || !reflect.DeepEqual(srv.Formation(app), running) {
		t.Errorf("after Close: maintenance %v, formation %v", srv.Maintenance(app), srv.Formation(app))
	}
	if w.Changed() || len(w.Commands()) != 0 {
		t.Errorf("closed window still changed: %+v", w.State)
	}
	if want := []string{"maintenance-on ok", "scale-down ok", "scale-up ok", "maintenance-off ok"}; !reflect.DeepEqual(j.got, want) {
		t.Errorf("steps = %q, want %q", j.got, want)
	}
	for _, line := range []string{"-----> Maintenance mode on.", "-----> Stopped the worker dynos: clock=1 worker=2.",
		"-----> Started worker again: worker=2.", "-----> Maintenance mode off."} {
		if !strings.Contains(out.String(), line+"\n") {
			t.Errorf("log lacks %q:\n%s", line, out.String())
		}
	}
}

// Maintenance mode that was on before the window stays on.
func TestMaintenanceOnBeforeStaysOn(t *testing.T) {
	srv, c := fake(t)
	ctx := context.Background()
	if _, err := c.SetMaintenance(ctx, app, true); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := window.New(c, app, &steps{}, &out)
	if err := w.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if w.On || !w.WasOn {
		t.Errorf("state = %+v", w.State)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !srv.Maintenance(app) {
		t.Error("Close switched off maintenance mode that was on before the window")
	}
	if got := w.Facts("maintenance mode is off"); got[0].Text != "maintenance mode is on (it was on before this run)." {
		t.Errorf("facts = %+v", got)
	}
	if !strings.Contains(out.String(), "leaving it on") {
		t.Errorf("log:\n%s", out.String())
	}
}

// A switch of maintenance mode that Heroku applied but answered with an error is read back, and
// Close switches it off again.
func TestFailedSwitchReadBack(t *testing.T) {
	srv, c := fake(t)
	srv.InjectFault(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Status: 503, Count: 3, ActThenFail: true})
	var out bytes.Buffer
	var j steps
	w := window.New(c, app, &j, &out)
	ctx := context.Background()
	err := w.Open(ctx)
	var oe *window.OpenError
	if !errors.As(err, &oe) || oe.Workers || !strings.HasPrefix(err.Error(), "maintenance mode could not be switched on (") {
		t.Fatalf("Open = %v", err)
	}
	if !w.On || len(w.Stopped) != 0 || !srv.Maintenance(app) {
		t.Fatalf("state = %+v, maintenance %v: want On, read back", w.State, srv.Maintenance(app))
	}
	srv.ClearFaults()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if srv.Maintenance(app) || !reflect.DeepEqual(srv.Formation(app), running) {
		t.Errorf("after Close: maintenance %v, formation %v", srv.Maintenance(app), srv.Formation(app))
	}
	if want := []string{"maintenance-on failed", "scale-up ok", "maintenance-off ok"}; !reflect.DeepEqual(j.got, want) {
		t.Errorf("steps = %q, want %q", j.got, want)
	}
}

// A switch that failed without acting changes nothing: there is nothing to bring back.
func TestFailedSwitchNotApplied(t *testing.T) {
	srv, c := fake(t)
	srv.InjectFault(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Status: 503})
	w := window.New(c, app, &steps{}, &bytes.Buffer{})
	if err := w.Open(context.Background()); err == nil {
		t.Fatal("Open succeeded")
	}
	if w.Changed() || srv.Maintenance(app) {
		t.Errorf("state = %+v, maintenance %v", w.State, srv.Maintenance(app))
	}
}

// A scale-down that fails midway brings back what it stopped, a type Heroku scaled although it
// answered an error included; the statement of what is left lists exactly that.
func TestFailedScaleDownBringsBackWhatChanged(t *testing.T) {
	srv, c := fake(t)
	// clock is scaled first (sorted formation): it goes through. worker is scaled, then answers 500.
	srv.InjectFault(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*/formation/worker", Status: 500, Count: 3, ActThenFail: true})
	var out bytes.Buffer
	var j steps
	w := window.New(c, app, &j, &out)
	ctx := context.Background()
	err := w.Open(ctx)
	var oe *window.OpenError
	if !errors.As(err, &oe) || !oe.Workers || !strings.HasPrefix(err.Error(), "the worker dynos could not be stopped (") {
		t.Fatalf("Open = %v", err)
	}
	if !reflect.DeepEqual(w.Stopped, map[string]int{"clock": 1, "worker": 2}) || !w.On {
		t.Fatalf("state = %+v", w.State)
	}
	facts := w.Facts("maintenance mode is off")
	if len(facts) != 2 || facts[1].Text != "scaled to 0 by zdcd (before: clock=1 worker=2)." {
		t.Errorf("facts = %+v", facts)
	}
	srv.ClearFaults()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if srv.Maintenance(app) || !reflect.DeepEqual(srv.Formation(app), running) {
		t.Errorf("after Close: maintenance %v, formation %v", srv.Maintenance(app), srv.Formation(app))
	}
	if want := []string{"maintenance-on ok", "scale-down failed", "scale-up ok", "maintenance-off ok"}; !reflect.DeepEqual(j.got, want) {
		t.Errorf("steps = %q, want %q", j.got, want)
	}
}

// A Close that fails keeps what it could not bring back, says it, and can be retried.
func TestCloseFailsThenRetried(t *testing.T) {
	srv, c := fake(t)
	w := window.New(c, app, &steps{}, &bytes.Buffer{})
	ctx := context.Background()
	if err := w.Open(ctx); err != nil {
		t.Fatal(err)
	}
	srv.InjectFault(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Status: 500})
	err := w.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "maintenance mode could not be switched off") {
		t.Fatalf("Close = %v", err)
	}
	if got, want := w.Commands(), []string{"heroku maintenance:off --app shop"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Commands() = %q, want %q", got, want)
	}
	srv.ClearFaults()
	if err := w.Close(ctx); err != nil || srv.Maintenance(app) {
		t.Errorf("retried Close = %v, maintenance %v", err, srv.Maintenance(app))
	}
}
