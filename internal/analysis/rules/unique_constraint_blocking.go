package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// UniqueConstraintBlocking: ADD CONSTRAINT ... UNIQUE (without USING INDEX) and ADD COLUMN ...
// UNIQUE build a unique index while holding ACCESS EXCLUSIVE on the table: reads and writes wait
// for the whole build. Django emits them for AlterUniqueTogether, AddConstraint(UniqueConstraint)
// without a condition, AlterField(unique=True) and AddField(unique=True).
var UniqueConstraintBlocking = analysis.Rule{
	Name:         "unique-constraint-blocking",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "ADD CONSTRAINT UNIQUE / ADD COLUMN UNIQUE builds the index under ACCESS EXCLUSIVE: reads and writes blocked for the whole build",
	Statement:    uniqueConstraintBlocking,
}

func uniqueConstraintBlocking(p *analysis.Pass, st *analysis.Stmt) {
	at, table, ok := alterOfExisting(p, st)
	if !ok {
		return
	}
	for _, c := range at.Cmds {
		switch {
		case c.Action == sqlparse.AddConstraint && c.Constraint != nil && c.Constraint.Kind == sqlparse.Unique && c.Constraint.UsingIndex == "":
			k := c.Constraint
			name := k.Name
			if name == "" {
				name = table + "_" + strings.Join(k.Columns, "_") + "_key"
			}
			reportUnique(p, st, table, fmt.Sprintf("ADD CONSTRAINT %s UNIQUE (%s)", name, strings.Join(k.Columns, ", ")), name, k.Columns,
				"It also fails if existing rows hold duplicates.",
				"AddConstraint / AlterUniqueTogether / AlterField(unique=True)")
		case c.Action == sqlparse.AddColumn && c.Def != nil && c.Def.Unique && !c.Def.PrimaryKey:
			name := table + "_" + c.Def.Name + "_key"
			for _, k := range c.Def.Constraints {
				if k.Kind == sqlparse.Unique && k.Name != "" {
					name = k.Name
				}
			}
			reportUnique(p, st, table, fmt.Sprintf("ADD COLUMN %s ... UNIQUE", c.Def.Name), name, []string{c.Def.Name},
				"",
				"AddField(..., unique=True)")
		}
	}
}

func reportUnique(p *analysis.Pass, st *analysis.Stmt, table, what, name string, cols []string, extra, djangoOp string) {
	msg := fmt.Sprintf("%s builds a unique index on %s while holding an ACCESS EXCLUSIVE lock: every query on %s, reads included, waits for the whole build, which reads every row%s.",
		what, table, table, lockHeldUntil(p, st))
	if extra != "" {
		msg += " " + extra
	}
	idx := fmt.Sprintf("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s (%s);", quoteIdent(name), quoteIdent(table), quoteIdents(cols))
	attach := fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s UNIQUE USING INDEX %s;", quoteIdent(table), quoteIdent(name), quoteIdent(name))
	fix := []string{
		"Build the index first without blocking, then turn it into the constraint:",
		"1. In a migration with `atomic = False`, alone: RunSQL('" + idx + "', reverse_sql='DROP INDEX CONCURRENTLY IF EXISTS " + quoteIdent(name) + ";'). " +
			"If it fails (duplicates, a lock timeout) it leaves an INVALID index: DROP INDEX CONCURRENTLY IF EXISTS it before retrying.",
		"2. In the next migration: RunSQL('" + attach + "') — an instant lock, no scan — with state_operations=[" + djangoOp + "] so Django's model state records the constraint.",
	}
	if djangoOp == "AddField(..., unique=True)" {
		fix = append([]string{"First add the field without unique=True (AddField, nullable), in its own migration."}, fix...)
	}
	fix = append(fix, "The old code may still insert duplicates while this deploys: make it avoid them first, and remove existing duplicates before step 1.")
	p.ReportStmt(st, msg, strings.Join(fix, "\n"))
}
