package heroku

import (
	"fmt"
	"strings"
	"time"
)

// DefaultProgressInterval is how often a running transfer gets a progress line when its state
// does not change: often enough to show it moves in `heroku releases:output`, rarely enough that
// a 40-minute restore prints about 80 lines.
const DefaultProgressInterval = 30 * time.Second

// Kind names the transfer for people: "scheduled backup", "backup", "restore" or "copy".
func (t Transfer) Kind() string {
	switch {
	case t.IsBackup() && t.Scheduled:
		return "scheduled backup"
	case t.IsBackup():
		return "backup"
	case t.IsRestore():
		return "restore"
	}
	return "copy"
}

// Status is the transfer's live state in words: "pending", "running, processed 1.2 GB of
// 3.0 GB (40%)", "completed", "failed", "canceled".
func (t Transfer) Status() string {
	switch {
	case t.CanceledAt != nil:
		return "canceled"
	case t.Finished() && t.Succeeded:
		return "completed"
	case t.Finished():
		return "failed"
	case t.StartedAt == nil:
		return "pending"
	}
	return "running, processed " + t.processed()
}

// processed is "1.2 GB of 3.0 GB (40%)", or "1.2 GB" when the source size is unknown.
func (t Transfer) processed() string {
	s := bytesize(t.ProcessedBytes)
	if t.SourceBytes > 0 {
		s += fmt.Sprintf(" of %s (%d%%)", bytesize(t.SourceBytes), min(100, t.ProcessedBytes*100/t.SourceBytes))
	}
	return s
}

// phase is what a change of makes a progress line at once.
func (t Transfer) phase() string {
	switch {
	case t.Finished() || t.CanceledAt != nil:
		return "finished"
	case t.StartedAt == nil:
		return "pending"
	}
	return "running"
}

// progressReport decides when a wait writes a progress line and what it says.
type progressReport struct {
	now   func() time.Time
	start time.Time
	every time.Duration

	phase string
	last  time.Time
}

// elapsed is how long the transfer has run: since its started_at when that is plausible on this
// clock, else since the wait began.
func (p *progressReport) elapsed(t Transfer) time.Duration {
	now := p.now()
	from := p.start
	if t.StartedAt != nil && !t.StartedAt.After(now) && now.Sub(*t.StartedAt) < 24*time.Hour {
		from = *t.StartedAt
	}
	return now.Sub(from)
}

// line returns the progress line for t, and whether to write it now: on a change of phase, and
// while running at most every p.every.
func (p *progressReport) line(t Transfer) (string, bool) {
	now := p.now()
	ph := t.phase()
	if ph == p.phase && (ph != "running" || now.Sub(p.last) < p.every) {
		return "", false
	}
	p.phase, p.last = ph, now
	s := t.Name + ": " + t.Status()
	if ph == "running" {
		el := p.elapsed(t)
		if r := rate(t.ProcessedBytes, el); r != "" {
			s += ", " + r
		}
		s += ", " + roundDuration(el) + " elapsed"
	}
	return s, true
}

// final is the line for a finished transfer: "b005: completed, 3.0 GB in 41m2s (1.2 MB/s)".
func (p *progressReport) final(t Transfer) string {
	el := p.elapsed(t)
	if t.StartedAt != nil && t.FinishedAt != nil && !t.FinishedAt.Before(*t.StartedAt) {
		el = t.FinishedAt.Sub(*t.StartedAt)
	}
	s := t.Name + ": " + t.Status()
	if t.Warnings > 0 && t.Succeeded {
		s += fmt.Sprintf(" with %d warnings", t.Warnings)
	}
	s += fmt.Sprintf(", %s in %s", bytesize(t.ProcessedBytes), roundDuration(el))
	if r := rate(t.ProcessedBytes, el); r != "" {
		s += " (" + r + ")"
	}
	return s
}

// rate is "12.3 MB/s", or "" when nothing can be said yet.
func rate(n int64, d time.Duration) string {
	if d < time.Second || n <= 0 {
		return ""
	}
	return bytesize(int64(float64(n)/d.Seconds())) + "/s"
}

func roundDuration(d time.Duration) string { return d.Round(time.Second).String() }

// StillRunningError is a wait for a transfer that ended (the release's time budget ran out, or the
// run was interrupted) while Heroku still runs the transfer. The transfer has not failed: it goes
// on, and Heroku finishes it on its own. The error says its live state and what to run.
type StillRunningError struct {
	Transfer Transfer
	// App is the app to pass to the heroku commands (the database's billing app).
	App string
	// Elapsed is how long the transfer has run.
	Elapsed time.Duration
	// LastPoll is the last poll's error when it failed (the state is then the last one read).
	LastPoll error
	// Blocking is true when the transfer is not the one asked for but another one (a scheduled
	// backup) that Heroku had to finish first: no backup was captured.
	Blocking bool
}

// Status is "restore r014 still running on Heroku after 41m0s (processed 2.1 GB of 3.0 GB (70%))".
func (e *StillRunningError) Status() string {
	t := e.Transfer
	state := "pending"
	if t.StartedAt != nil {
		state = "processed " + t.processed()
	}
	return fmt.Sprintf("%s %s still running on Heroku after %s (%s)", t.Kind(), t.Name, roundDuration(e.Elapsed), state)
}

// Commands are what a human runs to follow the transfer, and to stop it if wanted
// (`pg:backups:cancel [BACKUP_ID]` cancels "an in-progress backup or restore": heroku/cli
// src/commands/pg/backups/cancel.ts).
func (e *StillRunningError) Commands() []string {
	return []string{
		fmt.Sprintf("heroku pg:backups:info %s --app %s", e.Transfer.Name, e.App),
		fmt.Sprintf("heroku pg:backups:cancel %s --app %s", e.Transfer.Name, e.App),
	}
}

func (e *StillRunningError) Error() string {
	var b strings.Builder
	if e.Blocking {
		b.WriteString("no backup captured: Heroku refuses one while another transfer runs, and ")
	}
	b.WriteString(e.Status())
	if e.LastPoll != nil {
		fmt.Fprintf(&b, " (as last read; the last poll failed: %v)", e.LastPoll)
	}
	c := e.Commands()
	fmt.Fprintf(&b, "; follow it with `%s`; stop it, if wanted, with `%s`", c[0], c[1])
	return b.String()
}
