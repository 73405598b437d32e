package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

// The text format, for a terminal and for Heroku's log stream (where every line gets a timestamp
// prefix, so the layout relies on indentation only, never on columns across lines):
//
//	Verdict: UNSAFE (PostgreSQL 15.4)
//
//	shop.0007_remove_price  (shop/migrations/0007_remove_price.py)  UNSAFE
//	  RemoveField (line 12): Remove field price from product
//	    ALTER TABLE "shop_product" DROP COLUMN "price" CASCADE
//	  UNSAFE remove-field (RemoveField, line 12)
//	    <message>
//	    Statement: ALTER TABLE "shop_product" DROP COLUMN "price" CASCADE
//	    Fix:
//	      <fix, line by line>
//
//	1 pending migration, 1 unsafe: release refused
//
// A migration's header is followed by "replaces: ..." for a squashed migration and a note when it
// is not atomic; then its operations, each with the SQL it runs (statements Django defers to the
// end of the migration are marked "[deferred]"); then its findings. Nothing pending prints only
// "No pending migrations.".

// ANSI styles, used only with Options.Color.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[1;31m"
	ansiGreen  = "\x1b[1;32m"
	ansiYellow = "\x1b[1;33m"
)

type textWriter struct {
	b     strings.Builder
	color bool
}

func (t *textWriter) style(code, s string) string {
	if !t.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

// line writes one line: indent, then s (which must not contain a line break).
func (t *textWriter) line(indent int, s string) {
	t.b.WriteString(strings.Repeat(" ", indent))
	t.b.WriteString(s)
	t.b.WriteByte('\n')
}

// block writes a possibly multi-line text: first after prefix, the next lines aligned under it.
// Surrounding blank lines and trailing spaces go; Windows line endings are normalised.
func (t *textWriter) block(indent int, prefix, styledPrefix, text string) {
	lines := splitLines(text)
	pad := strings.Repeat(" ", indent+len(prefix))
	for i, l := range lines {
		if i == 0 {
			t.line(indent, styledPrefix+l)
			continue
		}
		if l == "" {
			t.b.WriteByte('\n')
			continue
		}
		t.b.WriteString(pad)
		t.b.WriteString(l)
		t.b.WriteByte('\n')
	}
}

// splitLines splits s into lines without trailing blanks, drops blank lines at either end, and
// removes the indentation all lines share (SQL written inside an indented Python string).
func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	for len(lines) > 1 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 1 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	common := -1
	for _, l := range lines {
		if l == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if common < 0 || n < common {
			common = n
		}
	}
	for i, l := range lines {
		if len(l) >= common && common > 0 {
			lines[i] = l[common:]
		}
	}
	return lines
}

func renderText(w io.Writer, r *analysis.Result, o Options) error {
	t := &textWriter{color: o.Color}
	if len(r.Migrations) == 0 {
		t.line(0, Summary(r))
		t.ahead(r.Ahead)
		_, err := io.WriteString(w, t.b.String())
		return err
	}

	verdict := t.style(ansiGreen, "SAFE")
	switch {
	case r.Safe && Approved(r) > 0:
		verdict = t.style(ansiYellow, "UNSAFE") + ", approved"
	case !r.Safe && r.Nightly:
		verdict = t.style(ansiYellow, "UNSAFE") + ", approved by NIGHTLY_BUILD"
	case !r.Safe && r.Initial:
		verdict = t.style(ansiYellow, "UNSAFE") + ", allowed: first deploy to an empty database"
	case !r.Safe:
		verdict = t.style(ansiRed, "UNSAFE") + ", release refused"
	}
	version := "PostgreSQL " + ServerVersion(r.ServerVersion)
	if r.ServerVersion <= 0 {
		version = "PostgreSQL version unknown"
	}
	t.line(0, fmt.Sprintf("Verdict: %s (%s)", verdict, version))

	for i := range r.Migrations {
		t.b.WriteByte('\n')
		t.migration(&r.Migrations[i])
	}
	t.b.WriteByte('\n')
	t.line(0, t.style(ansiBold, Summary(r)))
	t.ahead(r.Ahead)
	_, err := io.WriteString(w, t.b.String())
	return err
}

// ahead writes the applied migrations the code does not contain, with the ledger's verdicts:
//
//	Schema ahead of code: 1 applied migration this code does not contain
//	  accounts.0004_customer_is_vip  INCOMPATIBLE  applied by v7 (run 4)
//	    UNSAFE add-required-column (approved by ZDCD_ALLOW)
//	      <message>
//	  This code cannot run on the schema: release refused; `zdcd-release rollback` (docs/release.md)
func (t *textWriter) ahead(as []analysis.Ahead) {
	if len(as) == 0 {
		return
	}
	t.b.WriteByte('\n')
	t.line(0, t.style(ansiBold, fmt.Sprintf("Schema ahead of code: %d applied %s this code does not contain",
		len(as), plural(len(as), "migration", "migrations"))))
	blocks := 0
	for _, a := range as {
		by := "not applied by any run the ledger recorded"
		switch {
		case a.AppliedByRelease > 0:
			by = fmt.Sprintf("applied by v%d (run %d)", a.AppliedByRelease, a.AppliedByRun)
		case a.AppliedByRun > 0:
			by = fmt.Sprintf("applied by run %d", a.AppliedByRun)
		}
		var status string
		switch a.Verdict {
		case analysis.AheadIncompatible:
			blocks++
			status = t.style(ansiRed, "INCOMPATIBLE") + "  " + by
		case analysis.AheadCompatible:
			status = t.style(ansiGreen, "COMPATIBLE") + "  " + by + ": " + a.Compatible()
		case analysis.AheadUnknown:
			status = t.style(ansiYellow, "UNKNOWN") + "  " + by + ": no recorded plan holds it, so it cannot be judged (not refused)"
		default:
			status = "LEFT BEHIND  recorded before every migration this code has (an app removed, files deleted after a squash): not judged"
		}
		t.line(2, t.style(ansiBold, a.Key().String())+"  "+status)
		for _, f := range a.Findings {
			head := "UNSAFE " + f.Rule
			if f.Approval != nil {
				head += " (approved by " + f.Approval.By + ": an approval let it run, older code still breaks)"
			}
			t.line(4, t.style(ansiRed, head))
			t.block(6, "", "", f.Message)
		}
	}
	if blocks > 0 {
		t.line(2, t.style(ansiBold, "This code cannot run on the schema: release refused. `zdcd-release rollback --to vN` restores the backup taken before those migrations (docs/release.md)."))
	}
}

