package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
)

// The migrate command's session settings (lock_timeout, statement_timeout, application_name) are
// set from inside Django by zdcd's session guard and verified before the first migration, whatever
// the app's settings or a pooler do with the startup options (internal/migrate/session.go).

// appOptions makes the app's settings bound every query with statement_timeout in the connection's
// startup options, as apps bounding their web requests do: libpq then ignores PGOPTIONS.
func appOptions(t testing.TB, dir string) {
	t.Helper()
	path := filepath.Join(dir, "sampleproject", "settings.py")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\nDATABASES[\"default\"][\"OPTIONS\"][\"options\"] = \"-c statement_timeout=30000\"\n"); err != nil {
		t.Fatal(err)
	}
}

// holdCustomers opens a transaction on dbURL that has read accounts_customer and keeps it open:
// ADD COLUMN's ACCESS EXCLUSIVE waits behind it. The returned func ends it.
func holdCustomers(t testing.TB, dbURL string) func() {
	t.Helper()
	ctx := context.Background()
	holder := connect(t, dbURL)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT count(*) FROM accounts_customer"); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := tx.Commit(ctx); err != nil {
			t.Error(err)
		}
	}
}

// releaseBehindBlocker runs a release of accounts/0003 (ADD COLUMN) against appURL while a
// transaction on directURL holds the table past ZDCD_LOCK_WAIT. With no lock_timeout in the
// migrate session the DDL would wait as long as the blocker lasts; the test ends the blocker only
// after two attempts were cut by lock_timeout and retried.
func releaseBehindBlocker(t *testing.T, dir, appURL, directURL string) result {
	t.Helper()
	release := holdCustomers(t, directURL)
	env := releaseEnv(appURL, t.TempDir(), "ZDCD_LOCK_WAIT=0", "ZDCD_LOCK_TIMEOUT=200ms",
		"ZDCD_LOCK_RETRY_DELAY=200ms", "ZDCD_LOCK_RETRY_MAX_DELAY=200ms", "ZDCD_LOCK_RETRIES=50")
	bg := start(t, dir, env, "release")
	waitUntil(t, "two attempts cut by lock_timeout and retried", bg, func() bool {
		return strings.Contains(bg.out.String(), "lock timeout; retry 2 of 50")
	})
	release()
	r := bg.wait(t)
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, directURL))
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	mustContain(t, r,
		`in effect (read back): lock_timeout=200ms statement_timeout=30m0s application_name="zdcd-migrate"`,
		"canceling statement due to lock timeout", "Applied 1 migration(s)")
	if !slices.Contains(columns(t, connect(t, directURL), "accounts_customer"), "phone") {
		t.Error("phone not added")
	}
	return r
}

func TestReleaseLockTimeoutHoldsWithAppOptions(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t, "accounts/0003")
	migrateBaseline(t, dir, dbURL)
	appOptions(t, dir)
	r := releaseBehindBlocker(t, dir, dbURL, dbURL)
	mustContain(t, r, "overridden at connect: statement_timeout=30s from the connection's startup options")
}

func TestReleaseRefusesMigrateCommandWithoutGuard(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t, "accounts/0003")
	migrateBaseline(t, dir, dbURL)
	conn := connect(t, dbURL)
	before := appliedSet(t, conn)
	// -E: Python ignores PYTHONPATH, so zdcd's session guard is not loaded.
	env := releaseEnv(dbURL, t.TempDir(), "ZDCD_MIGRATE_COMMAND=python -E manage.py migrate --noinput")
	r := run(t, dir, env, "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 2 {
		t.Fatalf("want exit 2:\n%s", r)
	}
	last := strings.TrimSpace(r.stderr)
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	if !strings.Contains(last, "did not run zdcd's session guard") || !strings.Contains(last, "-E") {
		t.Errorf("the last line does not say why and what to change: %q", last)
	}
	if slices.Contains(columns(t, conn, "accounts_customer"), "phone") {
		t.Error("phone added: the DDL ran in an unverified session")
	}
	if after := appliedSet(t, conn); !slices.Equal(before, after) {
		t.Errorf("applied set changed:\n%v\n%v", before, after)
	}
}

// pgbouncer runs Debian's PgBouncer in session mode in front of the shared cluster, dropping the
// `options` startup parameter (ignore_startup_parameters), and returns dbURL rewritten to go
// through it.
func pgbouncer(t *testing.T, dbURL string) string {
	t.Helper()
	return pgbouncerWith(t, dbURL, pgtest.PgBouncer{PoolMode: "session", IgnoreStartupParameters: "options,extra_float_digits"})
}

// pgbouncerWith runs PgBouncer with the given pool mode and ignore_startup_parameters in front of
// the shared cluster, and returns dbURL rewritten to go through it.
func pgbouncerWith(t *testing.T, dbURL string, cfg pgtest.PgBouncer) string {
	t.Helper()
	return pgtest.NewPgBouncer(t, dbURL, cfg)
}

func TestReleaseThroughPgBouncerSessionMode(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t, "accounts/0003")
	migrateBaseline(t, dir, dbURL)
	appOptions(t, dir)
	through := pgbouncer(t, dbURL)
	// PgBouncer drops the startup options (the app's and PGOPTIONS alike): only the guard's SET
	// reaches the session, and the release, zdcd's own connections included, goes through it.
	r := releaseBehindBlocker(t, dir, through, dbURL)
	if strings.Contains(r.stdout, "overridden at connect: statement_timeout") {
		t.Errorf("PgBouncer passed the startup options on:\n%s", r)
	}
}
