package report

import (
	"encoding/json"
	"io"

	"github.com/zdcd/zdcd/internal/analysis"
)

// JSONReport is the JSON format: a public contract, kept stable (DESIGN.md, "Report contract").
// Keys are encoded in the order of the fields below, indented by two spaces, with a trailing
// newline, and with <, > and & left as they are. Lists are never null: an empty list is [].
//
// Contract fields (never renamed, removed or retyped):
//
//	safe, nightly, server_version, migrations[]
//	migrations[]: app, name, file, safe, findings[]
//	findings[]:   rule, severity, operation, line, statement, message, fix
//
// Additions (beyond the contract; consumers must ignore keys they do not know, and zdcd may add
// more the same way):
//
//	migrations[].atomic      Migration.atomic: false means no transaction around the migration.
//	migrations[].replaces    the migrations a squashed migration stands for, as "app.name".
//	findings[].approval      set when a reviewed approval covers an unsafe finding: by, entry, reason.
//	migrations[].operations  every operation of the migration, in order:
//	    operation  the operation's class ("AddField")
//	    line       its line in the migration file (0 when unknown)
//	    sql        every SQL statement Django runs for it, in the order Django emits them;
//	               for SeparateDatabaseAndState, those of its database operations; [] for
//	               RunPython and state-only operations
//	    deferred   the indexes into sql of the statements Django defers to the end of the
//	               migration (indexes, foreign keys); omitted when there are none
//	ahead[]      the applied migrations the code does not contain (schema ahead of code: a
//	             rollback to older code), judged from the ledger; omitted when there are none:
//	    app, name
//	    verdict             incompatible | compatible | unknown | left-behind (docs/report.md)
//	    safe                true when the ledger recorded it with no unsafe finding (compatible)
//	    blocks              true when it makes the release refuse (incompatible); safe at the
//	                        top is then false
//	    app_installed       false for an app the project does not install
//	    applied_by_release  the Heroku release version whose run applied it (0: unknown)
//	    applied_by_run      that run's id in the ledger (0: unknown)
//	    findings            the unsafe findings the ledger recorded for it, approved ones
//	                        included (an approval let it run, older code still breaks)
type JSONReport struct {
	Safe          bool            `json:"safe"`
	Nightly       bool            `json:"nightly"`
	Initial       bool            `json:"initial,omitempty"`
	ServerVersion int             `json:"server_version"`
	Migrations    []JSONMigration `json:"migrations"`
	// Ahead is an addition to the contract.
	Ahead []JSONAhead `json:"ahead,omitempty"`
}

// JSONAhead is one applied migration the code does not contain (an addition to the contract).
type JSONAhead struct {
	App              string        `json:"app"`
	Name             string        `json:"name"`
	Verdict          string        `json:"verdict"`
	Safe             bool          `json:"safe"`
	Blocks           bool          `json:"blocks"`
	AppInstalled     bool          `json:"app_installed"`
	AppliedByRelease int           `json:"applied_by_release"`
	AppliedByRun     int64         `json:"applied_by_run"`
	Findings         []JSONFinding `json:"findings"`
	// RunHazards are the rules of unsafe findings that concerned only how it ran (locks,
	// rewrites), which do not make older code incompatible.
	RunHazards []string `json:"run_hazards,omitempty"`
}

// JSONMigration is one pending migration in JSONReport.
type JSONMigration struct {
	App      string        `json:"app"`
	Name     string        `json:"name"`
	File     string        `json:"file"`
	Safe     bool          `json:"safe"`
	Findings []JSONFinding `json:"findings"`
	// Additions to the contract.
	Atomic     bool            `json:"atomic"`
	Replaces   []string        `json:"replaces"`
	Operations []JSONOperation `json:"operations"`
}

// JSONFinding is one finding in JSONReport.
type JSONFinding struct {
	Rule      string `json:"rule"`
	Severity  string `json:"severity"`
	Operation string `json:"operation"`
	Line      int    `json:"line"`
	Statement string `json:"statement"`
	Message   string `json:"message"`
	Fix       string `json:"fix"`
	// Approval (an addition to the contract) is set when a reviewed approval covers this unsafe
	// finding: {"by": "ZDCD_ALLOW" | "migration" | "SQL comment", "entry": ..., "reason": ...}.
	Approval *analysis.Approval `json:"approval,omitempty"`
}

// JSONOperation is one operation of a migration in JSONReport (an addition to the contract).
type JSONOperation struct {
	Operation string   `json:"operation"`
	Line      int      `json:"line"`
	SQL       []string `json:"sql"`
	Deferred  []int    `json:"deferred,omitempty"`
}

// NewJSONReport builds the JSON form of r.
func NewJSONReport(r *analysis.Result) JSONReport {
	out := JSONReport{
		Safe:          r.Safe,
		Nightly:       r.Nightly,
		Initial:       r.Initial,
		ServerVersion: r.ServerVersion,
		Migrations:    make([]JSONMigration, 0, len(r.Migrations)),
	}
	for _, mr := range r.Migrations {
		m := mr.Migration
		jm := JSONMigration{
			App:        m.App,
			Name:       m.Name,
			File:       m.File,
			Safe:       mr.Safe,
			Findings:   make([]JSONFinding, 0, len(mr.Findings)),
			Atomic:     m.Atomic,
			Replaces:   make([]string, 0, len(m.Replaces)),
			Operations: make([]JSONOperation, 0, len(m.Operations)),
		}
		for _, f := range mr.Findings {
			jm.Findings = append(jm.Findings, jsonFinding(f))
		}
		for _, k := range m.Replaces {
			jm.Replaces = append(jm.Replaces, k.String())
		}
		for i := range m.Operations {
			op := &m.Operations[i]
			jo := JSONOperation{Operation: op.Class, Line: op.Line, SQL: []string{}}
			for j, s := range statements(op) {
				jo.SQL = append(jo.SQL, s.SQL)
				if s.Deferred {
					jo.Deferred = append(jo.Deferred, j)
				}
			}
			jm.Operations = append(jm.Operations, jo)
		}
		out.Migrations = append(out.Migrations, jm)
	}
	for _, a := range r.Ahead {
		ja := JSONAhead{App: a.App, Name: a.Name, Verdict: string(a.Verdict), Safe: a.Verdict == analysis.AheadCompatible,
			Blocks: a.Blocks(), AppInstalled: a.AppInstalled, AppliedByRelease: a.AppliedByRelease, AppliedByRun: a.AppliedByRun,
			Findings: make([]JSONFinding, 0, len(a.Findings)), RunHazards: a.RunHazards}
		for _, f := range a.Findings {
			ja.Findings = append(ja.Findings, jsonFinding(f))
		}
		out.Ahead = append(out.Ahead, ja)
	}
	return out
}

func jsonFinding(f analysis.Finding) JSONFinding {
	return JSONFinding{
		Rule:      f.Rule,
		Severity:  string(f.Severity),
		Operation: f.Operation,
		Line:      f.Line,
		Statement: f.Statement,
		Message:   f.Message,
		Fix:       f.Fix,
		Approval:  f.Approval,
	}
}

func renderJSON(w io.Writer, r *analysis.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(NewJSONReport(r))
}
