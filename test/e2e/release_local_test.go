package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/pgtest"
)

// End-to-end tests of `zdcd-release release` without Heroku credentials: local pg_dump backups,
// no maintenance mode. The binary runs as the release phase runs it, in the project directory,
// with DATABASE_URL and nothing else of the developer's environment.

// samplePending are the sample app's migrations pending after the baseline (README.md).
var samplePending = []string{
	"accounts/0003", "accounts/0004", "accounts/0005",
	"shop/0004", "shop/0005", "shop/0006", "shop/0007", "shop/0008", "shop/0009", "shop/0010", "shop/0011", "shop/0012",
	"blog/0002", "blog/0003", "blog/0004", "blog/0005",
}

// sampleVersion copies the sample app keeping, of the migrations pending after the baseline, only
// keep: a version of the app whose pending work is exactly those.
func sampleVersion(t testing.TB, keep ...string) string {
	t.Helper()
	var drop []string
	for _, m := range samplePending {
		if !slices.Contains(keep, m) {
			drop = append(drop, m)
		}
	}
	return sampleWithout(t, drop...)
}

// writeMigration adds a migration file to app in the project dir.
func writeMigration(t testing.TB, dir, app, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, app, "migrations", name+".py"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// failingMigration is an atomic migration on accounts that adds column, then fails adding it
// again. (A slow or unbounded statement after the ADD COLUMN, such as SELECT 1/0, would be judged
// unsafe: it would keep the ACCESS EXCLUSIVE lock.)
func failingMigration(dependsOn, column string) string {
	return fmt.Sprintf(`from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', %q),
    ]

    operations = [
        migrations.AddField(
            model_name='customer',
            name=%q,
            field=models.CharField(blank=True, max_length=20, null=True),
        ),
        # Fails: the column was just added.
        migrations.RunSQL(
            'ALTER TABLE "accounts_customer" ADD COLUMN "%[2]s" varchar(20) NULL',
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
`, dependsOn, column)
}

// gateKey is the advisory lock a gate migration waits for: the test holds it to keep the
// migration running as long as it needs.
const gateKey = 4242

// gateMigration waits (with no lock_timeout of its own) until the test gives gateKey up.
func gateMigration(dependsOn string) string {
	return fmt.Sprintf(`from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', %q),
    ]

    operations = [
        migrations.RunSQL(
            "SET LOCAL lock_timeout = 0; SELECT pg_advisory_xact_lock(%d)",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
`, dependsOn, gateKey)
}

// releaseEnv is the release phase's environment: the database and a backup directory.
func releaseEnv(dbURL, backupDir string, extra ...string) []string {
	return append(append(baseEnv(dbURL), "ZDCD_BACKUP_DIR="+backupDir), extra...)
}

// gated is a database at accounts 0003 with a pending accounts.0004_gate, whose migration waits
// at the gate holdGate holds (call open to let it through): a release stopped mid-migration.
type gated struct {
	dbURL, dir string
	conn       *pgx.Conn
	open       func()
}

func atGate(t testing.TB) gated {
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t, "accounts/0003")
	writeMigration(t, dir, "accounts", "0004_gate", gateMigration("0003_customer_phone_ordering"))
	migrateBaseline(t, dir, dbURL)
	manage(t, dir, dbURL, "migrate", "--noinput", "accounts", "0003")
	conn := connect(t, dbURL)
	return gated{dbURL: dbURL, dir: dir, conn: conn, open: holdGate(t, dbURL)}
}

