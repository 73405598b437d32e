package ledger

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteHistoryJSON writes runs as a JSON array (the `history --format json` contract).
func WriteHistoryJSON(w io.Writer, runs []RunSummary) error {
	if runs == nil {
		runs = []RunSummary{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(runs)
}

// WriteRunJSON writes one run's detail as JSON.
func WriteRunJSON(w io.Writer, d *Detail) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

func release(r Run) string {
	if r.ReleaseVersion > 0 {
		return fmt.Sprintf("v%d", r.ReleaseVersion)
	}
	return "-"
}

func outcome(r Run) string {
	switch {
	case r.Outcome == "":
		return "unfinished"
	case r.Superseded():
		return string(r.Outcome) + " (superseded)"
	}
	return string(r.Outcome)
}

func duration(r Run) string {
	if r.FinishedAt.IsZero() {
		return "-"
	}
	return r.FinishedAt.Sub(r.StartedAt).Round(10 * time.Millisecond).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// WriteHistoryText writes runs as an aligned table, one line a run.
func WriteHistoryText(w io.Writer, runs []RunSummary) error {
	if len(runs) == 0 {
		_, err := fmt.Fprintln(w, "No runs recorded in the ledger yet.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED (UTC)\tCOMMAND\tRELEASE\tVERDICT\tOUTCOME\tEXIT\tMIGRATIONS\tAPPLIED\tDURATION")
	for _, s := range runs {
		exit := "-"
		if s.Finished() {
			exit = fmt.Sprint(s.ExitCode)
		}
		migrations := fmt.Sprint(s.Migrations)
		if s.Unsafe > 0 {
			migrations += fmt.Sprintf(" (%d unsafe)", s.Unsafe)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", s.ID, s.StartedAt.UTC().Format("2006-01-02 15:04:05"),
			s.Command, release(s.Run), orDash(string(s.Verdict)), outcome(s.Run), exit, migrations, s.Applied, duration(s.Run))
	}
	return tw.Flush()
}

// WriteRunText writes one run's detail for a human.
func WriteRunText(w io.Writer, d *Detail) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Run %d: %s", d.ID, d.Command)
	if d.AppName != "" {
		fmt.Fprintf(&b, " of %s", d.AppName)
	}
	fmt.Fprintf(&b, " release %s", release(d.Run))
	if d.SlugID != "" {
		fmt.Fprintf(&b, " (slug %s)", d.SlugID)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "  started   %s\n", d.StartedAt.UTC().Format(time.RFC3339))
	if !d.FinishedAt.IsZero() {
		fmt.Fprintf(&b, "  finished  %s (%s)\n", d.FinishedAt.UTC().Format(time.RFC3339), duration(d.Run))
	}
	fmt.Fprintf(&b, "  verdict   %s\n", orDash(string(d.Verdict)))
	fmt.Fprintf(&b, "  outcome   %s", outcome(d.Run))
	if d.Finished() {
		fmt.Fprintf(&b, " (exit %d)", d.ExitCode)
	}
	b.WriteString("\n")
	if d.Superseded() {
		fmt.Fprintf(&b, "  superseded %s: %s\n", d.SupersededAt.UTC().Format(time.RFC3339), d.SupersededReason)
	}
	if d.ServerVersion > 0 {
		fmt.Fprintf(&b, "  server    %d\n", d.ServerVersion)
	}
	if d.ZdcdVersion != "" {
		fmt.Fprintf(&b, "  zdcd      %s\n", d.ZdcdVersion)
	}
	if d.BackupID != "" || d.BackupLocation != "" {
		fmt.Fprintf(&b, "  backup    %s %s\n", orDash(d.BackupID), d.BackupLocation)
	}
	if d.Error != "" {
		fmt.Fprintf(&b, "  error     %s\n", strings.ReplaceAll(strings.TrimSpace(d.Error), "\n", "\n            "))
	}
	if len(d.Migrations) > 0 {
		b.WriteString("\nPlan:\n")
		for _, m := range d.Migrations {
			mark := "safe"
			if !m.Safe {
				mark = "UNSAFE"
			}
			fmt.Fprintf(&b, "  %s.%s  %s", m.App, m.Name, mark)
			if m.Digest != "" {
				fmt.Fprintf(&b, "  digest %s", ShortDigest(m.Digest))
			}
			b.WriteString("\n")
			for _, f := range m.Findings {
				fmt.Fprintf(&b, "    [%s] %s", f.Severity, f.Rule)
				if f.Operation != "" {
					fmt.Fprintf(&b, " in %s", f.Operation)
				}
				if f.Line > 0 {
					fmt.Fprintf(&b, " (line %d)", f.Line)
				}
				b.WriteString("\n")
				if f.Message != "" {
					fmt.Fprintf(&b, "      %s\n", oneLine(f.Message))
				}
				if f.Approval != nil {
					fmt.Fprintf(&b, "      approved by %s: %s", f.Approval.By, f.Approval.Entry)
					if f.Approval.Reason != "" {
						fmt.Fprintf(&b, " (%s)", f.Approval.Reason)
					}
					b.WriteString("\n")
				}
			}
		}
	}
	if d.Before != nil || d.After != nil {
		b.WriteString("\nApplied:\n")
		applied, unapplied := d.Applied(), d.Unapplied()
		if len(applied) == 0 && len(unapplied) == 0 {
			b.WriteString("  no change\n")
		}
		for _, k := range applied {
			fmt.Fprintf(&b, "  + %s\n", k)
		}
		for _, k := range unapplied {
			fmt.Fprintf(&b, "  - %s\n", k)
		}
	}
	if len(d.Steps) > 0 {
		b.WriteString("\nSteps:\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, s := range d.Steps {
			ok := "ok"
			if !s.OK {
				ok = "FAILED"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", s.Name, s.Duration().Round(time.Millisecond), ok, oneLine(s.Detail))
		}
		tw.Flush()
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ShortDigest shortens a plan digest for people: the first 12 hex digits after "sha256:"
// ("sha256:0123456789abcdef..." → "0123456789ab"). Other text is returned as is.
func ShortDigest(digest string) string {
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok {
		return digest
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return hex
}

// ShortDigestLabeled is ShortDigest keeping the algorithm: "sha256:0123456789ab" (approve's list
// and the nightly log name a digest this way). Other text is returned as is.
func ShortDigestLabeled(digest string) string {
	if short := ShortDigest(digest); short != digest {
		return "sha256:" + short
	}
	return digest
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
