package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestOpaqueRawSQL(t *testing.T) {
	analysistest.Run(t, OpaqueRawSQL, []analysistest.Case{
		{Name: "DO block", SQL: `DO $$ BEGIN EXECUTE 'ALTER TABLE shop_order ADD COLUMN x int'; END $$`, Fire: true, Count: 1,
			Contains: []string{"DO block", "zdcd:exempt opaque-raw-sql"}},
		{Name: "CALL", SQL: `CALL refresh_totals()`, Fire: true, Contains: []string{"refresh_totals"}},
		{Name: "SELECT of a user function", SQL: `SELECT backfill_order_totals(1000)`, Fire: true, Contains: []string{"backfill_order_totals()"}},
		{Name: "a schema-qualified user function", SQL: `SELECT app.migrate_data()`, Fire: true, Contains: []string{"app.migrate_data()"}},
		{Name: "UPDATE through a user function", SQL: `UPDATE shop_order SET total = compute_total(id) WHERE total IS NULL`, Fire: true},
		{Name: "EXECUTE of a prepared statement", SQL: `PREPARE p AS UPDATE t SET a = 1; EXECUTE p`, Fire: true, Count: 1},
		{Name: "EXPLAIN ANALYZE runs its statement", SQL: `EXPLAIN ANALYZE DELETE FROM t`, Fire: true},
		{Name: "COPY", SQL: `COPY shop_country FROM '/tmp/countries.csv' CSV`, Fire: true},
		{Name: "a statement no rule models", SQL: `CREATE RULE no_delete AS ON DELETE TO shop_order DO INSTEAD NOTHING`, Fire: true, Contains: []string{"no model of what"}},
		{Name: "ALTER DATABASE changes every new session", SQL: `ALTER DATABASE app SET statement_timeout = 0`, Fire: true},
		{Name: "one opaque statement among plain ones", SQL: `ALTER TABLE t ADD COLUMN c int; SELECT pg_sleep(5); CREATE VIEW v AS SELECT 1`, Fire: true, Count: 1},
		{Name: "the sample's reporting view and comments", SQL: `
			-- Orders per customer; read by the reporting job.
			CREATE VIEW shop_order_summary AS
				SELECT customer_id, count(*) AS orders, sum(quantity) AS items
				FROM shop_order
				GROUP BY customer_id;
			COMMENT ON VIEW shop_order_summary IS 'Orders per customer; for reporting';`, Fire: false},
		{Name: "DDL the SQL rules judge", SQL: `ALTER TABLE shop_order ADD COLUMN shipped_at timestamp with time zone NULL`, Fire: false},
		{Name: "Django's sequence reset", SQL: `SELECT setval(pg_get_serial_sequence('"shop_order"','id'), coalesce(max("id"), 1), max("id") IS NOT null) FROM "shop_order"`, Fire: false},
		{Name: "UPDATE with built-ins only", SQL: `UPDATE shop_order SET code = upper(md5(random()::text)) WHERE code IS NULL`, Fire: false},
		{Name: "defining a function does not run it", SQL: `CREATE OR REPLACE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`, Fire: false},
		{Name: "GRANT and extensions", SQL: `CREATE EXTENSION IF NOT EXISTS pg_trgm; GRANT SELECT ON shop_order_summary TO reporting`, Fire: false},
		{Name: "an unknown operation's SQL is unknown-operation's", Ops: []plan.Operation{{Class: "Backfill", Module: "shop.ops", SQL: sqlOf(`DO $$ BEGIN END $$`)}}, Fire: false},
	})
}