func connect(t testing.TB, dbURL string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// appliedSet is django_migrations as "app.name" lines, one per row (duplicates kept), sorted.
func appliedSet(t testing.TB, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT app || '.' || name FROM django_migrations ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// columns lists a table's columns in order.
func columns(t testing.TB, conn *pgx.Conn, table string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT column_name::text FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`, table)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tableContents is every row of every table of the public schema, as JSON, table by table.
func tableContents(t testing.TB, conn *pgx.Conn) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, tb := range tables {
		var s string
		q := fmt.Sprintf(`SELECT coalesce(json_agg(r ORDER BY r::text), '[]')::text FROM (SELECT * FROM public.%s) r`, pgx.Identifier{tb}.Sanitize())
		if err := conn.QueryRow(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		out[tb] = s
	}
	return out
}

func backupFiles(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// history is `zdcd-release history --format json`.
func history(t testing.TB, dir string, env []string) []ledger.RunSummary {
	t.Helper()
	r := run(t, dir, env, "history", "--format", "json")
	var runs []ledger.RunSummary
	if r.code != 0 {
		t.Fatalf("history:\n%s", r)
	}
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil {
		t.Fatalf("history JSON: %v\n%s", err, r)
	}
	return runs
}

// runDetail is `zdcd-release history <id> --format json`.
func runDetail(t testing.TB, dir string, env []string, id int64) *ledger.Detail {
	t.Helper()
	r := run(t, dir, env, "history", "--format", "json", strconv.FormatInt(id, 10))
	if r.code != 0 {
		t.Fatalf("history %d:\n%s", id, r)
	}
	var d ledger.Detail
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("history %d JSON: %v\n%s", id, err, r)
	}
	return &d
}

// onlyRun returns the single run of the ledger, failing when there is not exactly one.
func onlyRun(t testing.TB, dir string, env []string) ledger.RunSummary {
	t.Helper()
	runs := history(t, dir, env)
	if len(runs) != 1 {
		t.Fatalf("want 1 run in the ledger, got %d: %+v", len(runs), runs)
	}
	return runs[0]
}

func stepNames(d *ledger.Detail) []string {
	var s []string
	for _, st := range d.Steps {
		s = append(s, st.Name)
	}
	return s
}

func findStep(d *ledger.Detail, name string) (ledger.Step, bool) {
	for _, st := range d.Steps {
		if st.Name == name {
			return st, true
		}
	}
	return ledger.Step{}, false
}

func keyStrings(d *ledger.Detail) (applied []string) {
	for _, k := range d.Applied() {
		applied = append(applied, k.String())
	}
	return applied
}

// syncBuffer is an output buffer read while the process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// background is the binary running in the background.
type background struct {
	cmd         *exec.Cmd
	out, errb   syncBuffer
	done        chan struct{}
	res         result
	waitErr     error
	description string
}

// start starts the binary in dir with env and args, killed at the end of the test if still running.
func start(t testing.TB, dir string, env []string, args ...string) *background {
	t.Helper()
	bg := &background{done: make(chan struct{}), description: strings.Join(args, " ")}
	bg.cmd = exec.Command(binary, args...)
	bg.cmd.Dir, bg.cmd.Env = dir, env
	bg.cmd.Stdout, bg.cmd.Stderr = &bg.out, &bg.errb
	if err := bg.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(bg.done)
		err := bg.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			bg.res.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				bg.waitErr = fmt.Errorf("killed by %s", ws.Signal())
			}
		case err != nil:
			bg.waitErr = err
		}
		bg.res.stdout, bg.res.stderr = bg.out.String(), bg.errb.String()
	}()
	t.Cleanup(func() {
		select {
		case <-bg.done:
		default:
			bg.cmd.Process.Kill()
			<-bg.done
		}
	})
	return bg
}

// waitBound bounds every wait for something that must happen: never a timing assertion, only a
// guard against a hung test.
const waitBound = 2 * time.Minute

// wait waits for the process to exit.
func (bg *background) wait(t testing.TB) result {
	t.Helper()
	select {
	case <-bg.done:
	case <-time.After(waitBound):
		bg.cmd.Process.Kill()
		<-bg.done
		t.Fatalf("%s did not exit within %s:\n%s", bg.description, waitBound, bg.res)
	}
	if bg.waitErr != nil {
		t.Fatalf("%s: %v\n%s", bg.description, bg.waitErr, bg.res)
	}
	return bg.res
}

func (bg *background) snapshot() result {
	return result{stdout: bg.out.String(), stderr: bg.errb.String(), code: -1}
}

// waitUntil polls cond until it holds, failing if the process it watches exits first or the
// bound passes.
func waitUntil(t testing.TB, what string, bg *background, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for !cond() {
		if bg != nil {
			select {
			case <-bg.done:
				if cond() {
					return
				}
				t.Fatalf("%s exited before %s:\n%s", bg.description, what, bg.res)
			default:
			}
		}
		if time.Now().After(deadline) {
			out := ""
			if bg != nil {
				out = bg.snapshot().String()
			}
			t.Fatalf("not %s within %s\n%s", what, waitBound, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// migrateSessions counts the migrate command's sessions, and those waiting for an advisory lock
// (the tests' gate; a wait for django_migrations while zdcd verifies the session is not one).
func migrateSessions(t testing.TB, conn *pgx.Conn) (all, waiting int) {
	t.Helper()
	err := conn.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'advisory')
		FROM pg_stat_activity WHERE application_name = 'zdcd-migrate' AND datname = current_database()`).Scan(&all, &waiting)
	if err != nil {
		t.Fatal(err)
	}
	return all, waiting
}

// holdGate takes the gate's advisory lock on its own session; the returned func gives it up.
func holdGate(t testing.TB, dbURL string) func() {
	t.Helper()
	conn := connect(t, dbURL)
	if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_lock($1)", int64(gateKey)); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", int64(gateKey)); err != nil {
				t.Error(err)
			}
		})
	}
}

func mustContain(t testing.TB, r result, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, r)
		}
	}
}

// nothingPendingProject is the sample app at the baseline with nothing pending.
func nothingPendingProject(t testing.TB) (dir, dbURL string) {
	t.Helper()
	dbURL = pgtest.NewDatabase(t)
	dir = sampleVersion(t)
	migrateBaseline(t, dir, dbURL)
	return dir, dbURL
}

