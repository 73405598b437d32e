package migrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/django"
	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/testenv"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// bound is how long a test waits for something that must happen; reaching it fails the test
// (nothing is asserted about how fast things are).
const bound = 90 * time.Second

// The tiny Django project the tests generate: one app with two tables, app_item and app_other.
const settingsPy = `import os
from urllib.parse import unquote, urlsplit
u = urlsplit(os.environ["DATABASE_URL"])
SECRET_KEY = "test"
INSTALLED_APPS = ["app"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": unquote(u.path.lstrip("/")), "USER": unquote(u.username or ""),
    "PASSWORD": unquote(u.password or ""), "HOST": u.hostname, "PORT": str(u.port or ""),
}}
`

const managePy = `import os, sys
if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
`

const initialMigration = `from django.db import migrations, models

class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel("Item", [
            ("id", models.BigAutoField(primary_key=True, serialize=False)),
            ("name", models.CharField(max_length=100)),
        ]),
        migrations.CreateModel("Other", [
            ("id", models.BigAutoField(primary_key=True, serialize=False)),
        ]),
    ]
`

// migration renders a migration depending on the previous one.
func migration(prev, body string, atomic bool) string {
	a := ""
	if !atomic {
		a = "    atomic = False\n"
	}
	return fmt.Sprintf("from django.db import migrations, models\n\nclass Migration(migrations.Migration):\n%s    dependencies = [(\"app\", %q)]\n    operations = [\n%s\n    ]\n", a, prev, body)
}

const addNote = `        migrations.AddField("item", "note", models.CharField(max_length=50, null=True)),`

// project is one test's Django project and database.
type project struct {
	dir, url string
	env      []string
	db       *pgx.Conn
	python   string // the interpreter of the plan and the migrate command: testenv.Python() unless a test sets another
}

// newProject writes the project with 0001_initial plus the given migrations (name → source),
// creates its database and applies 0001_initial: the "already deployed" baseline.
func newProject(t *testing.T, migs map[string]string) *project {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "project")
	files := map[string]string{
		"manage.py":                      managePy,
		"proj/__init__.py":               "",
		"proj/settings.py":               settingsPy,
		"app/__init__.py":                "",
		"app/migrations/__init__.py":     "",
		"app/migrations/0001_initial.py": initialMigration,
	}
	for name, src := range migs {
		files["app/migrations/"+name+".py"] = src
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	url := pgtest.NewDatabase(t)
	p := &project{dir: dir, url: url, python: testenv.Python(), env: []string{
		"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1", "DATABASE_URL=" + url,
	}}
	cmd := exec.Command(testenv.Python(), "manage.py", "migrate", "app", "0001_initial")
	cmd.Dir, cmd.Env = dir, p.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("baseline migrate: %v\n%s", err, out)
	}
	p.db = p.conn(t)
	return p
}

// conn opens another session on the project's database, closed when the test ends.
func (p *project) conn(t *testing.T) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), p.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func (p *project) exec(t *testing.T, c *pgx.Conn, sql string) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// migrations plans the pending migrations with the Django helper and the analysis, as the release
// does.
func (p *project) migrations(t *testing.T) []Migration {
	t.Helper()
	src := &django.Source{ProjectDir: p.dir, Python: p.python, Env: p.env}
	pl, err := src.Plan(context.Background())
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return FromPlan(pl, analysis.Context{ServerVersion: 150000})
}

func (p *project) runner(log *lineLog) *Runner {
	return &Runner{
		ProjectDir:        p.dir,
		Command:           "python manage.py migrate --noinput",
		Python:            p.python,
		Env:               p.env,
		ConnString:        p.url,
		LockTimeout:       100 * time.Millisecond,
		StatementTimeout:  10 * time.Minute,
		LockRetries:       30,
		LockRetryDelay:    20 * time.Millisecond,
		LockRetryMaxDelay: 200 * time.Millisecond,
		PollInterval:      50 * time.Millisecond,
		Log:               log,
	}
}

