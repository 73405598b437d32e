package e2e

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/pgtest"
)

// Local backups (no Heroku credentials) without ZDCD_BACKUP_DIR go to a temporary directory that
// the run deletes at its end: nothing is left behind, whatever the outcome short of exit 4.
func TestReleaseLocalBackupTemporaryDirectoryRemoved(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t, "accounts/0003")
	writeMigration(t, dir, "accounts", "0004_customer_broken", failingMigration("0003_customer_phone_ordering", "broken"))
	migrateBaseline(t, dir, dbURL)
	tmp := t.TempDir()
	env := append(baseEnv(dbURL), "TMPDIR="+tmp)
	r := run(t, dir, env, "release")
	t.Logf("release:\n%s", r)
	if r.code != 3 {
		t.Fatalf("want exit 3 (a failed, backward-compatible plan):\n%s", r)
	}
	mustContain(t, r, "Backup zdcd-")
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "zdcd-backup-") {
			t.Errorf("the temporary backup directory %s was left behind", e.Name())
		}
	}
}

// A non-superuser database owner, with an extension the provider installed as superuser: the
// restore would fail on CREATE EXTENSION, so a plan the old release may not survive (approved
// by NIGHTLY_BUILD) is refused after the backup, before any migration — not found out after an
// unsafe migration was applied (exit 4).
func TestReleaseLocalBackupNotRestorableRefused(t *testing.T) {
	adminURL := pgtest.NewDatabase(t)
	admin := connect(t, adminURL)
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatal(err)
	}
	role := fmt.Sprintf("zdcd_owner_e2e_%d", roleCounter.Add(1))
	for _, q := range []string{
		"CREATE ROLE " + role + " LOGIN PASSWORD 'Owner-pw-2'",
		"ALTER DATABASE " + pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize() + " OWNER TO " + role,
	} {
		if _, err := admin.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	u.User = url.UserPassword(role, "Owner-pw-2")
	dbURL := u.String()
	dir := sampleVersion(t, "accounts/0003", "accounts/0004")
	migrateBaseline(t, dir, dbURL)
	if _, err := admin.Exec(t.Context(), "CREATE EXTENSION pg_buffercache"); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, dbURL)
	before := appliedSet(t, conn)
	backups := t.TempDir()
	env := releaseEnv(dbURL, backups, "NIGHTLY_BUILD=true")

	r := run(t, dir, env, "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, "Owner-pw-2")
	if r.code != 3 {
		t.Fatalf("want exit 3:\n%s", r)
	}
	out := r.stdout + r.stderr
	for _, want := range []string{"could not be restored by this role", "cannot create extension pg_buffercache again", "no migration ran and nothing was changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, r)
		}
	}
	if strings.Contains(out, "Migrating:") {
		t.Errorf("a migration ran:\n%s", r)
	}
	if got := appliedSet(t, conn); !slices.Equal(got, before) {
		t.Errorf("applied set changed: %v", got)
	}
	if files := backupFiles(t, backups); len(files) != 0 {
		t.Errorf("the unusable dump was kept: %v", files)
	}
	if sum := onlyRun(t, dir, env); sum.Outcome != ledger.OutcomeBackupFailed || sum.ExitCode != 3 {
		t.Errorf("ledger run: %+v", sum)
	}
}