func TestReleaseNothingPending(t *testing.T) {
	dir, dbURL := nothingPendingProject(t)
	manage(t, dir, dbURL, "migrate", "--noinput") // everything in the version: a no-op
	conn := connect(t, dbURL)
	before := appliedSet(t, conn)
	backups := t.TempDir()
	env := releaseEnv(dbURL, backups)

	r := run(t, dir, env, "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	mustContain(t, r, "No migrations to apply.")
	if strings.Contains(r.stdout, "Backing up") || len(backupFiles(t, backups)) != 0 {
		t.Errorf("a backup was taken with nothing to migrate:\n%s", r)
	}
	if got := appliedSet(t, conn); !slices.Equal(got, before) {
		t.Errorf("applied set changed:\n%v\nwant\n%v", got, before)
	}
	sum := onlyRun(t, dir, env)
	if sum.Outcome != ledger.OutcomeNothingPending || sum.ExitCode != 0 || sum.Command != ledger.CommandRelease || sum.Migrations != 0 {
		t.Errorf("ledger run: %+v", sum)
	}
	d := runDetail(t, dir, env, sum.ID)
	if d.Outcome != ledger.OutcomeNothingPending || len(d.Migrations) != 0 || !slices.Contains(stepNames(d), "plan") {
		t.Errorf("ledger detail: %+v", d)
	}
}

// benchNothingPending times cmd (binary or python) on a prepared project with nothing pending.
func benchNothingPending(b *testing.B, name string, args ...string) {
	dir, dbURL := nothingPendingProject(b)
	manage(b, dir, dbURL, "migrate", "--noinput")
	env := releaseEnv(dbURL, b.TempDir())
	for b.Loop() {
		timeCommand(b, 0, name, args, dir, env)
	}
}

// BenchmarkReleaseNothingPending and BenchmarkMigrateNothingPending compare `zdcd-release
// release` with the app's own migrate command when nothing is pending (target: release at most
// 1.5× migrate):
//
//	go test ./test/e2e -run '^$' -bench NothingPending -benchtime 10x
func BenchmarkReleaseNothingPending(b *testing.B) {
	benchNothingPending(b, binary, "release")
}

func BenchmarkMigrateNothingPending(b *testing.B) {
	benchNothingPending(b, python(), "manage.py", "migrate", "--noinput")
}

func TestReleaseRefusesUnsafe(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t, "accounts/0003", "accounts/0004")
	migrateBaseline(t, dir, dbURL)
	conn := connect(t, dbURL)
	before, cols := appliedSet(t, conn), columns(t, conn, "accounts_customer")
	backups := t.TempDir()
	env := releaseEnv(dbURL, backups)

	r := run(t, dir, env, "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 1 {
		t.Fatalf("want exit 1 (refused):\n%s", r)
	}
	mustContain(t, r,
		"Refused: 1 of 2 pending migrations would break the release still serving traffic (accounts.0004_customer_is_vip).",
		"Nothing was changed",
		"To ship it, either:",
		"zdcd-release explain <rule>",
		"zdcd-release nightly",
		"ZDCD_ALLOW=app.migration[:rule]",
		"add-required-column",
	)
	if strings.Contains(r.stdout, "Migrating") || strings.Contains(r.stdout, "Backing up") {
		t.Errorf("a refused release migrated or backed up:\n%s", r)
	}
	if got := appliedSet(t, conn); !slices.Equal(got, before) {
		t.Errorf("applied set changed:\n%v\nwant\n%v", got, before)
	}
	if got := columns(t, conn, "accounts_customer"); !slices.Equal(got, cols) {
		t.Errorf("accounts_customer columns changed: %v, want %v", got, cols)
	}
	if f := backupFiles(t, backups); len(f) != 0 {
		t.Errorf("backup files written for a refusal: %v", f)
	}

	sum := onlyRun(t, dir, env)
	if sum.Outcome != ledger.OutcomeRefused || sum.ExitCode != 1 || sum.Verdict != ledger.VerdictUnsafe || sum.Migrations != 2 || sum.Unsafe != 1 || sum.Applied != 0 {
		t.Errorf("ledger run: %+v", sum)
	}
	mustContain(t, r, fmt.Sprintf("Recorded as run %d", sum.ID))
	d := runDetail(t, dir, env, sum.ID)
	var vip *ledger.Migration
	for i, m := range d.Migrations {
		if m.Key().String() == "accounts.0003_customer_phone_ordering" && !m.Safe {
			t.Errorf("accounts.0003 recorded unsafe: %+v", m)
		}
		if m.Key().String() == "accounts.0004_customer_is_vip" {
			vip = &d.Migrations[i]
		}
	}
	if vip == nil || vip.Safe || len(vip.Findings) == 0 {
		t.Fatalf("ledger lacks the unsafe migration and its findings: %+v", d.Migrations)
	}
	if f := vip.Findings[0]; f.Rule != "add-required-column" || f.Message == "" || f.Fix == "" {
		t.Errorf("recorded finding: %+v", f)
	}
	if len(d.Applied()) != 0 {
		t.Errorf("ledger says the refusal applied %v", d.Applied())
	}
}

func TestReleaseNightlyAppliesUnsafe(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t, "accounts/0003", "accounts/0004")
	migrateBaseline(t, dir, dbURL)
	conn := connect(t, dbURL)
	backups := t.TempDir()
	env := releaseEnv(dbURL, backups)

	r := run(t, dir, env, "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 1 {
		t.Fatalf("first release: want exit 1 (refused):\n%s", r)
	}
	refused := onlyRun(t, dir, env)

	r = run(t, dir, append(env, "NIGHTLY_BUILD=true"), "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 0 {
		t.Fatalf("nightly release: want exit 0:\n%s", r)
	}
	mustContain(t, r, "NIGHTLY_BUILD=true", "Backing up the database", "Applying accounts.0004_customer_is_vip", "Applied 2 migration(s)")
	applied := appliedSet(t, conn)
	for _, m := range []string{"accounts.0003_customer_phone_ordering", "accounts.0004_customer_is_vip"} {
		if !slices.Contains(applied, m) {
			t.Errorf("%s not applied: %v", m, applied)
		}
	}
	if cols := columns(t, conn, "accounts_customer"); !slices.Contains(cols, "is_vip") || !slices.Contains(cols, "phone") {
		t.Errorf("accounts_customer columns: %v", cols)
	}
	files := backupFiles(t, backups)
	if len(files) != 1 {
		t.Fatalf("want one backup file, got %v", files)
	}
	if fi, err := os.Stat(filepath.Join(backups, files[0])); err != nil || fi.Size() == 0 {
		t.Errorf("backup file %s: %v", files[0], err)
	}

	runs := history(t, dir, env)
	if len(runs) != 2 || runs[1].ID != refused.ID {
		t.Fatalf("want 2 runs, the refusal first: %+v", runs)
	}
	nightly := runs[0]
	if nightly.Outcome != ledger.OutcomeApplied || nightly.ExitCode != 0 || nightly.Verdict != ledger.VerdictNightly || nightly.Applied != 2 {
		t.Errorf("nightly run: %+v", nightly)
	}
	d := runDetail(t, dir, env, nightly.ID)
	if d.BackupID != files[0] || !strings.Contains(d.BackupLocation, backups) {
		t.Errorf("recorded backup %q at %q, want %s in %s", d.BackupID, d.BackupLocation, files[0], backups)
	}
	if got := keyStrings(d); !slices.Equal(got, []string{"accounts.0003_customer_phone_ordering", "accounts.0004_customer_is_vip"}) {
		t.Errorf("recorded applied: %v", got)
	}
	for _, s := range []string{"plan", "backup", "migrate"} {
		if st, ok := findStep(d, s); !ok || !st.OK {
			t.Errorf("step %s missing or failed: %v", s, d.Steps)
		}
	}
	old := runDetail(t, dir, env, refused.ID)
	if old.Outcome != ledger.OutcomeRefused || old.SupersededBy != nightly.ID || old.SupersededAt.IsZero() {
		t.Errorf("the refusal is not superseded by run %d: %+v", nightly.ID, old.Run)
	}
}

