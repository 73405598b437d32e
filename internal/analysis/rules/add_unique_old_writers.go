package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// AddUniqueOldWriters: a new unique constraint (or unique index, or primary key) on existing
// columns of an existing table. The old code does not know the rule, so its writes that repeat a
// value start failing. The lock of the build is unique-constraint-blocking's (and
// index-create-blocking's); this rule is about the old code, so it also reports the concurrent
// build. Adopting a built index (ADD CONSTRAINT ... USING INDEX) adds no new rule and is quiet; so
// is a unique column added in the same migration (the old code writes NULL there, and NULLs never
// collide).
var AddUniqueOldWriters = analysis.Rule{
	Name:      "add-unique-old-writers",
	Severity:  analysis.Unsafe,
	Summary:   "A new unique constraint makes the old code's writes that repeat a value fail",
	Statement: addUniqueOldWriters,
}

func addUniqueOldWriters(p *analysis.Pass, st *analysis.Stmt) {
	for _, u := range newUniqueness(st) {
		if p.Created(u.table) || anyColumnAdded(addedColumns(p, u.table, st), u.columns) {
			continue
		}
		who := dropper(st.Op)
		if m := opModelLabel(st.Op); m != "" && who != "This statement" {
			who += " on " + m
		}
		cols := strings.Join(u.columns, ", ")
		p.ReportStmt(st,
			fmt.Sprintf("%s makes (%s) of %s unique (%s). The old code, still serving until the new release is live, does not know the rule and does not look for an existing row first: from the moment the constraint exists, each of its INSERTs or UPDATEs that repeats a value fails with an IntegrityError (duplicate key value violates unique constraint) instead of succeeding. If the table already holds duplicates, building it fails too (unique-on-duplicates).",
				who, cols, u.table, u.kind),
			strings.Join([]string{
				"Make the code uniqueness-aware before the constraint exists:",
				"1. Ship code that avoids duplicates (get_or_create / update_or_create, or a check plus handling IntegrityError), and de-duplicate the existing rows in batches.",
				fmt.Sprintf("2. Next release, add the constraint without blocking: a migration with atomic = False running RunSQL('CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS <name> ON %s (%s)'), then RunSQL('ALTER TABLE %s ADD CONSTRAINT <name> UNIQUE USING INDEX <name>'), recorded in Django's state with SeparateDatabaseAndState(state_operations=[AddConstraint(...)] or AlterField(unique=True)).", quoteIdent(u.table), quoteIdents(u.columns), quoteIdent(u.table)),
				approveHint("add-unique-old-writers", "the running code already prevents duplicates (release N); reviewed by ..."),
			}, "\n"))
	}
}

// uniqueness is a new rule that no two rows share values in columns of table.
type uniqueness struct {
	table, kind string
	columns     []string
	concurrent  bool
	// partial is a unique index with a WHERE clause: only some rows are concerned.
	partial bool
}

// newUniqueness lists the uniqueness rules a statement adds to existing columns: CREATE UNIQUE
// INDEX, ADD CONSTRAINT UNIQUE / PRIMARY KEY (not USING INDEX: that adopts a built index).
func newUniqueness(st *analysis.Stmt) []uniqueness {
	var out []uniqueness
	switch s := st.Statement.(type) {
	case *sqlparse.CreateIndex:
		if s.Unique {
			out = append(out, uniqueness{table: analysis.TableName(s.Table), kind: "unique index " + s.Name, columns: s.Columns, concurrent: s.Concurrently, partial: s.Partial})
		}
	case *sqlparse.AlterTable:
		for _, c := range s.Cmds {
			k := c.Constraint
			if c.Action != sqlparse.AddConstraint || k == nil || k.UsingIndex != "" {
				continue
			}
			switch k.Kind {
			case sqlparse.Unique:
				out = append(out, uniqueness{table: analysis.TableName(s.Table), kind: "unique constraint " + k.Name, columns: k.Columns})
			case sqlparse.PrimaryKey:
				out = append(out, uniqueness{table: analysis.TableName(s.Table), kind: "primary key " + k.Name, columns: k.Columns})
			}
		}
	}
	for i := range out {
		out[i].kind = strings.TrimSpace(out[i].kind)
	}
	return out
}
