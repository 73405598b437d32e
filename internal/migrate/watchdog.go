package migrate

import (
	"context"
	"sync"
	"time"
)

// watch is the watchdog: while the migrate command runs it polls pg_stat_activity and logs every
// session blocked behind the migration's sessions, once when it starts waiting and once when it
// stops, and keeps a summary over the whole run (all attempts).
type watch struct {
	r *Runner

	mu      sync.Mutex
	seen    map[int]bool
	sum     WatchdogSummary
	current map[int]Session // blocked at the last poll
}

func newWatch(r *Runner) *watch {
	return &watch{r: r, seen: map[int]bool{}, current: map[int]Session{}}
}

func (w *watch) summary() WatchdogSummary {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sum
}

// run polls until stop is closed. A poll is never cancelled midway (that could break the
// monitoring session): each is bounded by its own timeout, and stop is checked between polls.
func (w *watch) run(stop <-chan struct{}, mon *monitor) {
	t := time.NewTicker(w.r.poll())
	defer t.Stop()
	failedOnce := false
	for {
		qctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		blocked, err := mon.blockedBehind(qctx)
		cancel()
		if err != nil && !failedOnce {
			failedOnce = true
			w.r.logf("watchdog: %v", err)
		}
		if err == nil {
			w.observe(blocked)
		}
		select {
		case <-stop:
			w.observe(nil) // the command ended: whoever was blocked is released
			return
		case <-t.C:
		}
	}
}

func (w *watch) observe(blocked []Session) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.r.now()
	next := map[int]Session{}
	for _, s := range blocked {
		next[s.PID] = s
		if !w.seen[s.PID] {
			w.seen[s.PID] = true
			w.sum.Sessions++
		}
		if _, ok := w.current[s.PID]; !ok {
			w.r.logf("watchdog: session blocked behind the migration: %s", describe(s, now))
		}
		if s.Waiting > w.sum.LongestWait {
			w.sum.LongestWait = s.Waiting
		}
	}
	for pid, s := range w.current {
		if _, ok := next[pid]; !ok {
			w.r.logf("watchdog: pid=%d no longer blocked (waited at least %s)", pid, s.Waiting.Round(time.Millisecond))
		}
	}
	if len(next) > w.sum.MaxBlocked {
		w.sum.MaxBlocked = len(next)
	}
	w.current = next
}