func TestReleaseRetriesLockTimeout(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t, "accounts/0003")
	migrateBaseline(t, dir, dbURL)
	conn := connect(t, dbURL)
	if _, err := conn.Exec(ctx, "INSERT INTO accounts_customer (email, name, created_at) VALUES ('a@example.com', 'A', now())"); err != nil {
		t.Fatal(err)
	}

	// A long transaction that has read the table: ADD COLUMN's ACCESS EXCLUSIVE waits for it.
	holder := connect(t, dbURL)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT count(*) FROM accounts_customer"); err != nil {
		t.Fatal(err)
	}
	// The app: reads that queue behind the waiting DDL while it waits.
	app := connect(t, dbURL)
	stopApp := make(chan struct{})
	appDone := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stopApp:
				appDone <- nil
				return
			default:
			}
			if _, err := app.Exec(ctx, "SELECT count(*) FROM accounts_customer"); err != nil {
				appDone <- err
				return
			}
		}
	}()
	stopAppOnce := sync.OnceValue(func() error { close(stopApp); return <-appDone })
	defer stopAppOnce()

	env := releaseEnv(dbURL, t.TempDir(), "ZDCD_LOCK_WAIT=0", "ZDCD_LOCK_TIMEOUT=200ms",
		"ZDCD_LOCK_RETRY_DELAY=200ms", "ZDCD_LOCK_RETRY_MAX_DELAY=200ms", "ZDCD_LOCK_RETRIES=50")
	bg := start(t, dir, env, "release")
	waitUntil(t, "a lock timeout retried and a blocked session reported", bg, func() bool {
		out := bg.out.String()
		return strings.Contains(out, "lock timeout; retry") && strings.Contains(out, "watchdog: session blocked behind the migration")
	})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := bg.wait(t)
	t.Logf("release:\n%s", r)
	if err := stopAppOnce(); err != nil {
		t.Errorf("the app's reads failed: %v", err)
	}
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	mustContain(t, r, "lock timeout; retry 1 of 50 in 200ms", "session(s) waited behind the migration", "Applied 1 migration(s)")
	if !regexp.MustCompile(`Watchdog: [1-9]\d* session\(s\) waited behind the migration`).MatchString(r.stdout) {
		t.Errorf("no watchdog summary:\n%s", r)
	}
	if !slices.Contains(columns(t, conn, "accounts_customer"), "phone") {
		t.Error("phone not added")
	}
	if n := strings.Count(strings.Join(appliedSet(t, conn), "\n"), "accounts.0003_customer_phone_ordering"); n != 1 {
		t.Errorf("accounts.0003 recorded %d times", n)
	}
	sum := onlyRun(t, dir, env)
	if sum.Outcome != ledger.OutcomeApplied || sum.ExitCode != 0 {
		t.Errorf("ledger run: %+v", sum)
	}
	st, ok := findStep(runDetail(t, dir, env, sum.ID), "migrate")
	m := regexp.MustCompile(`(\d+) lock timeout\(s\)`).FindStringSubmatch(st.Detail)
	if !ok || !st.OK || m == nil || m[1] == "0" || !strings.Contains(st.Detail, "watchdog") {
		t.Errorf("migrate step detail %q (ok=%v) does not report the lock timeouts and the watchdog", st.Detail, st.OK)
	}
}

func TestReleaseFailureNothingApplied(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t)
	writeMigration(t, dir, "accounts", "0003_customer_broken", failingMigration("0002_customer_nickname", "broken"))
	migrateBaseline(t, dir, dbURL)
	conn := connect(t, dbURL)
	before, cols := appliedSet(t, conn), columns(t, conn, "accounts_customer")
	env := releaseEnv(dbURL, t.TempDir())

	r := run(t, dir, env, "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 3 {
		t.Fatalf("want exit 3:\n%s", r)
	}
	mustContain(t, r, "Applying accounts.0003_customer_broken", "already exists", "Nothing was applied")
	if strings.Contains(r.stdout, "Restoring") {
		t.Errorf("restored although nothing was applied:\n%s", r)
	}
	if got := appliedSet(t, conn); !slices.Equal(got, before) {
		t.Errorf("applied set changed:\n%v\nwant\n%v", got, before)
	}
	if got := columns(t, conn, "accounts_customer"); !slices.Equal(got, cols) {
		t.Errorf("accounts_customer columns changed: %v, want %v", got, cols)
	}
	sum := onlyRun(t, dir, env)
	if sum.Outcome != ledger.OutcomeMigrationFailed || sum.ExitCode != 3 || sum.Applied != 0 || sum.Error == "" {
		t.Errorf("ledger run: %+v", sum)
	}
	d := runDetail(t, dir, env, sum.ID)
	if st, ok := findStep(d, "migrate"); !ok || st.OK {
		t.Errorf("migrate step missing or OK: %v", d.Steps)
	}
	if _, ok := findStep(d, "restore"); ok {
		t.Errorf("a restore step was recorded: %v", d.Steps)
	}
}

