package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// OpaqueRawSQL: SQL whose effect zdcd cannot see — a DO block, CALL, EXECUTE of a prepared
// statement, COPY, EXPLAIN (ANALYZE runs the statement), a query or DML calling functions that
// are not built-ins zdcd knows, and statements no rule models (CREATE RULE, ALTER DATABASE,
// ALTER EXTENSION ...). RunSQL whose statements are all modelled (DDL, DML, CREATE VIEW, COMMENT,
// GRANT ...) is judged by the SQL rules, not here. SQL of an unknown operation is reported by
// unknown-operation instead.
var OpaqueRawSQL = analysis.Rule{
	Name:      "opaque-raw-sql",
	Severity:  analysis.Unsafe,
	Summary:   "SQL zdcd cannot see into (DO, CALL, user functions, unmodelled statements) needs a review",
	Statement: opaqueRawSQL,
}

func opaqueRawSQL(p *analysis.Pass, st *analysis.Stmt) {
	if !knownOperation(st.Op) {
		return
	}
	why := opaqueWhy(st)
	if why == "" {
		return
	}
	p.ReportStmt(st, why+" Nothing in it is judged: it may take any lock, rewrite or scan a busy table, or run for as long as it likes, while the old code serves traffic.",
		strings.Join([]string{
			"Write what it does as plain SQL statements in RunSQL (one per effect: ALTER TABLE, CREATE INDEX CONCURRENTLY, UPDATE ... WHERE in batches), so zdcd judges each one.",
			"If it must stay as it is, review it and approve it: `-- zdcd:exempt opaque-raw-sql: <what it does; reviewed by ...>` in the RunSQL, or zdcd_exempt = {\"opaque-raw-sql\": \"...\"} on the Migration class.",
		}, "\n"))
}

// opaqueWhy says why a statement is opaque, "" when zdcd can judge it.
func opaqueWhy(st *analysis.Stmt) string {
	switch s := st.Statement.(type) {
	case *sqlparse.Other:
		switch s.Tag {
		case "DO":
			return "This DO block runs PL/pgSQL that zdcd cannot see into (statements built at run time with EXECUTE, loops over rows)."
		case "CALL":
			return fmt.Sprintf("CALL runs the procedure %s, code zdcd cannot see into (a procedure may even commit).", strings.Join(s.Calls, ", "))
		case "EXECUTE":
			return "EXECUTE runs a prepared statement that zdcd does not see here."
		case "EXPLAIN":
			return "EXPLAIN (with ANALYZE) runs the statement it explains, and zdcd does not judge statements inside EXPLAIN."
		case "COPY":
			return "COPY loads or exports rows outside what zdcd models (and COPY ... PROGRAM runs a shell command on the server)."
		case "SELECT", "CREATE TABLE AS":
			return userCalls(s.Calls)
		case "ALTER SET SCHEMA":
			if len(s.Tables) > 0 {
				return "" // a table moved: rename-table
			}
		}
		if transparentTags[s.Tag] {
			return ""
		}
		return fmt.Sprintf("zdcd has no model of what %s does to the running application (its locks, what the old code then sees), so it cannot judge it.", s.Tag)
	case *sqlparse.Update, *sqlparse.Insert, *sqlparse.Delete:
		return userCalls(st.Info().Calls)
	}
	return ""
}

// userCalls names the functions of calls that are not known built-ins, "" when there are none.
func userCalls(calls []string) string {
	var user []string
	for _, f := range calls {
		if !builtinFuncs[f] {
			user = append(user, f+"()")
		}
	}
	if len(user) == 0 {
		return ""
	}
	return fmt.Sprintf("This statement calls %s, not PostgreSQL built-ins zdcd knows: the function's code may write, lock or loop over anything, and zdcd cannot see into it.", strings.Join(user, ", "))
}