// applied reports whether app.name is recorded in django_migrations.
func (p *project) applied(t *testing.T, name string) bool {
	t.Helper()
	var n int
	if err := p.db.QueryRow(context.Background(), "SELECT count(*) FROM django_migrations WHERE app = 'app' AND name = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// pid is a session's backend pid.
func pid(t *testing.T, c *pgx.Conn) int {
	t.Helper()
	var p int
	if err := c.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitUntil polls cond (a query returning one boolean) until it is true, failing after bound.
func (p *project) waitUntil(t *testing.T, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		var ok bool
		if err := p.db.QueryRow(context.Background(), cond).Scan(&ok); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, bounded above
	}
}

// lineLog is the runner's Log: it keeps the lines and lets a test wait for one.
type lineLog struct {
	t       *testing.T
	mu      sync.Mutex
	text    strings.Builder
	changed chan struct{}
}

func newLineLog(t *testing.T) *lineLog { return &lineLog{t: t, changed: make(chan struct{})} }

func (l *lineLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.text.Write(b)
	close(l.changed)
	l.changed = make(chan struct{})
	return len(b), nil
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.text.String()
}

// waitFor blocks until the log contains s (a barrier), failing after bound.
func (l *lineLog) waitFor(s string) {
	l.t.Helper()
	timeout := time.After(bound)
	for {
		l.mu.Lock()
		found, ch := strings.Contains(l.text.String(), s), l.changed
		l.mu.Unlock()
		if found {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			l.t.Fatalf("gave up waiting for %q in the log:\n%s", s, l.String())
		}
	}
}

type runOutcome struct {
	res *Result
	err error
}

func start(ctx context.Context, r *Runner, migs []Migration) <-chan runOutcome {
	ch := make(chan runOutcome, 1)
	go func() {
		res, err := r.Run(ctx, migs)
		ch <- runOutcome{res, err}
	}()
	return ch
}

func await(t *testing.T, ch <-chan runOutcome, log *lineLog) (*Result, error) {
	t.Helper()
	select {
	case o := <-ch:
		t.Logf("log:\n%s", log.String())
		return o.res, o.err
	case <-time.After(bound):
		t.Fatalf("the run did not end; log:\n%s", log.String())
		return nil, nil
	}
}

func TestRunSuccessOneAtATime(t *testing.T) {
	p := newProject(t, map[string]string{
		"0002_item_note":  migration("0001_initial", addNote, true),
		"0003_other_flag": migration("0002_item_note", `        migrations.AddField("other", "flag", models.BooleanField(null=True)),`, true),
	})
	migs := p.migrations(t)
	if len(migs) != 2 || migs[0].Locks["app_item"] != analysis.AccessExclusive || migs[0].WaitsByDesign {
		t.Fatalf("migrations = %+v", migs)
	}
	log := newLineLog(t)
	r := p.runner(log)
	r.OneAtATime = true
	res, err := await(t, start(context.Background(), r, migs), log)
	if err != nil || res.Kind != KindOK {
		t.Fatalf("Run: %v (kind %q)", err, res.Kind)
	}
	if len(res.Attempts) != 2 || *res.Attempts[0].Target != migs[0].Key || *res.Attempts[1].Target != migs[1].Key {
		t.Fatalf("attempts = %+v", res.Attempts)
	}
	want := []plan.MigrationKey{{App: "app", Name: "0002_item_note"}, {App: "app", Name: "0003_other_flag"}}
	if fmt.Sprint(res.Applied) != fmt.Sprint(want) {
		t.Errorf("applied = %v, want %v", res.Applied, want)
	}
	for _, a := range res.Attempts {
		if a.Err != nil || a.LockTimeout != 100*time.Millisecond || len(a.Applied) != 1 {
			t.Errorf("attempt = %+v", a)
		}
	}
	if !strings.Contains(log.String(), "\n         Applying app.0002_item_note...") || !strings.Contains(log.String(), " OK\n") {
		t.Errorf("the command's output is not streamed, indented")
	}
	if !p.applied(t, "0003_other_flag") {
		t.Error("0003 not applied")
	}
	// Nothing left: a second run does nothing.
	res, err = r.Run(context.Background(), migs)
	if err != nil || len(res.Attempts) != 0 {
		t.Errorf("second run: %v, %d attempts", err, len(res.Attempts))
	}
}

func TestRunRetriesAfterLockTimeout(t *testing.T) {
	p := newProject(t, map[string]string{"0002_item_note": migration("0001_initial", addNote, true)})
	migs := p.migrations(t)

	// Another session reads app_item in a transaction it keeps open: it holds ACCESS SHARE, which
	// conflicts with the ACCESS EXCLUSIVE that ADD COLUMN needs.
	blocker := p.conn(t)
	blockerPID := pid(t, blocker)
	p.exec(t, blocker, "BEGIN")
	p.exec(t, blocker, "SELECT count(*) FROM app_item")

	log := newLineLog(t)
	r := p.runner(log)
	r.LockWait = 300 * time.Millisecond
	ch := start(context.Background(), r, migs)

	// The pre-wait reports the blocker, gives up after LockWait, the attempt times out.
	log.waitFor(fmt.Sprintf("waiting for a conflicting session: pid=%d", blockerPID))
	log.waitFor("lock timeout; retry 1 of 30")
	p.exec(t, blocker, "COMMIT")

	res, err := await(t, ch, log)
	if err != nil || res.Kind != KindOK {
		t.Fatalf("Run: %v (kind %q)", err, res.Kind)
	}
	if len(res.Attempts) < 2 {
		t.Fatalf("attempts = %d, want a retry", len(res.Attempts))
	}
	first, last := res.Attempts[0], res.Attempts[len(res.Attempts)-1]
	if !first.LockTimedOut || len(first.Applied) != 0 {
		t.Errorf("first attempt = %+v, want a lock timeout with nothing applied", first)
	}
	if len(first.Blockers) == 0 || first.Blockers[0].PID != blockerPID || first.Blockers[0].Mode != "AccessShareLock" ||
		!first.Blockers[0].Granted || first.Blockers[0].State != "idle in transaction" || !strings.Contains(first.Blockers[0].Query, "app_item") {
		t.Errorf("first attempt's blockers = %+v, want pid %d holding ACCESS SHARE", first.Blockers, blockerPID)
	}
	if last.Err != nil || len(last.Applied) != 1 || len(last.Blockers) != 0 {
		t.Errorf("last attempt = %+v", last)
	}
	if !p.applied(t, "0002_item_note") {
		t.Error("0002 not applied")
	}
}

func TestPreWaitWaitsForTheBlockerThenAttempts(t *testing.T) {
	p := newProject(t, map[string]string{"0002_item_note": migration("0001_initial", addNote, true)})
	migs := p.migrations(t)
	blocker := p.conn(t)
	blockerPID := pid(t, blocker)
	p.exec(t, blocker, "BEGIN")
	p.exec(t, blocker, "SELECT count(*) FROM app_item")

	log := newLineLog(t)
	r := p.runner(log)
	r.LockWait = bound // longer than the test would ever wait
	ch := start(context.Background(), r, migs)
	log.waitFor(fmt.Sprintf("waiting for a conflicting session: pid=%d", blockerPID))
	p.exec(t, blocker, "COMMIT")

	res, err := await(t, ch, log)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// One attempt: the DDL never queued behind the reader.
	if len(res.Attempts) != 1 || res.Attempts[0].LockTimedOut || len(res.Attempts[0].Blockers) != 1 || res.Attempts[0].Waited <= 0 {
		t.Fatalf("attempts = %+v", res.Attempts)
	}
}

func TestRunLockTimeoutExhausted(t *testing.T) {
	p := newProject(t, map[string]string{"0002_item_note": migration("0001_initial", addNote, true)})
	migs := p.migrations(t)
	blocker := p.conn(t)
	p.exec(t, blocker, "BEGIN")
	p.exec(t, blocker, "SELECT count(*) FROM app_item")

	log := newLineLog(t)
	r := p.runner(log)
	r.LockRetries = 2
	res, err := await(t, start(context.Background(), r, migs), log)
	if !errors.Is(err, ErrLockTimeoutExhausted) || res.Kind != KindLockTimeoutExhausted {
		t.Fatalf("Run: %v (kind %q), want lock-timeout-exhausted", err, res.Kind)
	}
	if len(res.Attempts) != 3 {
		t.Errorf("attempts = %d, want 3 (1 + 2 retries)", len(res.Attempts))
	}
	for _, a := range res.Attempts {
		if !a.LockTimedOut || a.Err == nil || !strings.Contains(a.Err.Error(), "lock timeout") {
			t.Errorf("attempt = %+v", a)
		}
	}
	if len(res.Applied) != 0 || p.applied(t, "0002_item_note") {
		t.Error("something was applied")
	}
	b, err := json.Marshal(res)
	if err != nil || !strings.Contains(string(b), `"kind":"lock-timeout-exhausted"`) || !strings.Contains(string(b), `"lock_timed_out":true`) ||
		!strings.Contains(string(b), `manage.py migrate --noinput: exit status 1: django.db.utils.OperationalError: canceling statement due to lock timeout"`) {
		t.Errorf("JSON = %s, %v", b, err)
	}
}

func TestRunOtherFailureIsNotRetried(t *testing.T) {
	p := newProject(t, map[string]string{
		"0002_boom": migration("0001_initial", `        migrations.RunSQL("SELECT 1/0", migrations.RunSQL.noop),`, true),
	})
	log := newLineLog(t)
	res, err := await(t, start(context.Background(), p.runner(log), p.migrations(t)), log)
	if !errors.Is(err, ErrFailed) || res.Kind != KindFailed {
		t.Fatalf("Run: %v (kind %q), want failed", err, res.Kind)
	}
	if len(res.Attempts) != 1 || res.Attempts[0].LockTimedOut || res.Attempts[0].ExitCode == 0 {
		t.Fatalf("attempts = %+v, want one non-lock failure", res.Attempts)
	}
	if !strings.Contains(err.Error(), "division by zero") {
		t.Errorf("error %q does not say why", err)
	}
}

// blockingMigration holds ACCESS EXCLUSIVE on app_item and then waits for advisory lock 4242,
// which the test holds: a barrier inside the migration.
var blockingMigration = migration("0001_initial",
	`        migrations.RunSQL("SET LOCAL lock_timeout = 0; LOCK TABLE app_item IN ACCESS EXCLUSIVE MODE; SELECT pg_advisory_xact_lock(4242)", migrations.RunSQL.noop),`, true)

const migrationWaitsOnBarrier = `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'zdcd-migrate' AND wait_event = 'advisory')`

func TestWatchdogReportsSessionsBlockedBehindTheMigration(t *testing.T) {
	p := newProject(t, map[string]string{"0002_hold": blockingMigration})
	migs := p.migrations(t)
	barrier := p.conn(t)
	p.exec(t, barrier, "SELECT pg_advisory_lock(4242)")

	log := newLineLog(t)
	ch := start(context.Background(), p.runner(log), migs)
	p.waitUntil(t, "the migration to hold its lock", migrationWaitsOnBarrier)

	// The app reads the table: it queues behind the migration's ACCESS EXCLUSIVE.
	reader := p.conn(t)
	readerPID := pid(t, reader)
	readDone := make(chan error, 1)
	go func() {
		var n int
		readDone <- reader.QueryRow(context.Background(), "SELECT count(*) FROM app_item").Scan(&n)
	}()
	log.waitFor(fmt.Sprintf("watchdog: session blocked behind the migration: pid=%d", readerPID))
	p.exec(t, barrier, "SELECT pg_advisory_unlock(4242)")

	res, err := await(t, ch, log)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := <-readDone; err != nil {
		t.Fatalf("the blocked read failed: %v", err)
	}
	log.waitFor(fmt.Sprintf("watchdog: pid=%d no longer blocked", readerPID))
	if res.Watchdog.Sessions != 1 || res.Watchdog.MaxBlocked != 1 || res.Watchdog.LongestWait <= 0 {
		t.Errorf("watchdog summary = %+v, want one session", res.Watchdog)
	}
	if !strings.Contains(log.String(), "SELECT count(*) FROM app_item") {
		t.Error("the blocked session's query is not reported")
	}
}

func TestRunInterrupted(t *testing.T) {
	p := newProject(t, map[string]string{"0002_hold": blockingMigration})
	migs := p.migrations(t)
	barrier := p.conn(t)
	p.exec(t, barrier, "SELECT pg_advisory_lock(4242)")

	log := newLineLog(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := start(ctx, p.runner(log), migs)
	p.waitUntil(t, "the migration to hold its lock", migrationWaitsOnBarrier)
	cancel()

	res, err := await(t, ch, log)
	if !errors.Is(err, ErrInterrupted) || res.Kind != KindInterrupted {
		t.Fatalf("Run: %v (kind %q), want interrupted", err, res.Kind)
	}
	if len(res.Attempts) != 1 || !res.Attempts[0].Interrupted {
		t.Errorf("attempts = %+v", res.Attempts)
	}
	if !strings.Contains(log.String(), "SIGTERM") {
		t.Error("the log does not say SIGTERM was sent")
	}
	// The migration's session goes away and its transaction is rolled back.
	p.waitUntil(t, "the migration's session to end", `SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'zdcd-migrate')`)
	if p.applied(t, "0002_hold") {
		t.Error("the interrupted migration is recorded as applied")
	}
}

func TestRunRepairsInvalidIndexBeforeRetry(t *testing.T) {
	// A non-atomic migration: CREATE INDEX CONCURRENTLY without IF NOT EXISTS, then a column on
	// another table (ACCESS EXCLUSIVE, so the migration keeps the short lock_timeout).
	p := newProject(t, map[string]string{"0002_index": migration("0001_initial", `        migrations.RunSQL("CREATE INDEX CONCURRENTLY app_item_name_idx ON app_item (name)", migrations.RunSQL.noop),
        migrations.AddField("other", "flag", models.BooleanField(null=True)),`, false)})
	migs := p.migrations(t)
	if len(migs) != 1 || len(migs[0].Indexes) != 1 || migs[0].Indexes[0].Name != "app_item_name_idx" || migs[0].WaitsByDesign {
		t.Fatalf("migrations = %+v", migs)
	}

	// A writer's open transaction (ROW EXCLUSIVE on app_item: no conflict with the build's SHARE
	// UPDATE EXCLUSIVE) makes the build wait for it after the index exists: the lock timeout
	// cancels the build midway and leaves the index INVALID.
	writer := p.conn(t)
	p.exec(t, writer, "BEGIN")
	p.exec(t, writer, "INSERT INTO app_item (name) VALUES ('x')")

	log := newLineLog(t)
	r := p.runner(log)
	r.LockWait = time.Minute // no conflict: the pre-wait does not wait
	ch := start(context.Background(), r, migs)
	log.waitFor("lock timeout; retry 1 of 30")
	var valid bool
	if err := p.db.QueryRow(context.Background(), `SELECT indisvalid FROM pg_index WHERE indexrelid = 'app_item_name_idx'::regclass`).Scan(&valid); err != nil || valid {
		t.Fatalf("after the first attempt: indisvalid = %v, %v; want an INVALID index", valid, err)
	}
	p.exec(t, writer, "COMMIT")

	res, err := await(t, ch, log)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(res.Attempts) != 2 || !res.Attempts[0].LockTimedOut {
		t.Fatalf("attempts = %+v", res.Attempts)
	}
	if got := res.Attempts[1].Repaired; len(got) != 1 || got[0] != "public.app_item_name_idx" {
		t.Errorf("repaired = %v", got)
	}
	if !strings.Contains(log.String(), "INVALID index public.app_item_name_idx") {
		t.Error("the repair is not logged")
	}
	if err := p.db.QueryRow(context.Background(), `SELECT indisvalid FROM pg_index WHERE indexrelid = 'app_item_name_idx'::regclass`).Scan(&valid); err != nil || !valid {
		t.Errorf("after the run: indisvalid = %v, %v; want a valid index", valid, err)
	}
	if !p.applied(t, "0002_index") {
		t.Error("0002 not applied")
	}
}

func TestWaitsByDesignRunsWithoutLockTimeout(t *testing.T) {
	p := newProject(t, map[string]string{"0002_index": migration("0001_initial",
		`        migrations.RunSQL("CREATE INDEX CONCURRENTLY IF NOT EXISTS app_item_name_idx ON app_item (name)", migrations.RunSQL.noop),`, false)})
	migs := p.migrations(t)
	if len(migs) != 1 || !migs[0].WaitsByDesign {
		t.Fatalf("migrations = %+v, want waits by design", migs)
	}
	// An open writer transaction: the build waits for it (no lock_timeout) instead of failing.
	writer := p.conn(t)
	p.exec(t, writer, "BEGIN")
	p.exec(t, writer, "INSERT INTO app_item (name) VALUES ('x')")
	log := newLineLog(t)
	ch := start(context.Background(), p.runner(log), migs)
	p.waitUntil(t, "the build to wait for the writer", `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'zdcd-migrate' AND wait_event_type = 'Lock')`)
	p.exec(t, writer, "COMMIT")
	res, err := await(t, ch, log)
	if err != nil || len(res.Attempts) != 1 || res.Attempts[0].LockTimeout != 0 {
		t.Fatalf("Run: %v, attempts %+v", err, res.Attempts)
	}
	if !strings.Contains(log.String(), "lock_timeout=0s") {
		t.Error("the log does not show lock_timeout=0s")
	}
}

func TestInterruptKillsACommandThatIgnoresSIGTERM(t *testing.T) {
	p := newProject(t, map[string]string{"0002_item_note": migration("0001_initial", addNote, true)})
	log := newLineLog(t)
	r := p.runner(log)
	// The Argv override, and a command that ignores SIGTERM in a child process of its group.
	r.Argv = []string{"/bin/sh", "-c", `trap "" TERM; ` + testenv.Python() +
		` -c 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print("ready", flush=True); time.sleep(600)'`}
	r.KillGrace = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := start(ctx, r, p.migrations(t))
	log.waitFor("       ready\n")
	cancel()
	res, err := await(t, ch, log)
	if !errors.Is(err, ErrInterrupted) || res.Kind != KindInterrupted {
		t.Fatalf("Run: %v (kind %q), want interrupted", err, res.Kind)
	}
	if !strings.Contains(log.String(), "did not stop within 200ms: SIGKILL") {
		t.Error("no SIGKILL after the grace period")
	}
}

func TestNewFromConfigRedactsThePassword(t *testing.T) {
	p := newProject(t, map[string]string{"0002_item_note": migration("0001_initial", addNote, true)})
	cfg := config.Defaults()
	db, err := config.ParseDatabaseURL(p.url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database, cfg.ProjectDir, cfg.LockRetries = db, p.dir, 0
	log := newLineLog(t)
	r := New(cfg, p.env, log)
	if r.Command != config.DefaultMigrateCommand || r.LockTimeout != config.DefaultLockTimeout || r.Redactor == nil {
		t.Fatalf("runner = %+v", r)
	}
	// A command that prints the database URL and fails: no retry, and no password in the log.
	r.Argv = []string{"/bin/sh", "-c", `echo "connecting to $DATABASE_URL"; exit 3`}
	res, err := await(t, start(context.Background(), r, p.migrations(t)), log)
	if !errors.Is(err, ErrFailed) || len(res.Attempts) != 1 || res.Attempts[0].ExitCode != 3 {
		t.Fatalf("Run: %v, attempts %+v", err, res.Attempts)
	}
	if strings.Contains(log.String(), db.Password.Reveal()) || strings.Contains(err.Error(), db.Password.Reveal()) {
		t.Errorf("the password is in the output")
	}
	if !strings.Contains(log.String(), "connecting to postgres://zdcd:"+config.Redacted+"@") {
		t.Errorf("the command's output is missing")
	}
}