func TestReleaseFailureAfterSafeMigrations(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t, "accounts/0003")
	writeMigration(t, dir, "accounts", "0004_customer_broken", failingMigration("0003_customer_phone_ordering", "broken"))
	migrateBaseline(t, dir, dbURL)
	conn := connect(t, dbURL)
	before := appliedSet(t, conn)
	env := releaseEnv(dbURL, t.TempDir())

	r := run(t, dir, env, "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 3 {
		t.Fatalf("want exit 3:\n%s", r)
	}
	mustContain(t, r, "Applied before the failure: accounts.0003_customer_phone_ordering.",
		"backward compatible", "no restore", "They stay applied")
	if strings.Contains(r.stdout, "Restoring") {
		t.Errorf("restored although only safe migrations were applied:\n%s", r)
	}
	want := append(slices.Clone(before), "accounts.0003_customer_phone_ordering")
	slices.Sort(want)
	if got := appliedSet(t, conn); !slices.Equal(got, want) {
		t.Errorf("applied set:\n%v\nwant\n%v", got, want)
	}
	cols := columns(t, conn, "accounts_customer")
	if !slices.Contains(cols, "phone") || slices.Contains(cols, "broken") {
		t.Errorf("accounts_customer columns: %v (want phone, not broken)", cols)
	}
	sum := onlyRun(t, dir, env)
	if sum.Outcome != ledger.OutcomeMigrationFailed || sum.ExitCode != 3 || sum.Applied != 1 {
		t.Errorf("ledger run: %+v", sum)
	}
	d := runDetail(t, dir, env, sum.ID)
	if got := keyStrings(d); !slices.Equal(got, []string{"accounts.0003_customer_phone_ordering"}) {
		t.Errorf("ledger applied: %v", got)
	}
	if _, ok := findStep(d, "restore"); ok {
		t.Errorf("a restore step was recorded: %v", d.Steps)
	}
}

func TestReleaseNightlyFailureRestored(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t, "accounts/0003", "accounts/0004")
	writeMigration(t, dir, "accounts", "0005_customer_broken", failingMigration("0004_customer_is_vip", "broken"))
	migrateBaseline(t, dir, dbURL)
	conn := connect(t, dbURL)
	for _, q := range []string{
		"INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) VALUES ('!', false, 'ada', 'Ada', 'L', 'ada@example.com', false, true, '2026-01-02T03:04:05Z')",
		"INSERT INTO accounts_customer (email, name, nickname, created_at, user_id) SELECT 'ada@example.com', 'Ada', 'ada', '2026-01-02T03:04:05Z', id FROM auth_user",
		"INSERT INTO accounts_customer (email, name, created_at) VALUES ('bob@example.com', 'Bob', '2026-02-03T04:05:06Z')",
		"INSERT INTO shop_product (name, price, legacy_code, sku) VALUES ('Tea', 3.50, 'T-1', NULL), ('Cup', 7.25, NULL, 'CUP')",
		"INSERT INTO shop_order (quantity, created_at, customer_id, product_id) SELECT 2, '2026-03-04T05:06:07Z', c.id, p.id FROM accounts_customer c, shop_product p",
		"INSERT INTO blog_tag (name) VALUES ('news'), ('tea')",
		"INSERT INTO blog_post (title, body, published_at, author_id) SELECT 'Hello', 'Body é ✓', NULL, id FROM accounts_customer WHERE name = 'Ada'",
		"INSERT INTO blog_post_tags (post_id, tag_id) SELECT p.id, t.id FROM blog_post p, blog_tag t",
		"INSERT INTO blog_legacycomment (text, post_id) SELECT 'old', id FROM blog_post",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	before, cols, contents := appliedSet(t, conn), columns(t, conn, "accounts_customer"), tableContents(t, conn)
	backups := t.TempDir()
	env := releaseEnv(dbURL, backups, "NIGHTLY_BUILD=true")

	r := run(t, dir, env, "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 3 {
		t.Fatalf("want exit 3:\n%s", r)
	}
	mustContain(t, r, "Applying accounts.0004_customer_is_vip", "already exists",
		"Changes the old release may not survive reached the database: accounts.0004_customer_is_vip. Restoring the backup.",
		"restoring without maintenance mode", "Restored: the database is back to where it was before the release",
		"The database is restored")
	if got := appliedSet(t, conn); !slices.Equal(got, before) {
		t.Errorf("applied set after the restore:\n%v\nwant\n%v", got, before)
	}
	if got := columns(t, conn, "accounts_customer"); !slices.Equal(got, cols) {
		t.Errorf("accounts_customer columns after the restore: %v, want %v", got, cols)
	}
	after := tableContents(t, conn)
	for tb, want := range contents {
		if after[tb] != want {
			t.Errorf("table %s after the restore:\n%s\nwant\n%s", tb, after[tb], want)
		}
	}
	for tb := range after {
		if _, ok := contents[tb]; !ok {
			t.Errorf("table %s appeared", tb)
		}
	}
	// The app still writes: the sequences came back too, past the seeded rows.
	if _, err := conn.Exec(ctx, "INSERT INTO accounts_customer (email, name, created_at) VALUES ('cy@example.com', 'Cy', now())"); err != nil {
		t.Errorf("insert after the restore: %v", err)
	}

	sum := onlyRun(t, dir, env)
	if sum.Outcome != ledger.OutcomeRestored || sum.ExitCode != 3 || sum.Verdict != ledger.VerdictNightly || sum.BackupID == "" {
		t.Errorf("ledger run after the restore: %+v", sum)
	}
	d := runDetail(t, dir, env, sum.ID)
	names := stepNames(d)
	for _, s := range []string{"plan", "backup", "migrate", "restore", "verify"} {
		if !slices.Contains(names, s) {
			t.Errorf("step %s not recorded: %v", s, names)
		}
	}
	for _, s := range []string{"restore", "verify"} {
		if st, _ := findStep(d, s); !st.OK {
			t.Errorf("step %s not OK: %+v", s, st)
		}
	}
	if len(d.Migrations) != 3 {
		t.Errorf("plan of the run lost in the restore: %+v", d.Migrations)
	}
	if len(d.Applied()) != 0 || len(d.Unapplied()) != 0 {
		t.Errorf("ledger: applied %v, unapplied %v after the restore (want the set before)", d.Applied(), d.Unapplied())
	}
	if files := backupFiles(t, backups); len(files) != 1 || files[0] != d.BackupID {
		t.Errorf("backup files %v, recorded %q", files, d.BackupID)
	}
	// A later run gets a new id.
	r = run(t, sampleVersion(t), releaseEnv(dbURL, t.TempDir()), "release")
	if r.code != 0 {
		t.Fatalf("release after the restore:\n%s", r)
	}
	if runs := history(t, dir, env); len(runs) != 2 || runs[0].ID <= sum.ID {
		t.Errorf("runs after another release: %+v", runs)
	}
}

