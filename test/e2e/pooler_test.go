package e2e

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
)

// Through PgBouncer in transaction (or statement) mode — Heroku's connection pooling — zdcd's
// own sessions cannot hold its release lock, lock_timeout or prepared statements: every command
// that connects refuses the URL before anything is read or changed, exit 2, with the fix (point
// ZDCD_DATABASE_VAR at the direct URL). Session mode keeps working
// (TestReleaseThroughPgBouncerSessionMode). internal/database/pooler.go has the probe.

// poolerFix is the advice every refusal ends with.
const poolerFix = "point ZDCD_DATABASE_VAR at the database's direct URL (on Heroku: ZDCD_DATABASE_VAR=DATABASE_URL, not DATABASE_CONNECTION_POOL_URL)"

func TestPoolerTransactionModeRefused(t *testing.T) {
	tests := []struct {
		name    string
		bouncer pgtest.PgBouncer
		// env is added to the commands' environment.
		env  []string
		want string
	}{
		// zdcd's own connection sends no startup options: PgBouncer lets it in, and the probe sees
		// two clients share one server session.
		{"transaction mode", pgtest.PgBouncer{PoolMode: "transaction"}, nil,
			"reaches a connection pooler (PgBouncer) in transaction pooling mode"},
		// As the issue found it: the startup options dropped, the pooling is what remains.
		{"transaction mode, ignore_startup_parameters=options", pgtest.PgBouncer{PoolMode: "transaction", IgnoreStartupParameters: "options,extra_float_digits"}, nil,
			"reaches a connection pooler (PgBouncer) in transaction pooling mode"},
		// PGOPTIONS in the environment reaches zdcd's own connection (pgx reads it as libpq does):
		// PgBouncer refuses the startup parameter before the probe can run.
		{"transaction mode, PGOPTIONS", pgtest.PgBouncer{PoolMode: "transaction"}, []string{"PGOPTIONS=-c statement_timeout=30000"},
			`reaches a connection pooler (PgBouncer) (it refused the connection: "unsupported startup parameter: options")`},
		{"statement mode", pgtest.PgBouncer{PoolMode: "statement", IgnoreStartupParameters: "options"}, nil,
			"reaches a connection pooler (PgBouncer) in statement pooling mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbURL := pgtest.NewDatabase(t)
			dir := sampleVersion(t, "accounts/0003")
			migrateBaseline(t, dir, dbURL)
			conn := connect(t, dbURL)
			before := appliedSet(t, conn)
			u, _ := url.Parse(dbURL)
			password, _ := u.User.Password()
			through := pgtest.NewPgBouncer(t, dbURL, tt.bouncer)
			backups := t.TempDir()

			// The app's settings read DATABASE_URL; zdcd is told to use the pool's URL, as an app
			// on Heroku with connection pooling attached would be.
			env := append(releaseEnv(dbURL, backups, "DATABASE_CONNECTION_POOL_URL="+through, "ZDCD_DATABASE_VAR=DATABASE_CONNECTION_POOL_URL"), tt.env...)
			for _, args := range [][]string{{"check"}, {"release"}, {"history"}, {"approve", "accounts.0003_customer_phone_ordering", "--by", "alice", "--reason", "small table"}} {
				command := strings.Join(args, " ")
				r := run(t, dir, env, args...)
				prefix := "zdcd-release: the URL in $DATABASE_CONNECTION_POOL_URL " + tt.want
				if r.code != 2 || !strings.HasPrefix(r.stderr, prefix) || strings.Count(r.stderr, "\n") != 1 ||
					!strings.Contains(r.stderr, poolerFix) || !strings.HasSuffix(r.stderr, "Nothing was changed\n") {
					t.Errorf("%s: want exit 2 and one line starting %q with the fix:\n%s", command, prefix, r)
				}
				assertNoSecret(t, r, password)
			}

			// Nothing was changed: no ledger, no backup, no migration, no column.
			var ledger bool
			if err := conn.QueryRow(context.Background(), "SELECT to_regnamespace('zdcd_ledger') IS NOT NULL").Scan(&ledger); err != nil {
				t.Fatal(err)
			}
			if ledger {
				t.Error("the ledger schema was created")
			}
			if entries, _ := os.ReadDir(backups); len(entries) != 0 {
				t.Errorf("backup directory holds %d entries", len(entries))
			}
			if after := appliedSet(t, conn); !slices.Equal(before, after) {
				t.Errorf("applied set changed:\n%v\n%v", before, after)
			}
			if slices.Contains(columns(t, conn, "accounts_customer"), "phone") {
				t.Error("phone added through the pooler")
			}

			// The fix the line gives: zdcd on the direct URL, the same pooler still in front of
			// the database for the app.
			direct := releaseEnv(dbURL, backups, "DATABASE_CONNECTION_POOL_URL="+through, "ZDCD_DATABASE_VAR=DATABASE_URL")
			if r := run(t, dir, direct, "check"); r.code != 0 {
				t.Errorf("check on the direct URL: want exit 0:\n%s", r)
			}
		})
	}
}

