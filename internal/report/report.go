// Package report renders an analysis.Result: as text for people and Heroku's log stream, as JSON
// (the public contract of DESIGN.md, "Report contract"), or as GitHub workflow annotations.
//
// Rendering is pure: it reads the Result and Options and writes to w, nothing else.
package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

// Format is a report format, as given to --format.
type Format string

const (
	// Text is for people: the default, plain unless Options.Color.
	Text Format = "text"
	// JSON is the public contract (DESIGN.md, "Report contract").
	JSON Format = "json"
	// GitHub is one workflow command per finding (::error / ::warning) and a ::notice:: summary.
	GitHub Format = "github"
)

// ParseFormat parses --format. It ignores case; an empty value is Text.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		return Text, nil
	case Text, JSON, GitHub:
		return f, nil
	default:
		return "", fmt.Errorf("unknown --format %q: use text, json or github", s)
	}
}

// Options tune rendering.
type Options struct {
	// Color enables ANSI colour in the text format (the caller decides: a terminal, and no
	// NO_COLOR). Other formats ignore it.
	Color bool
	// ProjectDir is the Django project directory; migration files are relative to it. WorkDir is
	// the working directory. The github format joins a migration's file to ProjectDir and makes it
	// relative to WorkDir, so that GitHub can place the annotation in the repository.
	ProjectDir string
	WorkDir    string
}

// Render writes r to w in format f.
func Render(w io.Writer, f Format, r *analysis.Result, o Options) error {
	if r == nil {
		return fmt.Errorf("render report: no result")
	}
	switch f {
	case Text, "":
		return renderText(w, r, o)
	case JSON:
		return renderJSON(w, r)
	case GitHub:
		return renderGitHub(w, r, o)
	default:
		return fmt.Errorf("unknown --format %q: use text, json or github", string(f))
	}
}

// Approved counts the migrations that are safe only because approvals cover their unsafe findings.
func Approved(r *analysis.Result) int {
	n := 0
	for i := range r.Migrations {
		if approvedMigration(&r.Migrations[i]) {
			n++
		}
	}
	return n
}

func approvedMigration(m *analysis.MigrationResult) bool {
	if !m.Safe {
		return false
	}
	for _, f := range m.Findings {
		if f.Severity == analysis.Unsafe && f.Approval != nil {
			return true
		}
	}
	return false
}

// Summary is the report's last line, the same in every format that has one:
// "No pending migrations.", "3 pending migrations, all safe",
// "3 pending migrations, 1 unsafe: release refused",
// "3 pending migrations, 1 unsafe: approved by NIGHTLY_BUILD".
func Summary(r *analysis.Result) string {
	n := len(r.Migrations)
	if n == 0 {
		return "No pending migrations."
	}
	s := fmt.Sprintf("%d pending %s", n, plural(n, "migration", "migrations"))
	unsafe := r.Unsafe()
	switch {
	case r.Safe && Approved(r) > 0:
		// Safe only because reviewed approvals cover the unsafe findings.
		return fmt.Sprintf("%s, %d unsafe: approved", s, Approved(r))
	case r.Safe:
		return s + ", all safe"
	case r.Nightly:
		return fmt.Sprintf("%s, %d unsafe: approved by NIGHTLY_BUILD", s, unsafe)
	case r.Initial:
		return fmt.Sprintf("%s, %d unsafe: allowed, first deploy to an empty database (no old release serves from it)", s, unsafe)
	default:
		return fmt.Sprintf("%s, %d unsafe: release refused", s, unsafe)
	}
}

// ServerVersion renders server_version_num: 150004 → "15.4", 90624 → "9.6.24", 0 → "unknown".
func ServerVersion(v int) string {
	switch {
	case v <= 0:
		return "unknown"
	case v >= 100000:
		return fmt.Sprintf("%d.%d", v/10000, v%10000)
	default:
		return fmt.Sprintf("%d.%d.%d", v/10000, v/100%100, v%100)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// statements returns what an operation runs, in order. Operation.SQL is authoritative; the
// fallbacks cover a source that fills only RunSQL or only the nested database operations.
func statements(op *plan.Operation) []plan.Statement {
	if len(op.SQL) > 0 {
		return op.SQL
	}
	if op.RunSQL != nil {
		out := make([]plan.Statement, len(op.RunSQL.SQL))
		for i, s := range op.RunSQL.SQL {
			out[i] = plan.Statement{SQL: s}
		}
		return out
	}
	var out []plan.Statement
	for i := range op.DatabaseOperations {
		out = append(out, statements(&op.DatabaseOperations[i])...)
	}
	return out
}

// approvalText says who approved a finding: "ZDCD_ALLOW (shop.0002_x:drop-column)",
// "migration (zdcd_exempt["drop-column"]): unused since release 42".
func approvalText(a *analysis.Approval) string {
	s := a.By
	if a.Entry != "" {
		s += " (" + a.Entry + ")"
	}
	if a.Reason != "" {
		s += ": " + a.Reason
	}
	return s
}