// transparentTags are the statements kept as sqlparse.Other that zdcd understands well enough:
// they create new objects, describe existing ones, or change nothing the old code depends on.
var transparentTags = map[string]bool{
	"CREATE VIEW": true, "COMMENT": true, "CREATE FUNCTION": true, "CREATE EXTENSION": true,
	"CREATE SCHEMA": true, "CREATE SEQUENCE": true, "ALTER SEQUENCE": true, "CREATE TYPE": true,
	"CREATE": true, "CREATE STATISTICS": true, "SET CONSTRAINTS": true, "NOTIFY": true, "LISTEN": true,
	"UNLISTEN": true, "SHOW": true, "GRANT": true, "PREPARE": true, "DEALLOCATE": true, "CHECKPOINT": true,
}

// builtinFuncs are PostgreSQL functions (and the usual extensions' uuid generators) that only
// compute a value, or move a sequence or an advisory lock: calling them hides no work.
var builtinFuncs = opaqueNameSet(
	// aggregates and window functions
	"count", "sum", "min", "max", "avg", "array_agg", "string_agg", "bool_and", "bool_or", "every",
	"json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg", "bit_and", "bit_or", "stddev",
	"variance", "percentile_cont", "percentile_disc", "mode", "row_number", "rank", "dense_rank",
	"percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value", "last_value", "nth_value",
	// strings
	"lower", "upper", "length", "char_length", "character_length", "octet_length", "substring", "substr",
	"trim", "btrim", "ltrim", "rtrim", "replace", "concat", "concat_ws", "format", "left", "right", "lpad",
	"rpad", "split_part", "regexp_replace", "regexp_match", "regexp_matches", "regexp_split_to_array",
	"strpos", "position", "initcap", "repeat", "reverse", "translate", "md5", "sha256", "encode", "decode",
	"quote_ident", "quote_literal", "quote_nullable", "to_char", "to_number", "starts_with", "ascii", "chr",
	"string_to_array", "array_to_string",
	// numbers
	"abs", "round", "ceil", "ceiling", "floor", "trunc", "mod", "power", "sqrt", "sign", "random", "div",
	"exp", "ln", "log", "width_bucket",
	// dates and times
	"now", "clock_timestamp", "statement_timestamp", "transaction_timestamp", "timeofday", "date_trunc",
	"date_part", "extract", "to_timestamp", "to_date", "make_date", "make_time", "make_timestamp",
	"make_timestamptz", "make_interval", "age", "justify_days", "justify_hours", "justify_interval",
	"timezone", "isfinite", "date_bin",
	// json
	"to_json", "to_jsonb", "json_build_object", "jsonb_build_object", "json_build_array", "jsonb_build_array",
	"jsonb_set", "jsonb_insert", "jsonb_strip_nulls", "jsonb_array_length", "json_array_length",
	"jsonb_extract_path", "jsonb_extract_path_text", "json_extract_path", "json_extract_path_text",
	"jsonb_each", "jsonb_each_text", "jsonb_array_elements", "jsonb_array_elements_text",
	"jsonb_object_keys", "jsonb_typeof", "row_to_json", "array_to_json", "jsonb_pretty",
	// arrays and sets
	"array_length", "array_position", "array_positions", "array_append", "array_prepend", "array_cat",
	"array_remove", "array_replace", "cardinality", "unnest", "array_upper", "array_lower",
	"generate_series", "generate_subscripts", "num_nonnulls", "num_nulls",
	// ranges and text search
	"int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange", "isempty",
	"to_tsvector", "to_tsquery", "plainto_tsquery", "phraseto_tsquery", "websearch_to_tsquery",
	"setweight", "ts_rank", "ts_headline", "hashtext", "hashtextextended",
	// identifiers, sequences, advisory locks, catalog information
	"gen_random_uuid", "uuid_generate_v4", "uuid_generate_v1", "nextval", "setval", "currval", "lastval",
	"pg_get_serial_sequence", "pg_advisory_xact_lock", "pg_try_advisory_xact_lock", "pg_advisory_lock",
	"pg_try_advisory_lock", "pg_advisory_unlock", "current_setting", "current_database", "current_schema",
	"version", "pg_relation_size", "pg_total_relation_size", "pg_table_size", "pg_indexes_size",
	"pg_size_pretty", "format_type", "pg_typeof", "has_table_privilege", "obj_description",
	"col_description", "to_regclass",
)

func opaqueNameSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
