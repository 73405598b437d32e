package trace

import (
	"fmt"
	"io"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
)

// WriteText writes r for people (and Heroku's log stream): per migration, per statement, one line
// per table with the claim beside the observation, then the mismatches and notes under it, and a
// summary line.
//
//	-----> Trace on the scratch database 127.0.0.1:5432/scratch (PostgreSQL 15.4): ...
//
//	shop.0004_order_coupon_code: traced
//	  CREATE INDEX "shop_order_coupon_code_3a3d5d4d" ON "shop_order" ("coupon_code")
//	    shop_order  claimed SHARE, scan  observed SHARE, scan  ok
func WriteText(w io.Writer, r *Result) error {
	var b strings.Builder
	target := r.Target
	if target == "" {
		target = "the scratch database"
	}
	fmt.Fprintf(&b, "-----> Trace on %s (PostgreSQL %s): each atomic migration's statements run in one transaction, rolled back at the end\n", target, versionString(r.ServerVersion))
	if !r.ScansObservable {
		b.WriteString("       track_counts is off on this server: scans are not observed\n")
	}
	statements, traced, skipped, unobservable := 0, 0, 0, 0
	for _, m := range r.Migrations {
		b.WriteString("\n" + m.App + "." + m.Name + ": " + string(m.Status))
		if m.Reason != "" {
			b.WriteString(": " + m.Reason)
		}
		b.WriteByte('\n')
		switch m.Status {
		case Traced, Failed:
			traced++
		default:
			skipped++
		}
		for _, n := range m.Notes {
			b.WriteString("  note: " + n + "\n")
		}
		for _, s := range m.Statements {
			statements++
			b.WriteString("  " + oneLine(s.SQL, 140) + "\n")
			if s.Error != "" {
				b.WriteString("    failed: " + s.Error + "\n")
				continue
			}
			width := 0
			for _, t := range s.Tables {
				width = max(width, len(t.Table))
			}
			for _, t := range s.Tables {
				verdict := t.Verdict
				switch t.Verdict {
				case VerdictMismatch:
					verdict = "MISMATCH"
				case VerdictUnobservable:
					verdict = "not observable"
				case VerdictUnclaimed:
					verdict = "ok (not claimed)"
				}
				if t.Verdict == VerdictUnobservable {
					unobservable++
				}
				fmt.Fprintf(&b, "    %-*s  claimed %-30s observed %-30s %s\n", width, t.Table, claimText(t.Claimed), observedText(t.Observed), verdict)
				for _, m := range t.Mismatches {
					b.WriteString("      mismatch: " + m + "\n")
				}
				for _, n := range t.Notes {
					b.WriteString("      (" + n + ")\n")
				}
			}
			if len(s.Tables) == 0 {
				b.WriteString("    no table claimed or locked\n")
			}
		}
	}
	n := r.Mismatches()
	fmt.Fprintf(&b, "\nTrace: %d %s in %d traced %s", statements, plural(statements, "statement", "statements"), traced, plural(traced, "migration", "migrations"))
	if skipped > 0 {
		fmt.Fprintf(&b, " (%d not traced)", skipped)
	}
	fmt.Fprintf(&b, ", %d %s between zdcd's lock model and the server", n, plural(n, "mismatch", "mismatches"))
	if unobservable > 0 {
		fmt.Fprintf(&b, " (%d %s not observable, see the notes)", unobservable, plural(unobservable, "claim", "claims"))
	}
	b.WriteString(".\n")
	if n > 0 {
		b.WriteString("A mismatch is a claim the rules judged by that this server contradicts; docs/trace.md lists the known ones. Report others as a zdcd bug.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func claimText(c *Claim) string {
	if c == nil {
		return "nothing"
	}
	return effectText(analysis.LockMode(c.Mode), c.Rewrite, c.Scan)
}

func observedText(o Observed) string {
	s := effectText(analysis.LockMode(o.Mode), o.Rewrite, o.Scan)
	if o.Mode == Lock(analysis.NoLock) && len(o.Held) > 0 {
		s = "no new lock"
		if o.Rewrite {
			s += ", rewrite"
		}
		if o.Scan {
			s += ", scan"
		}
	}
	return s
}

func effectText(m analysis.LockMode, rewrite, scan bool) string {
	s := m.String()
	if rewrite {
		s += ", rewrite"
	}
	if scan {
		s += ", scan"
	}
	return s
}

func versionString(v int) string {
	if v <= 0 {
		return "?"
	}
	if v >= 100000 {
		return fmt.Sprintf("%d.%d", v/10000, v%10000)
	}
	return fmt.Sprintf("%d.%d.%d", v/10000, v/100%100, v%100)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// oneLine folds whitespace and cuts s to at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}
