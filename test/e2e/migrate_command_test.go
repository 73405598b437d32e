package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/pgtest"
)

// ZDCD_MIGRATE_COMMAND and one-at-a-time mode (docs/configuration.md): a plan with a CONCURRENTLY
// migration among others is applied one migration per attempt, zdcd appending `<app> <migration>`
// to the command.

// concurrentIndexMigration builds an index on accounts_customer CONCURRENTLY (atomic = False).
const concurrentIndexMigration = `from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('accounts', '0003_customer_phone_ordering'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='customer',
            index=models.Index(fields=['phone'], name='accounts_customer_phone_idx'),
        ),
    ]
`

// oneAtATimeProject is the sample app at its baseline with two safe migrations pending:
// accounts.0003 (ADD COLUMN, short lock_timeout) and accounts.0004 (CREATE INDEX CONCURRENTLY,
// lock_timeout=0), which the release applies one at a time.
func oneAtATimeProject(t *testing.T) (dir, dbURL string) {
	t.Helper()
	dbURL = pgtest.NewDatabase(t)
	dir = sampleVersion(t, "accounts/0003")
	writeMigration(t, dir, "accounts", "0004_customer_phone_idx", concurrentIndexMigration)
	migrateBaseline(t, dir, dbURL)
	return dir, dbURL
}

// A sh -c script that drops the appended words is refused by every command, `config` included,
// before anything happens, with the valid form in the error.
func TestMigrateCommandShellScriptWithoutArgsRefused(t *testing.T) {
	dir, dbURL := oneAtATimeProject(t)
	conn := connect(t, dbURL)
	before := appliedSet(t, conn)
	backups := t.TempDir()
	for _, cmd := range []string{
		`sh -c '` + python() + ` manage.py migrate --noinput'`,
		`sh -c '` + python() + ` manage.py migrate --noinput "$@"'`, // no $0: the app would be lost
		python() + ` manage.py migrate --noinput && echo done`,
	} {
		env := releaseEnv(dbURL, backups, "ZDCD_MIGRATE_COMMAND="+cmd)
		for _, command := range []string{"config", "check", "release"} {
			r := run(t, dir, env, command)
			assertOneLineError(t, command+" with "+cmd, r)
			if !strings.HasPrefix(r.stderr, "zdcd-release: ZDCD_MIGRATE_COMMAND is invalid: ") || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("%s with %s: want one line naming ZDCD_MIGRATE_COMMAND:\n%s", command, cmd, r)
			}
			if !strings.Contains(r.stderr, `sh -c '<your commands> && exec python manage.py migrate --noinput "$@"' sh`) {
				t.Errorf("%s with %s: the error does not give the valid form:\n%s", command, cmd, r)
			}
			assertNoSecret(t, r, password(t, dbURL))
		}
	}
	if got := appliedSet(t, conn); !slices.Equal(got, before) {
		t.Errorf("applied set changed: %v, want %v", got, before)
	}
	if files := backupFiles(t, backups); len(files) != 0 {
		t.Errorf("a backup was taken: %v", files)
	}
	var ledgerExists bool
	if err := conn.QueryRow(t.Context(), "SELECT to_regnamespace('zdcd_ledger') IS NOT NULL").Scan(&ledgerExists); err != nil || ledgerExists {
		t.Errorf("the ledger was created (%v)", err)
	}
}

// The suggested form, sh -c '… "$@"' sh, applies the plan one migration per attempt, each under
// its own lock_timeout.
func TestMigrateCommandShellScriptWithArgsOneAtATime(t *testing.T) {
	dir, dbURL := oneAtATimeProject(t)
	conn := connect(t, dbURL)
	cmd := `sh -c 'echo wrapper got "$@"; exec ` + python() + ` manage.py migrate --noinput "$@"' sh`
	env := releaseEnv(dbURL, t.TempDir(), "ZDCD_MIGRATE_COMMAND="+cmd)
	if r := run(t, dir, env, "config"); r.code != 0 || !strings.Contains(r.stdout, "ZDCD_MIGRATE_COMMAND=sh -c") {
		t.Fatalf("config:\n%s", r)
	}
	r := run(t, dir, env, "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	out := r.stdout + r.stderr
	for _, want := range []string{
		"wrapper got accounts 0003_customer_phone_ordering",
		"wrapper got accounts 0004_customer_phone_idx",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// One attempt per migration, the CONCURRENTLY build without lock_timeout, the other with it.
	re := regexp.MustCompile(`migrating (accounts\.\S+): .*\(setting lock_timeout=(\S+) `)
	var got []string
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		got = append(got, m[1]+" "+m[2])
	}
	want := []string{"accounts.0003_customer_phone_ordering 100ms", "accounts.0004_customer_phone_idx 0s"}
	if !slices.Equal(got, want) {
		t.Errorf("attempts: %q, want %q", got, want)
	}
	applied := appliedSet(t, conn)
	for _, k := range []string{"accounts.0003_customer_phone_ordering", "accounts.0004_customer_phone_idx"} {
		if !slices.Contains(applied, k) {
			t.Errorf("%s not applied", k)
		}
	}
	if sum := onlyRun(t, dir, env); sum.Outcome != ledger.OutcomeApplied || sum.Applied != 2 {
		t.Errorf("ledger run: %+v", sum)
	}
}

// A wrapper zdcd cannot read (a script file) that drops the appended words: the first attempt,
// meant for accounts.0003 alone, applies both; zdcd stops there and says so. Both migrations are
// backward compatible, so no restore: exit 3 with the state explained.
func TestMigrateCommandWrapperApplyingMoreIsStopped(t *testing.T) {
	dir, dbURL := oneAtATimeProject(t)
	conn := connect(t, dbURL)
	script := filepath.Join(dir, "bin", "migrate.sh")
	if err := os.MkdirAll(filepath.Dir(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec "+python()+" manage.py migrate --noinput\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := releaseEnv(dbURL, t.TempDir(), "ZDCD_MIGRATE_COMMAND=bin/migrate.sh")
	r := run(t, dir, env, "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 3 {
		t.Fatalf("want exit 3:\n%s", r)
	}
	mustContain(t, r, "the attempt for accounts.0003_customer_phone_ordering alone",
		"also applied accounts.0004_customer_phone_idx", `"$@"`, "backward compatible", "no restore")
	if n := strings.Count(r.stdout+r.stderr, "migrating accounts."); n != 1 {
		t.Errorf("%d attempts, want 1 (stop at once)", n)
	}
	applied := appliedSet(t, conn)
	if !slices.Contains(applied, "accounts.0004_customer_phone_idx") {
		t.Errorf("accounts.0004 not applied: %v", applied)
	}
	sum := onlyRun(t, dir, env)
	if sum.Outcome != ledger.OutcomeMigrationFailed || sum.ExitCode != 3 || sum.Applied != 2 {
		t.Errorf("ledger run: %+v", sum)
	}
}
