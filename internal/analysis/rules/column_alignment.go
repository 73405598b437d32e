package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// ColumnAlignment: a CREATE TABLE in raw SQL whose leading fixed-width columns PostgreSQL has to
// pad to their alignment, when the same columns in another order would need at least 8 bytes
// less per row. Only the leading run of fixed-width columns is judged: after the first
// variable-width (or unknown) column, offsets depend on the data. Django's CreateModel is left
// alone: it emits the columns in the model's field order, and the fix there would be reordering
// the model's fields (which also orders forms, the admin and serializers) for every model.
var ColumnAlignment = analysis.Rule{
	Name:      "column-alignment",
	Severity:  analysis.Warning,
	Summary:   "CREATE TABLE in raw SQL whose leading fixed-width columns waste 8 bytes or more of alignment padding per row; another column order avoids it",
	Statement: columnAlignment,
}

// alignMinSaving is the least saving per row worth a warning: a row's length is rounded up to 8
// bytes, so less may save nothing at all.
const alignMinSaving = 8

// alignType is a fixed-width type's typlen and typalign (in bytes).
type alignType struct{ size, align int }

// alignTypes are the fixed-width built-in types by the parser's name, with pg_type.typlen and
// typalign as PostgreSQL 15 reports them on x86_64 (the same in every supported version):
// d = 8, i = 4, s = 2, c = 1.
var alignTypes = map[string]alignType{
	"int8": {8, 8}, "float8": {8, 8}, "timestamp": {8, 8}, "timestamptz": {8, 8}, "time": {8, 8},
	"money": {8, 8}, "pg_lsn": {8, 8}, "xid8": {8, 8},
	"interval": {16, 8}, "timetz": {12, 8}, "point": {16, 8}, "line": {24, 8}, "circle": {24, 8},
	"lseg": {32, 8}, "box": {32, 8},
	"int4": {4, 4}, "float4": {4, 4}, "date": {4, 4}, "oid": {4, 4}, "xid": {4, 4}, "cid": {4, 4},
	"regclass": {4, 4}, "regtype": {4, 4}, "regproc": {4, 4}, "regprocedure": {4, 4}, "regoper": {4, 4},
	"regoperator": {4, 4}, "regconfig": {4, 4}, "regdictionary": {4, 4}, "regnamespace": {4, 4},
	"regrole": {4, 4}, "regcollation": {4, 4}, "macaddr": {6, 4}, "macaddr8": {8, 4},
	"int2": {2, 2}, "tid": {6, 2},
	"bool": {1, 1}, "char": {1, 1}, "uuid": {16, 1}, "name": {64, 1},
	// The serial pseudo-types are their integer types.
	"serial": {4, 4}, "serial4": {4, 4}, "bigserial": {8, 8}, "serial8": {8, 8},
	"smallserial": {2, 2}, "serial2": {2, 2},
}

// alignColumn is a column of the leading fixed-width run.
type alignColumn struct {
	name     string
	typ      string
	notNull  bool
	fixed    alignType
	position int
}

func columnAlignment(p *analysis.Pass, st *analysis.Stmt) {
	if !advisoryRawSQL(st.Op) {
		return
	}
	ct, ok := st.Statement.(*sqlparse.CreateTable)
	// Temporary tables are not schema; a partition, a child of INHERITS and a LIKE copy take
	// (some of) their leading columns from another table, whose types we do not see.
	if !ok || ct.Temporary || ct.PartitionOf != nil || len(ct.Inherits) > 0 || len(ct.Like) > 0 {
		return
	}
	primary := map[string]bool{}
	for _, k := range ct.Constraints {
		if k.Kind == sqlparse.PrimaryKey {
			for _, c := range k.Columns {
				primary[c] = true
			}
		}
	}
	var run []alignColumn
	for i, c := range ct.Columns {
		t, ok := alignTypes[c.Type.Name]
		if !ok || c.Type.Schema != "" || c.Type.Array {
			break // variable width, or a type we cannot size (domain, enum, extension)
		}
		run = append(run, alignColumn{name: c.Name, typ: c.Type.String(), fixed: t, position: i,
			notNull: c.NotNull || c.PrimaryKey || primary[c.Name] || c.Identity != "" || c.Serial()})
	}
	if len(run) < 2 {
		return
	}
	better := append([]alignColumn(nil), run...)
	sort.SliceStable(better, func(i, j int) bool { return better[i].fixed.align > better[j].fixed.align })
	now, after := alignLength(run), alignLength(better)
	if now-after < alignMinSaving {
		return
	}
	data := 0
	allNotNull := true
	for _, c := range run {
		data += c.fixed.size
		allNotNull = allNotNull && c.notNull
	}
	names := func(cs []alignColumn) string {
		s := make([]string, len(cs))
		for i, c := range cs {
			s[i] = quoteIdent(c.name)
		}
		return strings.Join(s, ", ")
	}
	described := make([]string, len(run))
	for i, c := range run {
		described[i] = quoteIdent(c.name) + " " + c.typ
	}
	when := ""
	if !allNotNull {
		when = " (for rows where they are not NULL; a NULL takes no space)"
	}
	rest := "."
	if len(run) < len(ct.Columns) {
		rest = fmt.Sprintf(", followed by the other columns as they are (%s first).", quoteIdent(ct.Columns[len(run)].Name))
	}
	p.ReportStmt(st,
		fmt.Sprintf("CREATE TABLE %s: PostgreSQL aligns each fixed-width value to its type's boundary, so its leading columns (%s) take %d bytes of every row for %d bytes of data — %d bytes of padding%s. In the order %s they take %d bytes: %d bytes less in every row, for the table's whole life (the order cannot be changed later without recreating the table).",
			analysis.TableName(ct.Table), strings.Join(described, ", "), now, data, now-data, when, names(better), after, now-after),
		advisoryJoin(
			fmt.Sprintf("Write the columns in the order %s%s", names(better), rest),
			"In general: 8-byte-aligned types first (bigint, double precision, timestamp(tz), time, interval, money), then 4-byte (integer, real, date, oid), then smallint, then boolean, \"char\" and uuid, and variable-width types (text, varchar, numeric, jsonb, arrays) last.",
			"Django names every column in its queries, so the database's column order does not matter to it: the model's fields (and the state operations of SeparateDatabaseAndState) can keep their order."))
}

// alignLength is the bytes cols take when laid out in order from a MAXALIGNed offset (the start
// of a row's data), all of them holding a value.
func alignLength(cols []alignColumn) int {
	off := 0
	for _, c := range cols {
		off = (off+c.fixed.align-1)/c.fixed.align*c.fixed.align + c.fixed.size
	}
	return off
}
