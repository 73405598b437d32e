package database

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/zdcd/zdcd/internal/pgtest"
)

func TestCatalog(t *testing.T) {
	ctx := context.Background()
	db, err := Connect(ctx, pgtest.NewDatabase(t), "DATABASE_URL")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	if _, err := db.Conn.Exec(ctx, `
		CREATE TABLE shop_order (id bigint PRIMARY KEY, code varchar(20), note text DEFAULT 'none', qty int CHECK (qty > 0),
			customer_id bigint, CONSTRAINT code_nn CHECK (code IS NOT NULL));
		CREATE TABLE empty (id int);
		CREATE TABLE shop_customer (id bigint PRIMARY KEY);
		ALTER TABLE shop_order ADD CONSTRAINT shop_order_customer_fk FOREIGN KEY (customer_id) REFERENCES shop_customer (id) NOT VALID;
		INSERT INTO shop_order VALUES (1, 'a', NULL, 1, NULL), (2, 'a', 'x', 2, NULL), (3, 'b', 'y', 3, NULL);
		ANALYZE shop_order;
		CREATE SCHEMA other; CREATE TABLE other.t (id int);
		CREATE TABLE parted (id int, at date) PARTITION BY RANGE (at);`); err != nil {
		t.Fatal(err)
	}
	c := db.Catalog(ctx, time.Second)

	if typ, ok := c.ColumnType("shop_order", "code"); !ok || typ != "character varying(20)" {
		t.Errorf("ColumnType = %q, %v", typ, ok)
	}
	if _, ok := c.ColumnType("shop_order", "missing"); ok {
		t.Error("ColumnType of a missing column")
	}
	if _, ok := c.ColumnType("other.t", "id"); !ok {
		t.Error("ColumnType of a schema-qualified table")
	}
	if !c.HasValidatedNotNullCheck("shop_order", "code") || c.HasValidatedNotNullCheck("shop_order", "note") {
		t.Error("HasValidatedNotNullCheck")
	}
	if !c.HasCheckConstraint("shop_order", "qty") || c.HasCheckConstraint("shop_order", "note") {
		t.Error("HasCheckConstraint")
	}
	if d, ok := c.ColumnDefault("shop_order", "note"); !ok || d != "'none'::text" {
		t.Errorf("ColumnDefault = %q, %v", d, ok)
	}
	if k, ok := c.ConstraintKind("shop_order", "shop_order_customer_fk"); !ok || k != "f" {
		t.Errorf("ConstraintKind = %q, %v", k, ok)
	}
	if n, ok := c.EstimatedRows("shop_order"); !ok || n != 3 {
		t.Errorf("EstimatedRows = %d, %v", n, ok)
	}
	if nn, ok := c.ColumnNotNull("shop_order", "id"); !ok || !nn {
		t.Errorf("ColumnNotNull(id) = %v, %v", nn, ok)
	}
	if nn, ok := c.ColumnNotNull("shop_order", "note"); !ok || nn {
		t.Errorf("ColumnNotNull(note) = %v, %v", nn, ok)
	}
	if cols, ok := c.IndexColumns("shop_order", "shop_order_pkey"); !ok || len(cols) != 1 || cols[0] != "id" {
		t.Errorf("IndexColumns = %v, %v", cols, ok)
	}
	if _, ok := c.IndexColumns("shop_order", "no_such_index"); ok {
		t.Error("IndexColumns of a missing index")
	}
	if !c.UniqueColumn("shop_order", "id") || c.UniqueColumn("shop_order", "code") {
		t.Error("UniqueColumn")
	}
	if !c.Partitioned("parted") || c.Partitioned("shop_order") {
		t.Error("Partitioned")
	}
	if hot, _ := c.HotTable("empty"); hot {
		t.Error("a table nobody uses is not hot")
	}
	if has, err := c.HasRows("shop_order"); !has || err != nil {
		t.Errorf("HasRows = %v, %v", has, err)
	}
	if has, err := c.HasRows("empty"); has || err != nil {
		t.Errorf("HasRows(empty) = %v, %v", has, err)
	}
	if has, err := c.HasNulls("shop_order", "note"); !has || err != nil {
		t.Errorf("HasNulls(note) = %v, %v", has, err)
	}
	if has, err := c.HasNulls("shop_order", "qty"); has || err != nil {
		t.Errorf("HasNulls(qty) = %v, %v", has, err)
	}
	if dup, err := c.HasDuplicates("shop_order", []string{"code"}); !dup || err != nil {
		t.Errorf("HasDuplicates(code) = %v, %v", dup, err)
	}
	if dup, err := c.HasDuplicates("shop_order", []string{"code", "note"}); dup || err != nil {
		t.Errorf("HasDuplicates(code, note) = %v, %v (NULLs never duplicate)", dup, err)
	}

	// The catalog cannot write, and a slow question is cut off, not waited for.
	if _, err := db.Conn.Exec(ctx, `CREATE FUNCTION slow() RETURNS boolean LANGUAGE sql AS 'SELECT pg_sleep(3) IS NULL';
		CREATE VIEW slowview AS SELECT id, code FROM shop_order WHERE slow()`); err != nil {
		t.Fatal(err)
	}
	var pgErr *pgconn.PgError
	if _, err := c.HasRows("slowview"); !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Errorf("a question slower than the timeout must be cancelled by statement_timeout, got %v", err)
	}
	if _, err := c.ask("write", "INSERT INTO empty VALUES (1) RETURNING id", nil, new(int64)); err == nil {
		t.Error("the catalog wrote to the database")
	}
}

// A table the app hammers is hot; its neighbour is not.
func TestCatalogHotTable(t *testing.T) {
	ctx := context.Background()
	db, err := Connect(ctx, pgtest.NewDatabase(t), "DATABASE_URL")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	if _, err := db.Conn.Exec(ctx, `CREATE TABLE busy (id int PRIMARY KEY); CREATE TABLE quiet (id int);
		INSERT INTO busy SELECT generate_series(1, 100000)`); err != nil {
		t.Fatal(err)
	}
	// The statistics collector flushes at transaction end; wait (bounded) until it has.
	deadline := time.Now().Add(10 * time.Second)
	c := db.Catalog(ctx, time.Second)
	for {
		if _, err := db.Conn.Exec(ctx, "SELECT pg_stat_force_next_flush()"); err != nil {
			t.Fatal(err)
		}
		if hot, why := c.HotTable("busy"); hot {
			if why == "" {
				t.Error("a hot table must say why")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("100,000 rows written just now did not make the table hot")
		}
		c = db.Catalog(ctx, time.Second) // a fresh cache
		time.Sleep(100 * time.Millisecond)
	}
	if hot, _ := c.HotTable("quiet"); hot {
		t.Error("an idle table is not hot")
	}
}
