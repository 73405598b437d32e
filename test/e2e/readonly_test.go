package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/pgtest"
)

// roleCounter numbers the roles the tests create, so that tests running side by side never share one.
var roleCounter atomic.Int64

// A read-only database is a configuration error (exit 2) naming the cause, before anything is
// changed, whether the ledger exists yet or not — not exit 3 "retry once the ledger is free".
func TestReleaseReadOnlyDatabase(t *testing.T) {
	for _, scope := range []string{"role", "database"} {
		for _, ledgerFirst := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s ledger=%v", scope, ledgerFirst), func(t *testing.T) {
				ctx := context.Background()
				adminURL := pgtest.NewDatabase(t)
				dir := sampleVersion(t) // nothing pending
				migrateBaseline(t, dir, adminURL)
				admin := connect(t, adminURL)

				// The app's role: its own, owning the database, so that it can create the ledger.
				u, err := url.Parse(adminURL)
				if err != nil {
					t.Fatal(err)
				}
				role := fmt.Sprintf("zdcd_app_%d", roleCounter.Add(1))
				dbName := strings.TrimPrefix(u.Path, "/")
				for _, q := range []string{
					"CREATE ROLE " + role + " LOGIN PASSWORD 'app-Pass-1'",
					"ALTER DATABASE " + pgx.Identifier{dbName}.Sanitize() + " OWNER TO " + role,
					"GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role,
				} {
					if _, err := admin.Exec(ctx, q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				u.User = url.UserPassword(role, "app-Pass-1")
				dbURL := u.String()
				env := releaseEnv(dbURL, t.TempDir())

				if ledgerFirst {
					if r := run(t, dir, env, "release"); r.code != 0 {
						t.Fatalf("first release (nothing pending): want exit 0:\n%s", r)
					}
				}
				var stmt, want string
				switch scope {
				case "role":
					stmt = "ALTER ROLE " + role + " SET default_transaction_read_only = on"
					q := pgx.Identifier{role}.Sanitize()
					want = "DATABASE_URL: the database is read-only: default_transaction_read_only=on for role " + q +
						"; run the release as a role that can write, or ALTER ROLE " + q + " RESET default_transaction_read_only"
				case "database":
					stmt = "ALTER DATABASE " + pgx.Identifier{dbName}.Sanitize() + " SET default_transaction_read_only = on"
					want = "DATABASE_URL: the database is read-only: default_transaction_read_only=on for database " + pgx.Identifier{dbName}.Sanitize()
				}
				if _, err := admin.Exec(ctx, stmt); err != nil {
					t.Fatal(err)
				}
				var runsBefore int
				if ledgerFirst {
					if err := admin.QueryRow(ctx, "SELECT count(*) FROM zdcd_ledger.runs").Scan(&runsBefore); err != nil {
						t.Fatal(err)
					}
				}
				for _, args := range [][]string{{"release"}, {"nightly"}, {"rollback"}, {"approve", "--revoke", "1"}} {
					command := strings.Join(args, " ")
					r := run(t, dir, env, args...)
					if command != "release" && r.code == 2 && strings.Contains(r.stderr, "HEROKU_") {
						continue // nightly and rollback need Heroku credentials first
					}
					if r.code != 2 || !strings.HasPrefix(r.stderr, "zdcd-release: "+want) || strings.Count(r.stderr, "\n") != 1 {
						t.Errorf("%s: want exit 2 and one line starting %q:\n%s", command, want, r)
					}
					assertNoSecret(t, r, "app-Pass-1")
				}
				var ledgerExists bool
				if err := admin.QueryRow(ctx, "SELECT to_regnamespace('zdcd_ledger') IS NOT NULL").Scan(&ledgerExists); err != nil {
					t.Fatal(err)
				}
				if ledgerExists != ledgerFirst {
					t.Errorf("ledger exists = %v, want %v", ledgerExists, ledgerFirst)
				}
				if ledgerFirst {
					var n int
					if err := admin.QueryRow(ctx, "SELECT count(*) FROM zdcd_ledger.runs").Scan(&n); err != nil || n != runsBefore {
						t.Errorf("ledger runs: %d, want %d (%v)", n, runsBefore, err)
					}
				}
			})
		}
	}
}

// A hot standby (a follower): exit 2 naming it, before and after the ledger exists.
func TestReleaseHotStandby(t *testing.T) {
	for _, ledgerFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("ledger=%v", ledgerFirst), func(t *testing.T) {
			primary := pgtest.NewCluster(t)
			primaryURL, err := primary.CreateDatabase(context.Background(), "app")
			if err != nil {
				t.Fatal(err)
			}
			dir := sampleVersion(t, "accounts/0003")
			migrateBaseline(t, dir, primaryURL)
			if ledgerFirst {
				// The ledger, created by a release on the primary with nothing pending.
				manage(t, dir, primaryURL, "migrate", "--noinput", "accounts", "0003")
				if r := run(t, dir, releaseEnv(primaryURL, t.TempDir()), "release"); r.code != 0 {
					t.Fatalf("release on the primary:\n%s", r)
				}
			}
			standby := pgtest.NewStandby(t, primary)
			env := releaseEnv(standby.URL("app"), t.TempDir())
			r := run(t, dir, env, "release")
			want := "zdcd-release: DATABASE_URL: the database is read-only: it is a hot standby (pg_is_in_recovery() is true); point DATABASE_URL at the primary"
			if r.code != 2 || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("want exit 2 and one line starting %q:\n%s", want, r)
			}
			assertNoSecret(t, r, primary.Password)
		})
	}
}
