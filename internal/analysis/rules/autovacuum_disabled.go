package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// AutovacuumDisabled: a migration that leaves autovacuum off for a table (or its TOAST table). Dead
// rows pile up, statistics go stale, and only the forced anti-wraparound vacuum still runs.
var AutovacuumDisabled = analysis.Rule{
	Name:      "autovacuum-disabled",
	Severity:  analysis.Warning,
	Summary:   "autovacuum_enabled = false: the table bloats and its statistics go stale until someone vacuums it by hand",
	Migration: autovacuumDisabled,
}

// autovacuumDisabled runs once per migration, so that turning autovacuum off for a bulk load and
// back on later in the same migration is not reported.
func autovacuumDisabled(p *analysis.Pass) {
	type key struct{ table, option string }
	pending := map[key]*analysis.Stmt{}
	var order []key
	visit := func(st *analysis.Stmt, table string, opts []sqlparse.Option) {
		for _, o := range opts {
			if o.Name != "autovacuum_enabled" && o.Name != "toast.autovacuum_enabled" {
				continue
			}
			k := key{table, o.Name}
			if autovacuumOff(o.Value) {
				if pending[k] == nil {
					order = append(order, k)
				}
				pending[k] = st
			} else {
				delete(pending, k) // turned back on, or RESET to the default (on)
			}
		}
	}
	for _, st := range p.Stmts {
		switch s := st.Statement.(type) {
		case *sqlparse.CreateTable:
			if !s.Temporary {
				visit(st, analysis.TableName(s.Table), s.Options)
			}
		case *sqlparse.AlterTable:
			for _, c := range s.Cmds {
				if c.Action == sqlparse.SetOptions && c.Column == "" {
					visit(st, analysis.TableName(s.Table), c.Options)
				}
			}
		}
	}
	for _, k := range order {
		st := pending[k]
		if st == nil {
			continue
		}
		delete(pending, k) // report each once, even if order lists it twice
		effect := fmt.Sprintf("autovacuum no longer vacuums or analyzes %s. Dead row versions left by UPDATE and DELETE are not cleaned up, so the table and its indexes keep growing and slow down, the planner's statistics go stale (bad plans), and index-only scans fall back to the heap", k.table)
		if k.option == "toast.autovacuum_enabled" {
			effect = fmt.Sprintf("autovacuum no longer vacuums the TOAST table of %s, where its large text, jsonb and bytea values live. The chunks of values replaced by UPDATE or removed by DELETE are not cleaned up, so the TOAST table keeps growing", k.table)
		}
		p.ReportStmt(st,
			fmt.Sprintf("This sets %s = false: %s; only the anti-wraparound vacuum still runs, forced and late, on a table that has bloated by then.",
				k.option, effect),
			advisoryJoin(
				fmt.Sprintf("Leave autovacuum on; if it runs too often or too slowly for this table, tune it instead: ALTER TABLE %s SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_cost_delay = 2).", quoteIdent(k.table)),
				fmt.Sprintf("If it is off only for a bulk load, turn it back on in the same migration (ALTER TABLE %s RESET (%s)) and run VACUUM (ANALYZE) %s afterwards, outside the migration's transaction.", quoteIdent(k.table), k.option, quoteIdent(k.table)),
				"Django: migrations.RunSQL with that ALTER TABLE; there is no model option for it."))
	}
}

// autovacuumOff reports whether a storage parameter's value is a false boolean as PostgreSQL reads
// it: false, off, no, 0, or an unambiguous prefix of them.
func autovacuumOff(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	switch {
	case v == "":
		return false
	case v == "0", strings.HasPrefix("false", v), strings.HasPrefix("no", v):
		return true
	case len(v) >= 2 && strings.HasPrefix("off", v):
		return true
	}
	return false
}
