package release

import (
	"context"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/config"
)

func TestRecoveryReserve(t *testing.T) {
	for total, want := range map[time.Duration]time.Duration{
		55 * time.Minute: 15 * time.Minute, // the default: forward work until 40m, recovery until 55m
		time.Hour:        15 * time.Minute,
		30 * time.Minute: 10 * time.Minute, // a third when less than 15m
		21 * time.Second: 7 * time.Second,
	} {
		if got := RecoveryReserve(total); got != want {
			t.Errorf("RecoveryReserve(%s) = %s, want %s", total, got, want)
		}
	}
}

// The forward work ends the reserve before the deadline; recovery gets until the deadline, and a
// short floor only when the deadline is that close or past.
func TestBudgetContexts(t *testing.T) {
	cfg := config.Defaults()
	start := time.Now()
	f := &Flow{Config: cfg, Deadline: start.Add(cfg.ReleaseDeadline)}
	fctx, cancel := f.forward(context.Background())
	defer cancel()
	if d, ok := fctx.Deadline(); !ok || !d.Equal(start.Add(40*time.Minute)) {
		t.Errorf("forward deadline = %v, want the start + 40m", d)
	}
	rctx, rcancel := f.recoveryContext(context.Background())
	defer rcancel()
	if d, ok := rctx.Deadline(); !ok || !d.Equal(f.Deadline) {
		t.Errorf("recovery deadline = %v, want the release deadline %v", d, f.Deadline)
	}
	// Past the deadline (Heroku's SIGTERM at the hour): a minute to say what happened.
	late := &Flow{Config: cfg, Deadline: start.Add(-time.Minute)}
	lctx, lcancel := late.recoveryContext(context.Background())
	defer lcancel()
	if d, _ := lctx.Deadline(); d.Sub(start) < 59*time.Second || d.Sub(start) > 2*time.Minute {
		t.Errorf("recovery past the deadline ends at start+%s, want about a minute", d.Sub(start))
	}
	// No deadline (tests, other flows): forward is unbounded, recovery by RecoveryTimeout.
	none := &Flow{Config: cfg}
	nctx, ncancel := none.forward(context.Background())
	defer ncancel()
	if _, ok := nctx.Deadline(); ok {
		t.Error("forward has a deadline without Flow.Deadline")
	}
}