func TestReleaseConcurrent(t *testing.T) {
	gated := func(t *testing.T) (dir, dbURL string, conn *pgx.Conn, open func()) {
		dbURL = pgtest.NewDatabase(t)
		dir = sampleVersion(t, "accounts/0003")
		writeMigration(t, dir, "accounts", "0004_gate", gateMigration("0003_customer_phone_ordering"))
		migrateBaseline(t, dir, dbURL)
		conn = connect(t, dbURL)
		return dir, dbURL, conn, holdGate(t, dbURL)
	}
	// waitGate waits until the migrate command waits at the gate.
	waitGate := func(t *testing.T, conn *pgx.Conn, bg *background) {
		waitUntil(t, "the migration waits at the gate", bg, func() bool {
			_, waiting := migrateSessions(t, conn)
			return waiting > 0
		})
	}

	t.Run("started at once", func(t *testing.T) {
		// A fresh database without a ledger: both create it, then race for the release lock.
		dir, dbURL, conn, open := gated(t)
		defer open()
		env := releaseEnv(dbURL, t.TempDir())
		a, b := start(t, dir, env, "release"), start(t, dir, env, "release")
		waiting := func(bg *background) bool { return strings.Contains(bg.out.String(), "Another release is migrating") }
		waitUntil(t, "one release waits at the gate and the other for the release lock", nil, func() bool {
			for _, bg := range []*background{a, b} {
				select {
				case <-bg.done:
					t.Fatalf("%s exited early:\n%s", bg.description, bg.res)
				default:
				}
			}
			_, atGate := migrateSessions(t, conn)
			return atGate > 0 && (waiting(a) || waiting(b))
		})
		open()
		ra, rb := a.wait(t), b.wait(t)
		t.Logf("release a:\n%s\nrelease b:\n%s", ra, rb)
		first, second := ra, rb
		if waiting(a) {
			first, second = rb, ra
		}
		for _, r := range []result{ra, rb} {
			assertNoSecret(t, r, password(t, dbURL))
			if r.code != 0 {
				t.Errorf("want exit 0:\n%s", r)
			}
		}
		if strings.Contains(first.stdout, "Another release is migrating") {
			t.Errorf("both releases waited for the release lock:\n%s\n%s", ra, rb)
		}
		mustContain(t, first, "Applying accounts.0004_gate", "Applied 2 migration(s)")
		mustContain(t, second, "holds the release lock. Waiting up to 10m0s for it.", "Got the release lock.", "No migrations to apply.")
		if strings.Contains(second.stdout, "Applying") || strings.Contains(second.stdout, "Backing up") {
			t.Errorf("the second release migrated or backed up:\n%s", second)
		}
		applied := appliedSet(t, conn)
		for _, m := range []string{"accounts.0003_customer_phone_ordering", "accounts.0004_gate"} {
			if n := slices.Index(applied, m); n < 0 || slices.Index(applied[n+1:], m) >= 0 {
				t.Errorf("%s not applied exactly once: %v", m, applied)
			}
		}
		runs := history(t, dir, env)
		var outcomes []ledger.Outcome
		for _, r := range runs {
			outcomes = append(outcomes, r.Outcome)
		}
		if !slices.Equal(outcomes, []ledger.Outcome{ledger.OutcomeNothingPending, ledger.OutcomeApplied}) {
			t.Errorf("ledger outcomes (newest first): %v", outcomes)
		}
	})

	t.Run("second gives up", func(t *testing.T) {
		dir, dbURL, conn, open := gated(t)
		defer open()
		env := releaseEnv(dbURL, t.TempDir())
		first := start(t, dir, env, "release")
		waitGate(t, conn, first)
		applied, cols := appliedSet(t, conn), columns(t, conn, "accounts_customer")
		secondBackups := t.TempDir()
		r := run(t, dir, releaseEnv(dbURL, secondBackups, "ZDCD_RELEASE_LOCK_WAIT=1s"), "release")
		t.Logf("release:\n%s", r)
		assertNoSecret(t, r, password(t, dbURL))
		if r.code != 3 {
			t.Errorf("second release: want exit 3:\n%s", r)
		}
		if msg := strings.TrimSpace(r.stderr); strings.Contains(msg, "\n") || !strings.Contains(msg, "release lock") || !strings.Contains(msg, "ZDCD_RELEASE_LOCK_WAIT=1s") {
			t.Errorf("want a one-line error naming the release lock and the wait:\n%s", r)
		}
		if strings.Contains(r.stdout, "Migrating") || len(backupFiles(t, secondBackups)) != 0 {
			t.Errorf("the second release went on:\n%s", r)
		}
		if got := appliedSet(t, conn); !slices.Equal(got, applied) {
			t.Errorf("applied set changed by the second release: %v, want %v", got, applied)
		}
		if got := columns(t, conn, "accounts_customer"); !slices.Equal(got, cols) {
			t.Errorf("columns changed by the second release: %v, want %v", got, cols)
		}
		open()
		r1 := first.wait(t)
		t.Logf("first release:\n%s", r1)
		if r1.code != 0 {
			t.Errorf("first release: want exit 0:\n%s", r1)
		}
		// The run that gave up is recorded (outcome failed, exit 3, the error naming the lock); the
		// first one applied.
		runs := history(t, dir, env)
		var gaveUp, appliedRuns int
		for _, run := range runs {
			switch {
			case run.Outcome == ledger.OutcomeFailed && run.ExitCode == 3 && strings.Contains(run.Error, "release lock"):
				gaveUp++
			case run.Outcome == ledger.OutcomeApplied:
				appliedRuns++
			}
		}
		if len(runs) != 2 || gaveUp != 1 || appliedRuns != 1 {
			t.Errorf("ledger: want one applied run and one that gave up on the lock: %+v", runs)
		}
	})
	t.Run("interrupted while waiting", func(t *testing.T) {
		dir, dbURL, conn, open := gated(t)
		defer open()
		env := releaseEnv(dbURL, t.TempDir())
		first := start(t, dir, env, "release")
		waitGate(t, conn, first)
		applied := appliedSet(t, conn)
		// A SIGTERM (Heroku's release timeout) while waiting for the lock ends the wait at once.
		waiter := start(t, dir, env, "release")
		waitUntil(t, "the second release waits for the release lock", waiter, func() bool {
			return strings.Contains(waiter.out.String(), "Another release is migrating")
		})
		if err := waiter.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		r := waiter.wait(t)
		t.Logf("interrupted waiter:\n%s", r)
		// Like an interruption while planning, the error says so and that nothing was changed.
		if msg := strings.TrimSpace(r.stderr); r.code != 3 || strings.Contains(msg, "\n") || !strings.Contains(msg, "nothing was changed") {
			t.Errorf("release interrupted while waiting for the lock: want exit 3 and a one-line error saying nothing was changed:\n%s", r)
		}
		if got := appliedSet(t, conn); !slices.Equal(got, applied) {
			t.Errorf("applied set changed by the interrupted release: %v, want %v", got, applied)
		}
		assertNoSecret(t, r, password(t, dbURL))
		open()
		if r1 := first.wait(t); r1.code != 0 {
			t.Errorf("first release: want exit 0:\n%s", r1)
		}
	})
}

