package trace

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

// waitingLocksQuery reads the relation locks backend $1 holds or waits for in this database.
const waitingLocksQuery = `
SELECT l.relation, l.mode FROM pg_locks l
WHERE l.pid = $1 AND l.locktype = 'relation'
	AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`

// TestConcurrentEffectsMatchServer checks the claims about statements that cannot run in a
// transaction, so the trace cannot see them: CONCURRENTLY and VACUUM. Each runs on its own
// connection while a third session holds a lock that makes it wait midway; while it waits, an
// observer reads the locks its backend holds and the one it waits for (pg_locks), which together
// are its strongest lock. After it finishes, relfilenodes tell whether it rewrote the table.
// Scans are not compared: the statement's statistics belong to its own backend.
func TestConcurrentEffectsMatchServer(t *testing.T) {
	tests := []struct {
		name    string
		sql     string
		blocker string // run in an open transaction by the third session
	}{
		// CREATE INDEX CONCURRENTLY waits for transactions that write the table.
		{"create index concurrently", "CREATE INDEX CONCURRENTLY items_amount_idx ON items (amount)", "LOCK TABLE items IN ROW EXCLUSIVE MODE"},
		{"create unique index concurrently", "CREATE UNIQUE INDEX CONCURRENTLY items_code_id_idx ON items (code, id)", "LOCK TABLE items IN ROW EXCLUSIVE MODE"},
		// DROP INDEX CONCURRENTLY waits for every transaction using the table.
		{"drop index concurrently", "DROP INDEX CONCURRENTLY items_code_idx", "LOCK TABLE items IN ACCESS SHARE MODE"},
		{"reindex index concurrently", "REINDEX INDEX CONCURRENTLY items_code_idx", "LOCK TABLE items IN ROW EXCLUSIVE MODE"},
		{"reindex table concurrently", "REINDEX TABLE CONCURRENTLY items", "LOCK TABLE items IN ROW EXCLUSIVE MODE"},
		// The second step of DETACH ... CONCURRENTLY locks the partition ACCESS EXCLUSIVE: a
		// reader of the partition alone holds it there.
		{"detach partition concurrently", "ALTER TABLE measurements DETACH PARTITION measurements_2024 CONCURRENTLY", "LOCK TABLE measurements_2024 IN ACCESS SHARE MODE"},
		{"vacuum full", "VACUUM FULL droppable", "LOCK TABLE droppable IN ACCESS SHARE MODE"},
		{"vacuum", "VACUUM droppable", "LOCK TABLE droppable IN SHARE UPDATE EXCLUSIVE MODE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			observer := connectScratch(t)
			url := observer.Config().ConnString()
			worker, blocker := connect(t, url), connect(t, url)
			var version int
			if err := observer.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
				t.Fatal(err)
			}
			pl := &plan.Plan{Migrations: []plan.Migration{{App: "verify", Name: "case", Atomic: false, Operations: []plan.Operation{
				{Class: "RunSQL", Line: 1, SQL: []plan.Statement{{SQL: tt.sql}}},
			}}}}
			stmts, _ := analysis.Sequence(&pl.Migrations[0], analysis.Context{ServerVersion: version})
			if len(stmts) != 1 || len(stmts[0].Effects) == 0 {
				t.Fatalf("Effects claims nothing for %s", tt.sql)
			}

			if _, err := blocker.Exec(ctx, "BEGIN"); err != nil {
				t.Fatal(err)
			}
			if _, err := blocker.Exec(ctx, tt.blocker); err != nil {
				t.Fatal(err)
			}
			released := false
			release := func() {
				if !released {
					released = true
					if _, err := blocker.Exec(ctx, "COMMIT"); err != nil {
						t.Error(err)
					}
				}
			}
			defer release()

			before, err := takeSnapshot(ctx, observer)
			if err != nil {
				t.Fatal(err)
			}
			before.locks = map[lockKey]bool{}
			var pid uint32
			if err := worker.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := worker.Exec(ctx, tt.sql)
				done <- err
			}()

			// Poll, with a bound, until the statement waits.
			deadline := time.Now().Add(30 * time.Second)
			for {
				var waiting bool
				if err := observer.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_locks WHERE pid = $1 AND NOT granted)", pid).Scan(&waiting); err != nil {
					t.Fatal(err)
				}
				if waiting {
					break
				}
				select {
				case err := <-done:
					t.Fatalf("the statement finished (%v) without waiting for the blocker", err)
				default:
				}
				if time.Now().After(deadline) {
					t.Fatal("the statement never waited")
				}
				time.Sleep(5 * time.Millisecond)
			}
			during, err := takeSnapshot(ctx, observer)
			if err != nil {
				t.Fatal(err)
			}
			during.locks = map[lockKey]bool{}
			rows, err := observer.Query(ctx, waitingLocksQuery, pid)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var oid uint32
				var mode string
				if err := rows.Scan(&oid, &mode); err != nil {
					t.Fatal(err)
				}
				during.locks[lockKey{oid, analysis.ParseLockMode(mode)}] = true
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}

			release()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("%s: %v", tt.sql, err)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("the statement did not finish after the blocker committed")
			}
			after, err := takeSnapshot(ctx, observer)
			if err != nil {
				t.Fatal(err)
			}

			sr := StatementResult{SQL: tt.sql}
			compare(&sr, stmts[0].Effects, before, during, false, nil)
			t.Logf("\n%s", describe(MigrationResult{Statements: []StatementResult{sr}}))
			var got []string
			for _, tr := range sr.Tables {
				for _, m := range tr.Mismatches {
					// Locks come from the wait; rewrites only show once the statement is done.
					if strings.HasPrefix(m, "lock:") {
						got = append(got, tr.Table+": "+m)
					}
				}
				if tr.Claimed == nil {
					continue
				}
				// Rewrites: relfilenodes before and after the statement committed.
				if b := resolve(tr.Table, before); b != nil && b.filenode != 0 {
					if a := after.rels[b.oid]; a != nil && (a.filenode != b.filenode) != tr.Claimed.Rewrite {
						got = append(got, tr.Table+": rewrite: claim and relfilenode disagree")
					}
				}
			}
			if len(got) > 0 {
				t.Errorf("mismatches between Effects and the server:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
