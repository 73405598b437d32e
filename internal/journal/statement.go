package journal

import (
	"fmt"
	"io"
	"strings"
)

// Statement is what a run prints when it stops in a state a human must finish (exit 4): the
// problem, the state of the database, the app and the release, and the commands that finish the
// job by hand. Every flow prints it with Print, under one header.
type Statement struct {
	// Flow names the flow in the header ("NIGHTLY", "ROLLBACK"); "" for the release phase.
	Flow string
	// Running is true when nothing failed but a human must still wait and finish: Heroku still
	// restores.
	Running bool
	// Problem is what went wrong, one sentence.
	Problem string
	// Facts are the state lines, in order (Database, Backup, App, Workers, Release, Code).
	Facts []Fact
	// Lead introduces the commands (default "To finish by hand:").
	Lead string
	// Commands finish the job by hand, one a line (a line may end with a # comment).
	Commands []string
	// RunID, when set, ends the statement with the history command that shows the run.
	RunID int64
}

// Fact is one state line of a statement: "  Database:  restored from backup b005.".
type Fact struct {
	Label, Text string
}

// Header is the statement's first line: one phrase to alert on in every flow.
func Header(flow string, running bool) string {
	what := "RECOVERY FAILED"
	if running {
		what = "RECOVERY NOT FINISHED (the restore is still running on Heroku)"
	}
	if flow != "" {
		what = flow + " " + what
	}
	return "!!!!!! " + what + ": a human must act."
}

// Print writes the statement after an empty line.
func (s Statement) Print(w io.Writer) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, Header(s.Flow, s.Running))
	fmt.Fprintf(w, "  Problem:   %s.\n", strings.TrimRight(s.Problem, "."))
	WriteFacts(w, s.Facts)
	lead := s.Lead
	if lead == "" {
		lead = "To finish by hand:"
	}
	fmt.Fprintf(w, "  %s\n", lead)
	WriteCommands(w, s.Commands)
	if s.RunID != 0 {
		fmt.Fprintf(w, "  Then: `zdcd-release history %d` shows this run.\n", s.RunID)
	}
}

// WriteFacts writes state lines, their texts aligned.
func WriteFacts(w io.Writer, facts []Fact) {
	for _, f := range facts {
		fmt.Fprintf(w, "  %-11s%s\n", f.Label+":", f.Text)
	}
}

// WriteCommands writes commands a human runs, indented.
func WriteCommands(w io.Writer, cmds []string) {
	for _, c := range cmds {
		fmt.Fprintf(w, "    %s\n", c)
	}
}