func TestReleaseSIGTERM(t *testing.T) {
	ctx := context.Background()
	g := atGate(t)
	defer g.open()
	dbURL, dir, conn := g.dbURL, g.dir, g.conn
	before := appliedSet(t, conn)
	env := releaseEnv(dbURL, t.TempDir())

	r := sigtermAtGate(t, conn, dir, dbURL, env)
	mustContain(t, r, "interrupted: SIGTERM to the migrate command", "was interrupted (SIGTERM)", "Nothing was applied")
	if all, _ := migrateSessions(t, conn); all != 0 {
		t.Errorf("%d zdcd-migrate session(s) left after the release exited", all)
	}
	// Nothing waits for the gate any more: the lock is ours alone.
	var waiters int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").Scan(&waiters); err != nil || waiters != 0 {
		t.Errorf("advisory lock waiters left: %d (%v)", waiters, err)
	}
	if got := appliedSet(t, conn); !slices.Equal(got, before) {
		t.Errorf("applied set changed:\n%v\nwant\n%v", got, before)
	}
	sum := onlyRun(t, dir, env)
	if sum.Outcome != ledger.OutcomeInterrupted || sum.ExitCode != 3 || sum.Applied != 0 {
		t.Errorf("ledger run: %+v", sum)
	}
	// The release lock was given back: the next release runs at once.
	g.open()
	r = run(t, dir, releaseEnv(dbURL, t.TempDir(), "ZDCD_RELEASE_LOCK_WAIT=0"), "release")
	t.Logf("release:\n%s", r)
	if r.code != 0 || strings.Contains(r.stdout, "ended without recording an outcome") {
		t.Errorf("release after the interrupted one:\n%s", r)
	}
}

// TestReleaseSIGTERMNightlyRestores interrupts a nightly release after an unsafe migration was
// applied: the recovery restores the backup on a context of its own.
func TestReleaseSIGTERMNightlyRestores(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t, "accounts/0003", "accounts/0004")
	writeMigration(t, dir, "accounts", "0005_gate", gateMigration("0004_customer_is_vip"))
	migrateBaseline(t, dir, dbURL)
	conn := connect(t, dbURL)
	if _, err := conn.Exec(ctx, "INSERT INTO accounts_customer (email, name, nickname, created_at) VALUES ('ada@example.com', 'Ada', 'ada', '2026-01-02T03:04:05Z')"); err != nil {
		t.Fatal(err)
	}
	open := holdGate(t, dbURL)
	defer open()
	before, cols, contents := appliedSet(t, conn), columns(t, conn, "accounts_customer"), tableContents(t, conn)
	env := releaseEnv(dbURL, t.TempDir(), "NIGHTLY_BUILD=true")

	r := sigtermAtGate(t, conn, dir, dbURL, env)
	mustContain(t, r, "was interrupted (SIGTERM)", "accounts.0004_customer_is_vip. Restoring the backup.", "Restored: the database is back")
	if all, _ := migrateSessions(t, conn); all != 0 {
		t.Errorf("%d zdcd-migrate session(s) left after the release exited", all)
	}
	if got := appliedSet(t, conn); !slices.Equal(got, before) {
		t.Errorf("applied set after the restore:\n%v\nwant\n%v", got, before)
	}
	if got := columns(t, conn, "accounts_customer"); !slices.Equal(got, cols) {
		t.Errorf("accounts_customer columns after the restore: %v, want %v", got, cols)
	}
	after := tableContents(t, conn)
	for tb, want := range contents {
		if after[tb] != want {
			t.Errorf("table %s after the restore:\n%s\nwant\n%s", tb, after[tb], want)
		}
	}
	sum := onlyRun(t, dir, env)
	if sum.Outcome != ledger.OutcomeRestored || sum.ExitCode != 3 {
		t.Errorf("ledger run: %+v", sum)
	}
	names := stepNames(runDetail(t, dir, env, sum.ID))
	for _, s := range []string{"migrate", "restore", "verify"} {
		if !slices.Contains(names, s) {
			t.Errorf("step %s not recorded: %v", s, names)
		}
	}
}

