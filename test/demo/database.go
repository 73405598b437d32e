package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The app's tables whose rows the demo seeds and compares.
var appTables = []string{
	"accounts_customer", "shop_product", "shop_order", "blog_tag", "blog_post", "blog_post_tags", "blog_legacycomment",
}

// conn opens a short-lived session on the app's database: none stays open across a release, so
// the demo never holds a lock a migration or a restore waits for.
func (d *demo) conn(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return pgx.Connect(ctx, d.dbURL)
}

// texts runs a query whose rows are one text column each.
func (d *demo) texts(query string, args ...any) ([]string, error) {
	ctx := context.Background()
	c, err := d.conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (d *demo) exec(sql string) error {
	ctx := context.Background()
	c, err := d.conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql)
	return err
}

// applied returns the applied migrations of the app's own apps, "app.name".
func (d *demo) applied() ([]string, error) {
	return d.texts(`SELECT app || '.' || name FROM django_migrations
		WHERE app IN ('accounts', 'shop', 'blog') ORDER BY id`)
}

// hasColumn reports whether table.column exists.
func (d *demo) hasColumn(table, column string) (bool, error) {
	r, err := d.texts(`SELECT column_name::text FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2`, table, column)
	return len(r) == 1, err
}

// schema describes the public schema: every column with its type and nullability, every index
// and constraint, and the applied migrations.
func (d *demo) schema() (string, error) {
	cols, err := d.texts(`SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
		FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1`)
	if err != nil {
		return "", err
	}
	idx, err := d.texts(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`)
	if err != nil {
		return "", err
	}
	cons, err := d.texts(`SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
		FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`)
	if err != nil {
		return "", err
	}
	mig, err := d.texts(`SELECT app || '.' || name FROM django_migrations ORDER BY app, name`)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, part := range [][]string{cols, idx, cons, mig} {
		b.WriteString(strings.Join(part, "\n"))
		b.WriteString("\n--\n")
	}
	return b.String(), nil
}

// snapshot is every row of the app's tables, as JSON, by table.
type snapshot struct {
	rows map[string]string
	n    map[string]int
}

func (d *demo) snapshot() (snapshot, error) {
	s := snapshot{rows: map[string]string{}, n: map[string]int{}}
	for _, t := range appTables {
		r, err := d.texts(fmt.Sprintf(`SELECT count(*)::text || ' ' || coalesce(json_agg(to_jsonb(t) ORDER BY t.id)::text, '[]')
			FROM %s AS t`, pgx.Identifier{t}.Sanitize()))
		if err != nil {
			return s, err
		}
		count, rows, _ := strings.Cut(r[0], " ")
		s.rows[t] = rows
		var n int
		fmt.Sscan(count, &n)
		s.n[t] = n
	}
	return s, nil
}

// total is the number of rows in the snapshot.
func (s snapshot) total() int {
	n := 0
	for _, c := range s.n {
		n += c
	}
	return n
}

// seed writes the rows the old code has been serving: customers with nicknames, products (two
// without a SKU yet), orders, posts with tags, and legacy comments.
const seed = `
INSERT INTO accounts_customer (email, name, nickname, created_at) VALUES
  ('ada@example.com', 'Ada Lovelace', 'ada', '2024-01-02 10:00:00+00'),
  ('grace@example.com', 'Grace Hopper', 'amazing grace', '2024-01-03 11:00:00+00'),
  ('edsger@example.com', 'Edsger Dijkstra', NULL, '2024-01-04 12:00:00+00');
INSERT INTO shop_product (name, price, legacy_code, sku) VALUES
  ('Difference Engine', 1999.00, 'DE-1', 'SKU-DE'),
  ('Compiler', 49.50, NULL, NULL),
  ('Semaphore', 3.14, 'SEM', NULL),
  ('Punch cards (100)', 9.99, NULL, 'SKU-PC100');
INSERT INTO shop_order (customer_id, product_id, quantity, created_at)
  SELECT c.id, p.id, 1 + (c.id + p.id) % 3, '2024-02-01 09:00:00+00'::timestamptz + (c.id * 10 + p.id) * interval '1 hour'
  FROM accounts_customer c CROSS JOIN shop_product p WHERE (c.id + p.id) % 2 = 0;
INSERT INTO blog_tag (name) VALUES ('history'), ('computing');
INSERT INTO blog_post (title, body, author_id, published_at)
  SELECT 'Notes by ' || name, 'On the engine and its numbers.', id, created_at + interval '1 day' FROM accounts_customer;
INSERT INTO blog_post_tags (post_id, tag_id) SELECT p.id, t.id FROM blog_post p CROSS JOIN blog_tag t;
INSERT INTO blog_legacycomment (text, post_id) SELECT 'First!', id FROM blog_post;
`