// On the local Heroku: an app that pointed ZDCD_DATABASE_VAR at its connection pool's URL has
// its release refused before the backup (exit 2: Heroku keeps the current release); pointed back
// at DATABASE_URL, the same slug releases.
func TestHerokuReleaseThroughConnectionPool(t *testing.T) {
	e := hkStart(t, "zdcd-pooled", nil)
	through := pgtest.NewPgBouncer(t, e.dbURL, pgtest.PgBouncer{PoolMode: "transaction", IgnoreStartupParameters: "options,extra_float_digits"})
	pool, zvar := through, "DATABASE_CONNECTION_POOL_URL"
	if err := e.srv.SetConfigVars(e.app, map[string]*string{"DATABASE_CONNECTION_POOL_URL": &pool, "ZDCD_DATABASE_VAR": &zvar}); err != nil {
		t.Fatal(err)
	}
	runsBefore := e.query("SELECT count(*) FROM zdcd_ledger.runs")
	dir := e.version(hkKeep("accounts/0003"), nil)

	rel := e.deploy(dir)
	if rel.Status != "failed" || rel.Current {
		t.Fatalf("release v%d %s (current %v): want failed:\n%s", rel.Version, rel.Status, rel.Current, rel.Output)
	}
	hkContainsAll(t, "release output", rel.Output,
		"zdcd-release: the URL in $DATABASE_CONNECTION_POOL_URL reaches a connection pooler (PgBouncer) in transaction pooling mode", poolerFix)
	if n := len(e.transfers("backup")); n != 0 {
		t.Errorf("%d backups: the release must stop before the backup", n)
	}
	if got := e.query("SELECT count(*) FROM zdcd_ledger.runs"); !slices.Equal(got, runsBefore) {
		t.Errorf("ledger runs %v, want %v: nothing may be recorded through the pooler", got, runsBefore)
	}
	if got := e.query("SELECT count(*) FROM django_migrations WHERE app = 'accounts' AND name = '0003_customer_phone_ordering'"); !slices.Equal(got, []string{"0"}) {
		t.Errorf("accounts.0003 applied through the pooler: %v", got)
	}
	if e.srv.Maintenance(e.app) {
		t.Error("maintenance mode is on")
	}

	// The fix: ZDCD_DATABASE_VAR back to the direct URL; the app keeps its pool URL.
	if err := e.srv.SetConfigVars(e.app, map[string]*string{"ZDCD_DATABASE_VAR": nil}); err != nil {
		t.Fatal(err)
	}
	rel = e.deploy(dir)
	if rel.Status != "succeeded" || !rel.Current {
		t.Fatalf("release on the direct URL v%d %s:\n%s", rel.Version, rel.Status, rel.Output)
	}
	hkAssertNoSecrets(e)
}

// The other way round: zdcd connects directly, but the app's settings send Django (and so
// `migrate`) through the transaction pool, with the startup options dropped as Heroku's pool
// does. The guard's SET and read-back succeed there, and prove nothing: the next transaction may
// run on another server connection. The pre-flight probe finds the pooling from inside Django and
// refuses before the backup.
func TestReleaseRefusesMigrateThroughTransactionPooler(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t, "accounts/0003")
	migrateBaseline(t, dir, dbURL)
	conn := connect(t, dbURL)
	before := appliedSet(t, conn)
	through := pgtest.NewPgBouncer(t, dbURL, pgtest.PgBouncer{PoolMode: "transaction", IgnoreStartupParameters: "options,extra_float_digits"})
	settings := filepath.Join(dir, "sampleproject", "settings.py")
	f, err := os.OpenFile(settings, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\nif os.environ.get(\"APP_POOL_URL\"):\n    DATABASES = {\"default\": database_from_url(os.environ[\"APP_POOL_URL\"])}\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	backups := t.TempDir()
	r := run(t, dir, releaseEnv(dbURL, backups, "APP_POOL_URL="+through), "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 2 {
		t.Fatalf("want exit 2:\n%s", r)
	}
	mustContain(t, r, `the migrate command's connection for DATABASES["default"] goes through a connection pooler (transaction pooling`,
		"not DATABASE_CONNECTION_POOL_URL")
	if entries, _ := os.ReadDir(backups); len(entries) != 0 {
		t.Errorf("backup directory holds %d entries: the refusal came after the backup", len(entries))
	}
	if slices.Contains(columns(t, conn, "accounts_customer"), "phone") {
		t.Error("phone added")
	}
	if after := appliedSet(t, conn); !slices.Equal(before, after) {
		t.Errorf("applied set changed:\n%v\n%v", before, after)
	}

	// Direct for the release phase (no APP_POOL_URL), the same release applies.
	if r := run(t, dir, releaseEnv(dbURL, t.TempDir()), "release"); r.code != 0 {
		t.Fatalf("direct: want exit 0:\n%s", r)
	}
}
