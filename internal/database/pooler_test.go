package database

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/pgtest"
)

// probe connects to dbURL without Connect's own check and probes it.
func probe(t *testing.T, dbURL string) Pooling {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	p, err := ProbePooling(ctx, conn, cfg)
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	// The probe leaves a's session usable.
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("the probed connection no longer answers: %v", err)
	}
	return p
}

// warm makes the pooler open n server connections (n clients in a transaction at once) and leaves
// them idle in its pool.
func warm(t *testing.T, dbURL string, n int) {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	var conns []*pgx.Conn
	pids := map[int32]bool{}
	for range n {
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var pid int32
		if _, err := c.Exec(ctx, "BEGIN"); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pids[pid] = true
	}
	for _, c := range conns {
		c.Exec(ctx, "COMMIT")
		c.Close(ctx)
	}
	if len(pids) != n {
		t.Fatalf("%d clients in a transaction at once got %d server connections", n, len(pids))
	}
}

func TestProbePooling(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	tests := []struct {
		name string
		url  func(t *testing.T) string
		// warm is how many server connections the pooler holds idle before the probe.
		warm int
		want string
	}{
		{"direct", func(*testing.T) string { return dbURL }, 0, "direct"},
		{"session mode", func(t *testing.T) string {
			return pgtest.NewPgBouncer(t, dbURL, pgtest.PgBouncer{PoolMode: "session"})
		}, 0, "direct"},
		{"transaction mode", func(t *testing.T) string {
			return pgtest.NewPgBouncer(t, dbURL, pgtest.PgBouncer{PoolMode: "transaction"})
		}, 0, "transaction pooling"},
		// b's transaction gets the only server connection; a waits for it.
		{"transaction mode, pool of one", func(t *testing.T) string {
			return pgtest.NewPgBouncer(t, dbURL, pgtest.PgBouncer{PoolMode: "transaction", PoolSize: 1})
		}, 0, "transaction pooling"},
		{"transaction mode, warm pool", func(t *testing.T) string {
			return pgtest.NewPgBouncer(t, dbURL, pgtest.PgBouncer{PoolMode: "transaction"})
		}, 4, "transaction pooling"},
		// round robin: b is not handed a's idle server connection first.
		{"transaction mode, round robin", func(t *testing.T) string {
			return pgtest.NewPgBouncer(t, dbURL, pgtest.PgBouncer{PoolMode: "transaction", ServerRoundRobin: true})
		}, 0, "transaction pooling"},
		{"transaction mode, round robin, warm pool", func(t *testing.T) string {
			return pgtest.NewPgBouncer(t, dbURL, pgtest.PgBouncer{PoolMode: "transaction", ServerRoundRobin: true})
		}, 4, "transaction pooling"},
		// a holds the only server connection for its whole session: b gets none.
		{"session mode, pool of one", func(t *testing.T) string {
			return pgtest.NewPgBouncer(t, dbURL, pgtest.PgBouncer{PoolMode: "session", PoolSize: 1})
		}, 0, "pooling, no free server connection"},
		{"statement mode", func(t *testing.T) string {
			return pgtest.NewPgBouncer(t, dbURL, pgtest.PgBouncer{PoolMode: "statement"})
		}, 0, "statement pooling"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.url(t)
			if tt.warm > 0 {
				warm(t, u, tt.warm)
			}
			p := probe(t, u)
			t.Logf("%s: %s", p, p.Evidence)
			if p.String() != tt.want {
				t.Errorf("probe = %s (%s), want %s", p, p.Evidence, tt.want)
			}
		})
	}
}

// A direct connection under load from other clients of the same database still reads as direct.
func TestProbePoolingDirectUnderLoad(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			c, err := pgx.Connect(ctx, dbURL)
			if err != nil {
				return
			}
			defer c.Close(context.Background())
			for ctx.Err() == nil {
				c.Exec(ctx, "SELECT pg_sleep(0.01)")
			}
		}()
	}
	for range 5 {
		if p := probe(t, dbURL); p.String() != "direct" {
			t.Errorf("probe = %s (%s), want direct", p, p.Evidence)
		}
	}
	cancel()
	for range 4 {
		<-done
	}
}

func TestConnectRefusesTransactionPooler(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	u, _ := url.Parse(dbURL)
	password, _ := u.User.Password()
	through := pgtest.NewPgBouncer(t, dbURL, pgtest.PgBouncer{PoolMode: "transaction"})
	withOptions := through + "&options=" + url.QueryEscape("-c statement_timeout=30000")

	tests := []struct {
		name, url, want string
	}{
		{"transaction pooling", through, "reaches a connection pooler (PgBouncer) in transaction pooling mode"},
		{"startup parameter refused", withOptions, `reaches a connection pooler (PgBouncer) (it refused the connection: "unsupported startup parameter: options")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Connect(ctx, tt.url, "DATABASE_CONNECTION_POOL_URL")
			if err == nil {
				db.Close(ctx)
			}
			var pe *PoolerError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *PoolerError", err)
			}
			msg := err.Error()
			for _, want := range []string{"the URL in $DATABASE_CONNECTION_POOL_URL", tt.want, "point ZDCD_DATABASE_VAR at the database's direct URL", "Nothing was changed"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			if strings.Contains(msg, password) || strings.Contains(msg, "\n") {
				t.Errorf("error leaks the password or is not one line: %q", msg)
			}
		})
	}

	// Session mode passes.
	session := pgtest.NewPgBouncer(t, dbURL, pgtest.PgBouncer{PoolMode: "session"})
	db, err := Connect(ctx, session, "DATABASE_URL")
	if err != nil {
		t.Fatalf("session mode: %v", err)
	}
	db.Close(ctx)
}

func TestPoolerErrorNamesTheSourceAndTheFix(t *testing.T) {
	tests := []struct {
		err  PoolerError
		want []string
	}{
		{PoolerError{Var: "DATABASE_CONNECTION_POOL_URL", Mode: "transaction", Evidence: "e"},
			[]string{"the URL in $DATABASE_CONNECTION_POOL_URL reaches a connection pooler (PgBouncer) in transaction pooling mode (e): ", "point ZDCD_DATABASE_VAR at the database's direct URL (on Heroku: ZDCD_DATABASE_VAR=DATABASE_URL"}},
		{PoolerError{Var: "DATABASE_URL", Evidence: `it refused the connection: "unsupported startup parameter: options"`},
			[]string{`the URL in $DATABASE_URL reaches a connection pooler (PgBouncer) (it refused the connection: "unsupported startup parameter: options"): `,
				"point ZDCD_DATABASE_VAR at a variable holding the database's direct URL (on Heroku: its HEROKU_POSTGRESQL_<COLOR>_URL)"}},
		{PoolerError{Var: "--trace-url", Mode: "statement", Evidence: "e"},
			[]string{"the URL in --trace-url reaches a connection pooler (PgBouncer) in statement pooling mode (e): ", "pass --trace-url the database's direct URL, not a pooler's"}},
	}
	for _, tt := range tests {
		msg := tt.err.Error()
		for _, want := range append(tt.want, "Nothing was changed") {
			if !strings.Contains(msg, want) {
				t.Errorf("%q does not contain %q", msg, want)
			}
		}
		if strings.HasPrefix(tt.err.Var, "-") && strings.Contains(msg, "ZDCD_DATABASE_VAR") {
			t.Errorf("a flag's URL is not fixed with ZDCD_DATABASE_VAR: %q", msg)
		}
	}
}