// TestReleaseLockTimeoutsExhausted: a transaction that never ends outlasts every retry; the
// release gives up with nothing applied.
func TestReleaseLockTimeoutsExhausted(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t, "accounts/0003")
	migrateBaseline(t, dir, dbURL)
	conn := connect(t, dbURL)
	before, cols := appliedSet(t, conn), columns(t, conn, "accounts_customer")
	holder := connect(t, dbURL)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT count(*) FROM accounts_customer"); err != nil {
		t.Fatal(err)
	}
	env := releaseEnv(dbURL, t.TempDir(), "ZDCD_LOCK_WAIT=0", "ZDCD_LOCK_TIMEOUT=100ms",
		"ZDCD_LOCK_RETRY_DELAY=100ms", "ZDCD_LOCK_RETRY_MAX_DELAY=100ms", "ZDCD_LOCK_RETRIES=1")

	r := run(t, dir, env, "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 3 {
		t.Fatalf("want exit 3:\n%s", r)
	}
	mustContain(t, r, "lock timeout; retry 1 of 1", "Nothing was applied")
	if all, _ := migrateSessions(t, conn); all != 0 {
		t.Errorf("%d zdcd-migrate session(s) left", all)
	}
	if got := appliedSet(t, conn); !slices.Equal(got, before) {
		t.Errorf("applied set changed:\n%v\nwant\n%v", got, before)
	}
	if got := columns(t, conn, "accounts_customer"); !slices.Equal(got, cols) {
		t.Errorf("accounts_customer columns changed: %v, want %v", got, cols)
	}
	sum := onlyRun(t, dir, env)
	if sum.Outcome != ledger.OutcomeMigrationFailed || sum.ExitCode != 3 {
		t.Errorf("ledger run: %+v", sum)
	}
	if st, ok := findStep(runDetail(t, dir, env, sum.ID), "migrate"); !ok || st.OK || !strings.Contains(st.Detail, "2 attempt(s), 2 lock timeout(s), 0 applied") {
		t.Errorf("migrate step: %+v", st)
	}
}

// TestReleaseBackupFailure: a backup that cannot be written stops the release before any
// migration.
func TestReleaseBackupFailure(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	dir := sampleVersion(t, "accounts/0003")
	migrateBaseline(t, dir, dbURL)
	conn := connect(t, dbURL)
	before := appliedSet(t, conn)
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env := releaseEnv(dbURL, notADir)

	r := run(t, dir, env, "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 3 {
		t.Fatalf("want exit 3:\n%s", r)
	}
	if strings.Contains(r.stdout, "Migrating") {
		t.Errorf("migrated without a backup:\n%s", r)
	}
	if msg := strings.TrimSpace(r.stderr); strings.Contains(msg, "\n") || !strings.Contains(msg, "backup failed") {
		t.Errorf("want a one-line error saying the backup failed:\n%s", r)
	}
	if got := appliedSet(t, conn); !slices.Equal(got, before) {
		t.Errorf("applied set changed:\n%v\nwant\n%v", got, before)
	}
	sum := onlyRun(t, dir, env)
	if sum.Outcome != ledger.OutcomeBackupFailed || sum.ExitCode != 3 {
		t.Errorf("ledger run: %+v", sum)
	}
}

// TestReleaseHistoryRunIDBeforeFlags: `zdcd-release history <id> --format json`, the order people
// type (and this package's brief used), shows the run as JSON like `history --format json <id>`.
func TestReleaseHistoryRunIDBeforeFlags(t *testing.T) {
	dir, dbURL := nothingPendingProject(t)
	env := releaseEnv(dbURL, t.TempDir())
	if r := run(t, dir, env, "release"); r.code != 0 {
		t.Fatalf("release:\n%s", r)
	}
	want := run(t, dir, env, "history", "--format", "json", "1")
	got := run(t, dir, env, "history", "1", "--format", "json")
	if got.code != 0 || got.stdout != want.stdout {
		t.Errorf("history 1 --format json:\n%s\nwant the same as history --format json 1:\n%s", got, want)
	}
}

// sigtermAtGate starts a release whose migration waits at the gate, sends it SIGTERM once the
// migrate command waits there, as Heroku does at the release phase's time limit, and wants exit 3.
func sigtermAtGate(t *testing.T, conn *pgx.Conn, dir, dbURL string, env []string) result {
	t.Helper()
	bg := start(t, dir, env, "release")
	waitUntil(t, "the migrate command waits at the gate", bg, func() bool {
		_, waiting := migrateSessions(t, conn)
		return waiting > 0
	})
	if err := bg.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := bg.wait(t)
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 3 {
		t.Fatalf("want exit 3:\n%s", r)
	}
	return r
}