func (t *textWriter) migration(mr *analysis.MigrationResult) {
	m := &mr.Migration
	status := t.style(ansiGreen, "SAFE")
	switch {
	case !mr.Safe:
		status = t.style(ansiRed, "UNSAFE")
	case approvedMigration(mr):
		status = t.style(ansiYellow, "APPROVED")
	}
	header := t.style(ansiBold, m.App+"."+m.Name)
	if m.File != "" {
		header += "  (" + m.File + ")"
	}
	t.line(0, header+"  "+status)

	if len(m.Replaces) > 0 {
		names := make([]string, len(m.Replaces))
		for i, k := range m.Replaces {
			names[i] = k.String()
		}
		t.line(2, "replaces: "+strings.Join(names, ", "))
	}
	if !m.Atomic {
		t.line(2, "not atomic (atomic = False): no transaction around the migration; each statement commits on its own")
	}
	if len(m.Operations) == 0 {
		t.line(2, "(no operations)")
	}
	for i := range m.Operations {
		t.operation(2, &m.Operations[i])
	}
	for _, f := range mr.Findings {
		t.finding(f)
	}
}

func (t *textWriter) operation(indent int, op *plan.Operation) {
	head := op.Class
	if op.Line > 0 {
		head += " (line " + strconv.Itoa(op.Line) + ")"
	}
	if d := strings.TrimSpace(op.Describe); d != "" {
		head += ": " + firstLine(d)
	}
	t.line(indent, head)
	indent += 2

	if op.SQLError != "" {
		t.block(indent, "SQL not rendered: ", "SQL not rendered: ", op.SQLError)
	}
	if op.Python != nil {
		t.line(indent, "runs Python: "+pythonLocation(op.Python))
	}
	// SeparateDatabaseAndState's SQL is its database operations': show them, each with its own.
	nested := op.Class == "SeparateDatabaseAndState" && len(op.DatabaseOperations) > 0
	if nested {
		for i := range op.DatabaseOperations {
			t.operation(indent, &op.DatabaseOperations[i])
		}
	} else {
		for _, s := range statements(op) {
			if s.Deferred {
				t.block(indent, "[deferred] ", t.style(ansiDim, "[deferred]")+" ", s.SQL)
			} else {
				t.block(indent, "", "", s.SQL)
			}
		}
	}
	stateOps := op.StateOperations
	if op.RunSQL != nil {
		stateOps = append(stateOps[:len(stateOps):len(stateOps)], op.RunSQL.StateOperations...)
	}
	if len(stateOps) > 0 {
		names := make([]string, len(stateOps))
		for i, s := range stateOps {
			names[i] = s.Class
		}
		t.line(indent, "state only (no SQL): "+strings.Join(names, ", "))
	}
	if !nested && len(statements(op)) == 0 && op.SQLError == "" && op.Python == nil && len(stateOps) == 0 {
		t.line(indent, "(no SQL)")
	}
}

func (t *textWriter) finding(f analysis.Finding) {
	sev := strings.ToUpper(string(f.Severity))
	switch f.Severity {
	case analysis.Unsafe:
		sev = t.style(ansiRed, sev)
	case analysis.Warning:
		sev = t.style(ansiYellow, sev)
	}
	where := f.Operation
	if f.Line > 0 {
		if where != "" {
			where += ", "
		}
		where += "line " + strconv.Itoa(f.Line)
	}
	if f.Approval != nil {
		sev = t.style(ansiYellow, "APPROVED")
	}
	head := sev + " " + t.style(ansiBold, f.Rule)
	if where != "" {
		head += " (" + where + ")"
	}
	t.line(2, head)
	if f.Approval != nil {
		t.block(4, "", "", "Approved by "+approvalText(f.Approval))
	}
	if strings.TrimSpace(f.Message) != "" {
		t.block(4, "", "", f.Message)
	}
	if strings.TrimSpace(f.Statement) != "" {
		t.block(4, "Statement: ", "Statement: ", f.Statement)
	}
	if strings.TrimSpace(f.Fix) != "" {
		t.line(4, "Fix:")
		for _, l := range splitLines(f.Fix) {
			if l == "" {
				t.b.WriteByte('\n')
				continue
			}
			t.line(6, l)
		}
	}
}

func pythonLocation(p *plan.PythonCode) string {
	s := p.Function
	if p.File != "" {
		loc := p.File
		if p.Line > 0 {
			loc += ":" + strconv.Itoa(p.Line)
		}
		s += " (" + loc + ")"
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}
