package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
)

// UniqueOnDuplicates: a unique index, unique constraint or primary key on columns that already
// hold duplicate values fails to build — after reading the whole table — and a failed concurrent
// build leaves an INVALID index behind. This is a question about the data, so the rule needs a
// live catalog that answers it (HasDuplicates); without one (lint) it stays quiet, and the lock
// and compatibility rules judge the statement. Partial and expression indexes are not checked.
var UniqueOnDuplicates = analysis.Rule{
	Name:      "unique-on-duplicates",
	Severity:  analysis.Unsafe,
	Summary:   "A unique index or constraint on columns that already hold duplicates fails (checked on the live data)",
	Statement: uniqueOnDuplicates,
}

func uniqueOnDuplicates(p *analysis.Pass, st *analysis.Stmt) {
	dc, ok := p.Catalog.(duplicatesChecker)
	if !ok {
		return
	}
	for _, u := range newUniqueness(st) {
		if u.partial || !onlyPlainColumns(u.columns) || p.Created(u.table) || anyColumnAdded(addedColumns(p, u.table, st), u.columns) {
			continue
		}
		dup, err := dc.HasDuplicates(u.table, u.columns)
		if err != nil || !dup {
			continue
		}
		msg := fmt.Sprintf("%s already holds rows sharing the same (%s) (checked on the live database), so building the %s fails with `could not create unique index`, after reading the whole table, and the migration stops there.",
			u.table, strings.Join(u.columns, ", "), u.kind)
		if u.concurrent {
			msg += " A failed CREATE UNIQUE INDEX CONCURRENTLY also leaves an INVALID index behind: it still slows every write, and a retry fails with `already exists` until it is dropped."
		}
		notNull := make([]string, len(u.columns))
		for i, c := range u.columns {
			notNull[i] = quoteIdent(c) + " IS NOT NULL"
		}
		p.ReportStmt(st, msg, strings.Join([]string{
			fmt.Sprintf("Find the duplicates: SELECT %s, count(*) FROM %s WHERE %s GROUP BY %s HAVING count(*) > 1;",
				quoteIdents(u.columns), quoteIdent(u.table), strings.Join(notNull, " AND "), quoteIdents(u.columns)),
			"Merge or delete them in batches (a data migration or management command in an earlier release), ship code that cannot create new ones (add-unique-old-writers), then add the constraint.",
			"If a concurrent build already failed: DROP INDEX CONCURRENTLY IF EXISTS <the index> before retrying.",
		}, "\n"))
	}
}
