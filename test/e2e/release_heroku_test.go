package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/herokufake"
	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/testenv"
)

// The release phase on a local Heroku (internal/herokufake): each version of the sample app is
// deployed as a slug whose Procfile runs `zdcd-release release`, with the config vars, the
// Heroku Postgres add-on and the dyno metadata Heroku gives it; backups and restores really run
// pg_dump and pg_restore.

// hkToken is the API key the fake accepts: distinctive, so that finding it anywhere is a leak.
const hkToken = "HRKU-e2e-9c41f7a2d86b4e35b0a1c7f3e58d2b69"

// hkBound bounds every wait for a release phase (Django runs several times in one).
const hkBound = 3 * time.Minute

// hkPending is every migration of the sample app after the baseline (test/sampleapp/README.md).
var hkPending = []string{
	"accounts/0003", "accounts/0004", "accounts/0005",
	"shop/0004", "shop/0005", "shop/0006", "shop/0007", "shop/0008", "shop/0009", "shop/0010", "shop/0011", "shop/0012",
	"blog/0002", "blog/0003", "blog/0004", "blog/0005",
}

// hkFailingMigration is accounts.0005_fail: it runs after the unsafe accounts.0004 and fails.
const hkFailingMigration = `from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_customer_is_vip'),
    ]

    operations = [
        migrations.RunSQL("SELECT 1/0", migrations.RunSQL.noop),
    ]
`

// hkEnv is one app on a fresh fake Heroku, backed by a fresh database.
type hkEnv struct {
	t     *testing.T
	srv   *herokufake.Server
	base  string
	app   string
	dbURL string
	// cluster is the app's own PostgreSQL cluster, when it has one (nil: the shared one).
	cluster *pgtest.Cluster
	// texts are every output the tests saw, checked for secrets by hkAssertNoSecrets.
	texts []string
}

// hkStart creates the app, its database at the baseline, its config vars (plus extra), deploys the
// baseline version (nothing pending) so that the formation has a worker, and scales it to 2.
func hkStart(t *testing.T, app string, extra map[string]string) *hkEnv {
	t.Helper()
	return hkStartWith(t, app, extra, nil)
}

// hkStartWith is hkStart with the local Heroku's options adjusted by tune.
func hkStartWith(t *testing.T, app string, extra map[string]string, tune func(*herokufake.Options)) *hkEnv {
	t.Helper()
	return hkStartOn(t, app, pgtest.NewDatabase(t), extra, tune)
}

// hkStartOn is hkStartWith on the database at dbURL.
func hkStartOn(t *testing.T, app, dbURL string, extra map[string]string, tune func(*herokufake.Options)) *hkEnv {
	t.Helper()
	// The Procfile runs `zdcd-release release`: the binary must be on PATH under that name.
	binDir := filepath.Dir(binary)
	if filepath.Base(binary) != "zdcd-release" {
		binDir = t.TempDir()
		if err := os.Symlink(binary, filepath.Join(binDir, "zdcd-release")); err != nil {
			t.Fatal(err)
		}
	}
	opts := herokufake.Options{
		Token: hkToken,
		ReleaseEnv: []string{
			"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
			"ZDCD_PYTHON=" + testenv.Python(),
			"LANG=C.UTF-8",
		},
	}
	if tune != nil {
		tune(&opts)
	}
	srv, base := herokufake.StartTest(t, opts)
	e := &hkEnv{t: t, srv: srv, base: base, app: app, dbURL: dbURL}
	if _, err := srv.CreateApp(app); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddPostgres(app, dbURL); err != nil {
		t.Fatal(err)
	}
	if err := srv.EnableFeature(app, "runtime-dyno-metadata", true); err != nil {
		t.Fatal(err)
	}
	vars := map[string]*string{}
	for k, v := range e.configVars() {
		vars[k] = &v
	}
	for k, v := range extra {
		vars[k] = &v
	}
	if err := srv.SetConfigVars(app, vars); err != nil {
		t.Fatal(err)
	}

	baseline := e.version(hkPending, nil)
	migrateBaseline(t, baseline, dbURL)
	rel := e.deploy(baseline)
	if rel.Status != "succeeded" || !strings.Contains(rel.Output, "No migrations to apply.") {
		t.Fatalf("baseline release v%d %s:\n%s", rel.Version, rel.Status, rel.Output)
	}
	if n := srv.Formation(app)["worker"]; n != 0 {
		t.Fatalf("formation after the first deploy: %v", srv.Formation(app))
	}
	e.scale("worker", 2)
	if f := srv.Formation(app); f["worker"] != 2 || f["web"] != 1 {
		t.Fatalf("formation = %v, want web=1 worker=2", f)
	}
	e.assertNoSecretInRequests()
	srv.ResetRequests()
	return e
}

// configVars are the config vars zdcd needs on Heroku (HEROKU_APP_NAME comes from dyno metadata).
func (e *hkEnv) configVars() map[string]string {
	return map[string]string{
		"HEROKU_API_KEY":         hkToken,
		"ZDCD_PLATFORM_API_URL":  e.base,
		"ZDCD_DATA_API_URL":      e.base,
		"ZDCD_API_POLL_INTERVAL": "100ms",
	}
}

// directEnv is the environment of a release command run by the test itself, as Heroku would.
func (e *hkEnv) directEnv(extra ...string) []string {
	env := baseEnv(e.dbURL)
	for k, v := range e.configVars() {
		env = append(env, k+"="+v)
	}
	env = append(env, "HEROKU_APP_NAME="+e.app, "DYNO=release.9999")
	return append(env, extra...)
}

// version is a copy of the sample app without the migrations drop, with extra files (relative
// path → contents) and the Procfile.
func (e *hkEnv) version(drop []string, extra map[string]string) string {
	e.t.Helper()
	dir := sampleWithout(e.t, drop...)
	for name, body := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
	procfile := "release: zdcd-release release\n" +
		"web: gunicorn sampleproject.wsgi --log-file -\n" +
		"worker: python manage.py runworker\n"
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return dir
}

// hkKeep returns the pending migrations to drop so that only keep remain.
func hkKeep(keep ...string) []string {
	var drop []string
	for _, m := range hkPending {
		found := false
		for _, k := range keep {
			if k == m {
				found = true
			}
		}
		if !found {
			drop = append(drop, m)
		}
	}
	return drop
}

// deploy pushes dir and waits for its release phase.
func (e *hkEnv) deploy(dir string) herokufake.ReleaseStatus {
	e.t.Helper()
	dep, err := e.srv.Deploy(e.app, dir)
	if err != nil {
		e.t.Fatal(err)
	}
	rel, err := e.srv.WaitRelease(e.app, dep.ID, hkBound)
	if err != nil {
		e.t.Fatal(err)
	}
	e.texts = append(e.texts, rel.Output)
	e.t.Logf("release v%d %s:\n%s", rel.Version, rel.Status, rel.Output)
	return rel
}

// run runs zdcd-release directly in dir.
func (e *hkEnv) run(dir string, env []string, args ...string) result {
	e.t.Helper()
	r := run(e.t, dir, env, args...)
	e.texts = append(e.texts, r.stdout, r.stderr)
	e.t.Logf("zdcd-release %s: %s", strings.Join(args, " "), r)
	return r
}

// scale sets a process type's quantity through the Platform API, as `heroku ps:scale` does.
func (e *hkEnv) scale(typ string, n int) {
	e.t.Helper()
	e.patch("/apps/"+e.app+"/formation/"+typ, fmt.Sprintf(`{"quantity": %d}`, n))
}

// patch sends a PATCH to the Platform API, as the Heroku CLI does.
func (e *hkEnv) patch(path, body string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPatch, e.base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+hkToken)
	req.Header.Set("Accept", "application/vnd.heroku+json; version=3")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("PATCH %s %s: %s", path, body, resp.Status)
	}
}

// query returns the rows of a query, each row as text.
func (e *hkEnv) query(sql string) []string {
	e.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.dbURL)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func (e *hkEnv) exec(sql string) {
	e.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.dbURL)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// hkApplied is django_migrations in full (ids and timestamps included).
const hkApplied = "SELECT t::text FROM django_migrations t ORDER BY id"

// hkCustomers is accounts_customer in full, columns included.
const hkCustomers = "SELECT t::text FROM accounts_customer t ORDER BY id"

// hkCustomerColumns is the shape of accounts_customer.
const hkCustomerColumns = "SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_name = 'accounts_customer' ORDER BY ordinal_position"

// seed writes customers the restore must bring back exactly.
func (e *hkEnv) seed() {
	e.exec(`INSERT INTO accounts_customer (email, name, nickname, created_at) VALUES
		('ada@example.com', 'Ada', 'ada', '2026-01-02T03:04:05Z'),
		('grace@example.com', 'Grace', NULL, '2026-02-03T04:05:06Z'),
		('linus@example.com', 'Linus', 'lt', '2026-03-04T05:06:07Z')`)
}

// history is the ledger as `zdcd-release history --format json` prints it, newest first.
func (e *hkEnv) history(dir string) []map[string]any {
	e.t.Helper()
	r := e.run(dir, baseEnv(e.dbURL), "history", "--format", "json")
	if r.code != 0 {
		e.t.Fatalf("history: %s", r)
	}
	var runs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil {
		e.t.Fatalf("history JSON: %v\n%s", err, r)
	}
	if len(runs) == 0 {
		e.t.Fatal("history is empty")
	}
	return runs
}

// newestRun is the newest run of the ledger.
func (e *hkEnv) newestRun(dir string) map[string]any {
	runs := e.history(dir)
	newest := runs[0]
	for _, r := range runs {
		if r["id"].(float64) > newest["id"].(float64) {
			newest = r
		}
	}
	return newest
}

// transfers returns the fake's transfers of the app by kind.
func (e *hkEnv) transfers(kind string) []herokufake.TransferStatus {
	var out []herokufake.TransferStatus
	for _, tr := range e.srv.Transfers(e.app) {
		if tr.Kind == kind {
			out = append(out, tr)
		}
	}
	return out
}

// bodies returns the JSON bodies of the requests matching method and pattern, and their statuses.
func (e *hkEnv) bodies(method, pattern string) ([]map[string]any, []int) {
	e.t.Helper()
	var out []map[string]any
	var statuses []int
	for _, r := range e.srv.RequestsMatching(method, pattern) {
		m := map[string]any{}
		if len(bytes.TrimSpace(r.Body)) > 0 {
			if err := json.Unmarshal(r.Body, &m); err != nil {
				e.t.Fatalf("%s %s body %q: %v", r.Method, r.Path, r.Body, err)
			}
		}
		out = append(out, m)
		statuses = append(statuses, r.Status)
	}
	return out, statuses
}

// assertNoSecretInRequests checks no request the fake received carries the token outside the
// Authorization header (which the fake redacts), nor the database password.
func (e *hkEnv) assertNoSecretInRequests() {
	e.t.Helper()
	pw := password(e.t, e.dbURL)
	for _, r := range e.srv.Requests() {
		var h bytes.Buffer
		_ = r.Header.Write(&h)
		for _, s := range []string{hkToken, pw} {
			if bytes.Contains(r.Body, []byte(s)) || strings.Contains(h.String(), s) || strings.Contains(r.Path+"?"+r.RawQuery, s) {
				e.t.Errorf("request %s %s carries a secret:\n%s\n%s", r.Method, r.Path, h.String(), r.Body)
			}
		}
		if got := r.Header.Get("Authorization"); got != "" && got != "REDACTED" {
			e.t.Errorf("request %s %s: Authorization %q was not redacted by the fake", r.Method, r.Path, got)
		}
	}
}

// hkAssertNoSecrets checks the token and the database password appear in none of the outputs
// seen, the ledger's tables, or the requests sent to the fake.
func hkAssertNoSecrets(e *hkEnv) {
	e.t.Helper()
	pw := password(e.t, e.dbURL)
	texts := append([]string(nil), e.texts...)
	for _, table := range []string{"runs", "run_migrations", "findings", "run_applied", "steps", "approvals"} {
		texts = append(texts, e.query("SELECT t::text FROM zdcd_ledger."+table+" t")...)
	}
	for i, s := range texts {
		for _, secret := range []string{hkToken, pw} {
			if strings.Contains(s, secret) {
				e.t.Errorf("text %d contains a secret (%d chars):\n%s", i, len(secret), s)
			}
		}
	}
	e.assertNoSecretInRequests()
}

// hkDumpText is a backup's dump as SQL (pg_restore -f -).
func hkDumpText(t *testing.T, file string) string {
	t.Helper()
	dir, err := pgtest.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(dir, "pg_restore"), "-f", "-", file).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_restore -f - %s: %v\n%s", file, err, out)
	}
	return string(out)
}

// hkSection is the part of s from start to the first end after it ("" when start is absent).
func hkSection(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], end)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j]
}

func hkContainsAll(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func hkEqual(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s changed:\n--- got\n%s\n--- want\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestHerokuReleaseSafe deploys a version whose only pending migration is safe: it is applied
// after a Heroku Postgres backup, and the ledger records the backup, the app and the release.
func TestHerokuReleaseSafe(t *testing.T) {
	e := hkStart(t, "zdcd-safe", nil)
	dir := e.version(hkKeep("accounts/0003"), nil)

	rel := e.deploy(dir)
	if rel.Status != "succeeded" || !rel.Current {
		t.Fatalf("release v%d %s (current %v):\n%s", rel.Version, rel.Status, rel.Current, rel.Output)
	}
	backups := e.transfers("backup")
	if len(backups) != 1 || !backups[0].Finished || !backups[0].Succeeded {
		t.Fatalf("backups = %+v, want one that succeeded", backups)
	}
	if n := len(e.transfers("restore")); n != 0 {
		t.Errorf("%d restores after a successful release", n)
	}
	name := fmt.Sprintf("b%03d", backups[0].Num)
	hkContainsAll(t, "release output", rel.Output, "Backing up the database", "Backup "+name+" done", "Applied 1 migration(s)")
	// The backup was taken before the migration: its dump has no phone column yet.
	dump := hkDumpText(t, backups[0].File)
	hkContainsAll(t, "backup dump", dump, "accounts_customer", "nickname", "0002_customer_nickname")
	if table := hkSection(dump, "CREATE TABLE public.accounts_customer ", ");"); table == "" || strings.Contains(table, "phone") {
		t.Errorf("the backup's accounts_customer has a phone column (or none at all): it was taken after migrating:\n%s", table)
	}
	if rows := hkSection(dump, "COPY public.django_migrations ", "\\."); rows == "" || strings.Contains(rows, "0003_customer_phone_ordering") {
		t.Errorf("the backup's django_migrations holds accounts.0003 (or nothing): it was taken after migrating:\n%s", rows)
	}
	if got := e.query("SELECT name FROM django_migrations WHERE app = 'accounts' ORDER BY id"); strings.Join(got, ",") != "0001_initial,0002_customer_nickname,0003_customer_phone_ordering" {
		t.Errorf("accounts applied = %v", got)
	}
	if e.srv.Maintenance(e.app) {
		t.Error("maintenance mode is on after a safe release")
	}
	if f := e.srv.Formation(e.app); f["worker"] != 2 {
		t.Errorf("formation = %v: a safe release must not touch the workers", f)
	}
	if n := len(e.srv.RequestsMatching(http.MethodPatch, "/apps/*")) + len(e.srv.RequestsMatching(http.MethodPatch, "/apps/*/formation/*")); n != 0 {
		t.Errorf("%d PATCH requests (maintenance, scale) during a safe release", n)
	}

	run := e.newestRun(dir)
	if run["outcome"] != "applied" || run["backup_id"] != name || run["app_name"] != e.app ||
		run["release_version"] != float64(rel.Version) || run["exit_code"] != float64(0) || run["verdict"] != "safe" {
		t.Errorf("ledger run = %v, want applied, backup %s, app %s, release v%d", run, name, e.app, rel.Version)
	}
	if run["backup_location"] == "" || run["slug_id"] == "" {
		t.Errorf("ledger run = %v: want a backup location and the slug", run)
	}
	hkAssertNoSecrets(e)
}

// hkNightlyFailure is the version of test 2 and 5: the unsafe accounts.0004 applied in the
// nightly window, then a migration that fails.
func hkNightlyFailure(e *hkEnv) string {
	return e.version(hkKeep("accounts/0003", "accounts/0004"), map[string]string{
		"accounts/migrations/0005_fail.py": hkFailingMigration,
	})
}

// TestHerokuNightlyFailureRestored: in the nightly window an unsafe migration is applied, then
// one fails; the backup is restored behind maintenance mode with the workers stopped, and the
// app comes back as it was.
func TestHerokuNightlyFailureRestored(t *testing.T) {
	e := hkStart(t, "zdcd-nightly", map[string]string{"NIGHTLY_BUILD": "true"})
	e.seed()
	rowsBefore, colsBefore, appliedBefore := e.query(hkCustomers), e.query(hkCustomerColumns), e.query(hkApplied)
	if len(rowsBefore) != 3 {
		t.Fatalf("seeded %d rows", len(rowsBefore))
	}
	dir := hkNightlyFailure(e)

	rel := e.deploy(dir)
	if rel.Status != "failed" || rel.Current {
		t.Fatalf("release v%d %s (current %v), want failed:\n%s", rel.Version, rel.Status, rel.Current, rel.Output)
	}
	backups, restores := e.transfers("backup"), e.transfers("restore")
	if len(backups) != 1 || !backups[0].Succeeded || len(restores) != 1 || !restores[0].Succeeded {
		t.Fatalf("transfers = %+v, want one backup then one restore, both succeeded", e.srv.Transfers(e.app))
	}
	if restores[0].Num <= backups[0].Num {
		t.Errorf("restore #%d is not after backup #%d", restores[0].Num, backups[0].Num)
	}
	name := fmt.Sprintf("b%03d", backups[0].Num)
	hkContainsAll(t, "release output", rel.Output,
		"NIGHTLY_BUILD=true",
		"Applying accounts.0004_customer_is_vip",
		"division by zero",
		"Changes the old release may not survive reached the database: accounts.0004_customer_is_vip",
		"Maintenance mode on.",
		"Stopped the worker dynos: worker=2.",
		"Restoring backup "+name,
		"Restored: the database is back",
		"Maintenance mode off.",
		"The database is restored and the old release keeps running.")
	if strings.Contains(rel.Output, "RECOVERY FAILED") {
		t.Error("recovery reported failed")
	}

	hkEqual(t, "accounts_customer rows", e.query(hkCustomers), rowsBefore)
	hkEqual(t, "accounts_customer columns", e.query(hkCustomerColumns), colsBefore)
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
	if e.srv.Maintenance(e.app) {
		t.Error("maintenance mode is still on")
	}
	if f := e.srv.Formation(e.app); f["worker"] != 2 || f["web"] != 1 {
		t.Errorf("formation = %v, want web=1 worker=2 again", f)
	}

	// What zdcd asked Heroku: maintenance on, then off; worker to 0, then back to 2.
	maint, st := e.bodies(http.MethodPatch, "/apps/"+e.app)
	if len(maint) != 2 || maint[0]["maintenance"] != true || maint[1]["maintenance"] != false || st[0] != 200 || st[1] != 200 {
		t.Errorf("maintenance requests = %v %v, want on then off", maint, st)
	}
	scale, st := e.bodies(http.MethodPatch, "/apps/"+e.app+"/formation/worker")
	if len(scale) != 2 || scale[0]["quantity"] != float64(0) || scale[1]["quantity"] != float64(2) || st[0] != 200 || st[1] != 200 {
		t.Errorf("scale requests = %v %v, want worker 0 then 2", scale, st)
	}
	if n := len(e.srv.RequestsMatching(http.MethodPatch, "/apps/"+e.app+"/formation/web")); n != 0 {
		t.Errorf("web was scaled %d times", n)
	}
	// Order: maintenance on < scale down < restore POST < scale up < maintenance off.
	var order []string
	for _, r := range e.srv.Requests() {
		switch {
		case r.Method == http.MethodPatch && r.Path == "/apps/"+e.app:
			order = append(order, "maintenance")
		case r.Method == http.MethodPatch && r.Path == "/apps/"+e.app+"/formation/worker":
			order = append(order, "scale")
		case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/backups"):
			order = append(order, "backup")
		case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/restores"):
			order = append(order, "restore")
		}
	}
	// Maintenance mode and the stopped workers come first (ZDCD_MAINTENANCE=unsafe): nothing
	// writes between the backup and the restore.
	if got := strings.Join(order, " "); got != "maintenance scale backup restore scale maintenance" {
		t.Errorf("order of requests = %s", got)
	}

	run := e.newestRun(dir)
	if run["outcome"] != "restored" || run["exit_code"] != float64(3) || run["backup_id"] != name ||
		run["verdict"] != "nightly" || run["release_version"] != float64(rel.Version) {
		t.Errorf("ledger run = %v, want restored, exit 3, backup %s", run, name)
	}
	r := e.run(dir, baseEnv(e.dbURL), "history", fmt.Sprint(run["id"]))
	hkContainsAll(t, "history of the run", r.stdout, "restore", "maintenance-on", "scale-down", "scale-up", "maintenance-off")
	hkAssertNoSecrets(e)
}

// TestHerokuBackupFails: a failed Heroku Postgres backup stops the release before any migration.
func TestHerokuBackupFails(t *testing.T) {
	e := hkStart(t, "zdcd-backup-fails", nil)
	appliedBefore := e.query(hkApplied)
	dir := e.version(hkKeep("accounts/0003"), nil)

	e.srv.FailBackups(1)
	rel := e.deploy(dir)
	if rel.Status != "failed" {
		t.Fatalf("release v%d %s, want failed:\n%s", rel.Version, rel.Status, rel.Output)
	}
	hkContainsAll(t, "release output", rel.Output, "Backing up the database", "backup failed, so no migration ran and nothing was changed")
	if strings.Contains(rel.Output, "Applying accounts.") || strings.Contains(rel.Output, "Migrating:") {
		t.Error("a migration ran after the backup failed")
	}
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
	backups := e.transfers("backup")
	if len(backups) != 1 || !backups[0].Finished || backups[0].Succeeded {
		t.Errorf("backups = %+v, want one failed", backups)
	}
	run := e.newestRun(dir)
	if run["outcome"] != "backup-failed" || run["exit_code"] != float64(3) || run["backup_id"] != nil {
		t.Errorf("ledger run = %v, want backup-failed, exit 3, no backup", run)
	}

	// The same, run directly: exit 3.
	e.srv.FailBackups(1)
	r := e.run(dir, e.directEnv(), "release")
	if r.code != 3 {
		t.Errorf("exit %d, want 3", r.code)
	}
	hkContainsAll(t, "direct run", r.stdout+r.stderr, "backup failed, so no migration ran and nothing was changed")
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
	if run := e.newestRun(dir); run["outcome"] != "backup-failed" || run["exit_code"] != float64(3) {
		t.Errorf("ledger run = %v, want backup-failed, exit 3", run)
	}
	if e.srv.Maintenance(e.app) || e.srv.Formation(e.app)["worker"] != 2 {
		t.Errorf("maintenance %v, formation %v: a failed backup must not touch the app", e.srv.Maintenance(e.app), e.srv.Formation(e.app))
	}
	hkAssertNoSecrets(e)
}

// TestHerokuPlatformAPIRetries: 429s and 503s on every call of the release path are retried, and
// the release succeeds.
func TestHerokuPlatformAPIRetries(t *testing.T) {
	e := hkStart(t, "zdcd-retries", nil)
	dir := e.version(hkKeep("accounts/0003"), nil)

	faults := []herokufake.Fault{
		{Method: http.MethodGet, Path: "/apps/*/releases/*", Status: 503, Count: 1, RetryAfter: "1"},
		{Method: http.MethodPost, Path: "/actions/addon-attachments/resolve", Status: 429, Count: 1, RetryAfter: "1"},
		{Method: http.MethodGet, Path: "/client/v11/apps/*/transfers", Status: 503, Count: 1, RetryAfter: "1"},
		{Method: http.MethodPost, Path: "/client/v11/databases/*/backups", Status: 429, Count: 1, RetryAfter: "1"},
		{Method: http.MethodPost, Path: "/client/v11/databases/*/backups", Status: 503, Count: 1, RetryAfter: "1"},
		{Method: http.MethodGet, Path: "/client/v11/apps/*/transfers/*", Status: 503, Count: 2, RetryAfter: "1"},
	}
	for _, f := range faults {
		e.srv.InjectFault(f)
	}
	rel := e.deploy(dir)
	if rel.Status != "succeeded" {
		t.Fatalf("release v%d %s, want succeeded:\n%s", rel.Version, rel.Status, rel.Output)
	}
	if strings.Contains(rel.Output, "warning:") {
		t.Errorf("release output has a warning")
	}
	for _, c := range []struct {
		method, path string
		want         []int // the statuses of the first requests (200: any 2xx)
	}{
		{http.MethodGet, "/apps/*/releases/*", []int{503, 200}},
		{http.MethodPost, "/actions/addon-attachments/resolve", []int{429, 200}},
		{http.MethodGet, "/client/v11/apps/*/transfers", []int{503, 200}},
		{http.MethodPost, "/client/v11/databases/*/backups", []int{429, 503, 200}},
		{http.MethodGet, "/client/v11/apps/*/transfers/*", []int{503, 503, 200}},
	} {
		var got []int
		for _, r := range e.srv.RequestsMatching(c.method, c.path) {
			if r.Status/100 == 2 {
				r.Status = 200 // 200 or 201: served
			}
			got = append(got, r.Status)
		}
		if len(got) < len(c.want) || fmt.Sprint(got[:len(c.want)]) != fmt.Sprint(c.want) {
			t.Errorf("%s %s: statuses %v, want %v first", c.method, c.path, got, c.want)
		}
	}
	backups := e.transfers("backup")
	if len(backups) != 1 || !backups[0].Succeeded {
		t.Errorf("backups = %+v: want exactly one (a 429 or 503 on the POST means Heroku did not act)", backups)
	}
	run := e.newestRun(dir)
	if run["outcome"] != "applied" || run["slug_id"] == nil || run["backup_id"] != fmt.Sprintf("b%03d", backups[0].Num) {
		t.Errorf("ledger run = %v", run)
	}
	hkAssertNoSecrets(e)
}

// TestHerokuPlatformAPIDownDuringRecovery: the Platform API fails during the recovery of a failed
// nightly release; zdcd stops with exit 4 and says exactly what state the app and the database
// are in, and how to finish.
func TestHerokuPlatformAPIDownDuringRecovery(t *testing.T) {
	t.Run("maintenance on fails", func(t *testing.T) {
		e := hkStart(t, "zdcd-down-on", nil)
		e.seed()
		dir := hkNightlyFailure(e)
		e.srv.InjectFault(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Status: 503, RetryAfter: "1"})

		r := e.run(dir, e.directEnv("NIGHTLY_BUILD=true", "ZDCD_MAINTENANCE=recovery"), "release")
		if r.code != 4 {
			t.Errorf("exit %d, want 4", r.code)
		}
		backups := e.transfers("backup")
		if len(backups) != 1 {
			t.Fatalf("backups = %+v", backups)
		}
		name := fmt.Sprintf("b%03d", backups[0].Num)
		out := r.stdout + r.stderr
		hkContainsAll(t, "output", out,
			"RECOVERY FAILED: a human must act",
			"maintenance mode could not be switched on",
			"Database:  NOT restored; it holds changes the old release may not survive (accounts.0004_customer_is_vip)",
			"Backup:    "+name,
			"maintenance mode is off; the old release is serving traffic",
			"heroku maintenance:on --app "+e.app,
			"heroku pg:backups:restore "+name+" DATABASE_URL --app "+e.app+" --confirm "+e.app,
			"heroku maintenance:off --app "+e.app)
		// The restore by hand runs with nothing writing: stop the worker first, bring it back after.
		stop := strings.Index(out, "heroku ps:scale worker=0 --app "+e.app)
		restore := strings.Index(out, "heroku pg:backups:restore "+name)
		back := strings.Index(out, "heroku ps:scale worker=2 --app "+e.app)
		if stop < 0 || restore < stop || back < restore {
			t.Errorf("want worker=0, the restore, worker=2 in that order in the commands:\n%s", out)
		}
		if e.srv.Maintenance(e.app) {
			t.Error("maintenance mode is on")
		}
		if n := len(e.transfers("restore")); n != 0 {
			t.Errorf("%d restores under live traffic", n)
		}
		if f := e.srv.Formation(e.app); f["worker"] != 2 {
			t.Errorf("formation = %v, want worker=2 untouched", f)
		}
		// The database holds the unsafe migration, as the output says.
		if got := e.query("SELECT name FROM django_migrations WHERE app = 'accounts' AND name = '0004_customer_is_vip'"); len(got) != 1 {
			t.Errorf("accounts.0004 applied = %v", got)
		}
		if run := e.newestRun(dir); run["outcome"] != "recovery-failed" || run["exit_code"] != float64(4) || run["backup_id"] != name {
			t.Errorf("ledger run = %v, want recovery-failed, exit 4", run)
		}
		e.srv.ClearFaults()
		hkAssertNoSecrets(e)
	})

	t.Run("restore refused", func(t *testing.T) {
		e := hkStart(t, "zdcd-restore-refused", nil)
		e.seed()
		dir := hkNightlyFailure(e)
		e.srv.InjectFault(herokufake.Fault{Method: http.MethodPost, Path: "/client/v11/databases/*/restores", Status: 422,
			ID: "invalid_params", Message: "Restores are disabled for this database."})

		r := e.run(dir, e.directEnv("NIGHTLY_BUILD=true", "ZDCD_MAINTENANCE=recovery"), "release")
		if r.code != 4 {
			t.Errorf("exit %d, want 4", r.code)
		}
		backups := e.transfers("backup")
		if len(backups) != 1 || len(e.transfers("restore")) != 0 {
			t.Fatalf("transfers = %+v, want one backup and no restore", e.srv.Transfers(e.app))
		}
		name := fmt.Sprintf("b%03d", backups[0].Num)
		out := r.stdout + r.stderr
		hkContainsAll(t, "output", out,
			"RECOVERY FAILED: a human must act",
			"the restore of backup "+name+" failed",
			"Restores are disabled for this database.",
			"Database:  NOT restored; it holds changes the old release may not survive (accounts.0004_customer_is_vip)",
			"maintenance mode is ON (switched on by zdcd)",
			"Workers:   scaled to 0 by zdcd (before: worker=2)",
			"heroku pg:backups:restore "+name+" DATABASE_URL --app "+e.app+" --confirm "+e.app,
			"heroku ps:scale worker=2 --app "+e.app,
			"heroku maintenance:off --app "+e.app)
		if strings.Contains(out, "heroku maintenance:on") {
			t.Error("output asks to switch on maintenance mode, which is on")
		}
		// The commands come in the order that is safe to run: restore, workers, then traffic.
		iRestore, iScale, iOff := strings.Index(out, "heroku pg:backups:restore"), strings.Index(out, "heroku ps:scale"), strings.Index(out, "heroku maintenance:off")
		if !(iRestore < iScale && iScale < iOff) {
			t.Errorf("commands out of order (restore %d, scale %d, maintenance off %d)", iRestore, iScale, iOff)
		}
		if !e.srv.Maintenance(e.app) || e.srv.Formation(e.app)["worker"] != 0 {
			t.Errorf("maintenance %v, formation %v: the output says on and worker=0", e.srv.Maintenance(e.app), e.srv.Formation(e.app))
		}
		if run := e.newestRun(dir); run["outcome"] != "recovery-failed" || run["exit_code"] != float64(4) {
			t.Errorf("ledger run = %v, want recovery-failed, exit 4", run)
		}
		e.srv.ClearFaults()
		hkAssertNoSecrets(e)
	})

	t.Run("scale up fails after the restore", func(t *testing.T) {
		e := hkStart(t, "zdcd-down-up", nil)
		e.seed()
		rowsBefore, appliedBefore := e.query(hkCustomers), e.query(hkApplied)
		dir := hkNightlyFailure(e)
		// The first scale request (to 0) goes through; every later one fails.
		e.srv.InjectFault(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*/formation/*", Count: 1})
		e.srv.InjectFault(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*/formation/*", Status: 503, RetryAfter: "1"})

		r := e.run(dir, e.directEnv("NIGHTLY_BUILD=true", "ZDCD_MAINTENANCE=recovery"), "release")
		if r.code != 4 {
			t.Errorf("exit %d, want 4", r.code)
		}
		backups := e.transfers("backup")
		if len(backups) != 1 || len(e.transfers("restore")) != 1 {
			t.Fatalf("transfers = %+v, want a backup and a restore", e.srv.Transfers(e.app))
		}
		name := fmt.Sprintf("b%03d", backups[0].Num)
		out := r.stdout + r.stderr
		hkContainsAll(t, "output", out,
			"RECOVERY FAILED: a human must act",
			"the worker dynos could not be scaled back",
			"Database:  restored from backup "+name,
			"maintenance mode is ON (switched on by zdcd)",
			"Workers:   scaled to 0 by zdcd (before: worker=2)",
			"heroku ps:scale worker=2 --app "+e.app,
			"heroku maintenance:off --app "+e.app)
		if strings.Contains(out, "heroku pg:backups:restore") {
			t.Error("output asks to restore a database that was restored")
		}
		hkEqual(t, "accounts_customer rows", e.query(hkCustomers), rowsBefore)
		hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
		if !e.srv.Maintenance(e.app) {
			t.Error("maintenance mode is off, the output says on")
		}
		if f := e.srv.Formation(e.app); f["worker"] != 0 {
			t.Errorf("formation = %v, the output says worker=0", f)
		}
		if run := e.newestRun(dir); run["outcome"] != "recovery-failed" || run["exit_code"] != float64(4) || run["backup_id"] != name {
			t.Errorf("ledger run = %v, want recovery-failed, exit 4 (rewritten after the restore)", run)
		}
		e.srv.ClearFaults()
		hkAssertNoSecrets(e)
	})

	t.Run("maintenance off fails after the restore", func(t *testing.T) {
		e := hkStart(t, "zdcd-down-off", nil)
		e.seed()
		rowsBefore := e.query(hkCustomers)
		dir := hkNightlyFailure(e)
		// Maintenance on goes through; off fails.
		e.srv.InjectFault(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Count: 1})
		e.srv.InjectFault(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Status: 503, RetryAfter: "1"})

		r := e.run(dir, e.directEnv("NIGHTLY_BUILD=true", "ZDCD_MAINTENANCE=recovery"), "release")
		if r.code != 4 {
			t.Errorf("exit %d, want 4", r.code)
		}
		backups := e.transfers("backup")
		if len(backups) != 1 || len(e.transfers("restore")) != 1 {
			t.Fatalf("transfers = %+v, want a backup and a restore", e.srv.Transfers(e.app))
		}
		name := fmt.Sprintf("b%03d", backups[0].Num)
		out := r.stdout + r.stderr
		hkContainsAll(t, "output", out,
			"RECOVERY FAILED: a human must act",
			"maintenance mode could not be switched off",
			"Database:  restored from backup "+name,
			"maintenance mode is ON (switched on by zdcd)",
			"heroku maintenance:off --app "+e.app)
		for _, bad := range []string{"heroku pg:backups:restore", "heroku ps:scale", "Workers:"} {
			if strings.Contains(out, bad) {
				t.Errorf("output has %q, but the database is restored and the workers are back", bad)
			}
		}
		hkEqual(t, "accounts_customer rows", e.query(hkCustomers), rowsBefore)
		if !e.srv.Maintenance(e.app) {
			t.Error("maintenance mode is off, the output says on")
		}
		if f := e.srv.Formation(e.app); f["worker"] != 2 {
			t.Errorf("formation = %v, want worker=2 back", f)
		}
		if run := e.newestRun(dir); run["outcome"] != "recovery-failed" || run["exit_code"] != float64(4) {
			t.Errorf("ledger run = %v, want recovery-failed, exit 4", run)
		}
		e.srv.ClearFaults()
		hkAssertNoSecrets(e)
	})
}

// hkSecretLike finds a URL with credentials, in case a password other than the test's leaks.
var hkSecretLike = regexp.MustCompile(`postgres(?:ql)?://[^:\s/]+:([^@\s]+)@`)

// TestHerokuNoSecretsInOutput runs every kind of release (nothing pending, safe, refused, failed
// backup, restored, recovery failed) on one app and checks the token and the database password
// appear nowhere: release output, direct runs, history, `config`, the ledger, the requests.
func TestHerokuNoSecretsInOutput(t *testing.T) {
	e := hkStart(t, "zdcd-secrets", nil)
	e.seed()

	// Refused: unsafe and not approved.
	unsafe := hkNightlyFailure(e)
	if rel := e.deploy(unsafe); rel.Status != "failed" || !strings.Contains(rel.Output, "Refused:") {
		t.Errorf("unsafe release v%d %s, want refused", rel.Version, rel.Status)
	}
	if r := e.run(unsafe, e.directEnv(), "release"); r.code != 1 {
		t.Errorf("refused: exit %d, want 1", r.code)
	}
	// Failed backup.
	e.srv.FailBackups(1)
	if r := e.run(unsafe, e.directEnv("NIGHTLY_BUILD=true"), "release"); r.code != 3 {
		t.Errorf("failed backup: exit %d, want 3", r.code)
	}
	// Restored.
	if r := e.run(unsafe, e.directEnv("NIGHTLY_BUILD=true"), "release"); r.code != 3 || !strings.Contains(r.stdout, "The database is restored") {
		t.Errorf("restored: exit %d, want 3", r.code)
	}
	// Recovery failed.
	e.srv.InjectFault(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Status: 503, RetryAfter: "1"})
	if r := e.run(unsafe, e.directEnv("NIGHTLY_BUILD=true", "ZDCD_MAINTENANCE=recovery"), "release"); r.code != 4 {
		t.Errorf("recovery failed: exit %d, want 4", r.code)
	}
	e.srv.ClearFaults()
	// A configuration error names the variable and no secret.
	if r := e.run(unsafe, e.directEnv("ZDCD_API_POLL_INTERVAL=soon"), "release"); r.code != 2 {
		t.Errorf("bad configuration: exit %d, want 2", r.code)
	}
	// Every other command, in success and failure: approvals, the nightly window (the Platform API
	// refusing the key, then answering), rollback (dry run, a wrong --confirm, the API failing),
	// lint, explain, the git hook.
	e.run(unsafe, e.directEnv(), "approve", "--list", "--all")
	e.run(unsafe, e.directEnv(), "approve", "accounts.0004_customer_is_vip", "--reason", "reviewed", "--by", "alice")
	e.run(unsafe, e.directEnv(), "approve", "--revoke", "1")
	e.srv.InjectFault(herokufake.Fault{Status: 401, ID: "unauthorized", Message: "Invalid credentials provided."})
	e.run(unsafe, e.directEnv(), "nightly")
	e.run(unsafe, e.directEnv(), "rollback")
	e.srv.ClearFaults()
	e.srv.InjectFault(herokufake.Fault{Status: 500, Count: 50})
	e.run(unsafe, e.directEnv(), "rollback", "--confirm", e.app)
	e.srv.ClearFaults()
	e.run(unsafe, e.directEnv(), "nightly")
	e.run(unsafe, e.directEnv(), "rollback")
	e.run(unsafe, e.directEnv(), "rollback", "--confirm", "nope")
	e.run(unsafe, e.directEnv(), "lint")
	e.run(unsafe, e.directEnv(), "explain", "drop-column")
	repo := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	e.run(unsafe, e.directEnv(), "hooks", "install", "--repo", repo)
	e.run(unsafe, e.directEnv(), "hooks", "uninstall", "--repo", repo)
	// A database URL with a wrong password fails to connect without printing either.
	wrong := strings.Replace(e.dbURL, password(t, e.dbURL), password(t, e.dbURL)+"x", 1)
	if r := e.run(unsafe, append(e.directEnv(), "DATABASE_URL="+wrong), "release"); r.code != 2 {
		t.Errorf("wrong password: exit %d, want 2", r.code)
	}
	// Reports and configuration.
	e.run(unsafe, e.directEnv(), "config")
	e.run(unsafe, e.directEnv(), "check")
	runs := e.history(unsafe)
	e.run(unsafe, baseEnv(e.dbURL), "history")
	for _, r := range runs {
		e.run(unsafe, baseEnv(e.dbURL), "history", fmt.Sprint(r["id"]))
	}
	for i, s := range e.texts {
		for _, m := range hkSecretLike.FindAllStringSubmatch(s, -1) {
			if strings.Trim(m[1], "*") != "" {
				t.Errorf("text %d has a URL with credentials: %s", i, m[0])
			}
		}
	}
	hkAssertNoSecrets(e)
}

// TestHerokuAmbiguousPOSTs: the backup and the restore POSTs are acted on by Heroku but answer
// 500 (the ambiguous failure of a non-idempotent call). zdcd must find the transfer Heroku
// started instead of starting a second one, and the recovery must still complete.
func TestHerokuAmbiguousPOSTs(t *testing.T) {
	e := hkStart(t, "zdcd-ambiguous", map[string]string{"NIGHTLY_BUILD": "true"})
	e.seed()
	rowsBefore, appliedBefore := e.query(hkCustomers), e.query(hkApplied)
	dir := hkNightlyFailure(e)
	e.srv.InjectFault(herokufake.Fault{Method: http.MethodPost, Path: "/client/v11/databases/*/backups", Status: 500, Count: 1, ActThenFail: true})
	e.srv.InjectFault(herokufake.Fault{Method: http.MethodPost, Path: "/client/v11/databases/*/restores", Status: 500, Count: 1, ActThenFail: true})

	rel := e.deploy(dir)
	if rel.Status != "failed" {
		t.Fatalf("release v%d %s, want failed (restored):\n%s", rel.Version, rel.Status, rel.Output)
	}
	backups, restores := e.transfers("backup"), e.transfers("restore")
	if len(backups) != 1 || len(restores) != 1 || !backups[0].Succeeded || !restores[0].Succeeded {
		t.Fatalf("transfers = %+v, want exactly one backup and one restore, both succeeded", e.srv.Transfers(e.app))
	}
	name := fmt.Sprintf("b%03d", backups[0].Num)
	hkContainsAll(t, "release output", rel.Output, "Backup "+name+" done", "Restoring backup "+name, "The database is restored and the old release keeps running.")
	for _, p := range []string{"/client/v11/databases/*/backups", "/client/v11/databases/*/restores"} {
		var got []int
		for _, r := range e.srv.RequestsMatching(http.MethodPost, p) {
			got = append(got, r.Status)
		}
		if fmt.Sprint(got) != "[500]" {
			t.Errorf("POST %s: statuses %v, want one 500 and no blind retry", p, got)
		}
	}
	hkEqual(t, "accounts_customer rows", e.query(hkCustomers), rowsBefore)
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
	if e.srv.Maintenance(e.app) || e.srv.Formation(e.app)["worker"] != 2 {
		t.Errorf("maintenance %v, formation %v: want off and worker=2", e.srv.Maintenance(e.app), e.srv.Formation(e.app))
	}
	if run := e.newestRun(dir); run["outcome"] != "restored" || run["backup_id"] != name {
		t.Errorf("ledger run = %v, want restored with backup %s", run, name)
	}
	hkAssertNoSecrets(e)
}

// TestHerokuMaintenanceAlreadyOn: maintenance mode that was on before the run (a human, or the
// nightly flow) is left on after a restore; the workers still come back.
func TestHerokuMaintenanceAlreadyOn(t *testing.T) {
	e := hkStart(t, "zdcd-already-on", map[string]string{"NIGHTLY_BUILD": "true"})
	e.seed()
	rowsBefore := e.query(hkCustomers)
	dir := hkNightlyFailure(e)
	e.patch("/apps/"+e.app, `{"maintenance": true}`)
	e.srv.ResetRequests()

	rel := e.deploy(dir)
	if rel.Status != "failed" {
		t.Fatalf("release v%d %s, want failed (restored):\n%s", rel.Version, rel.Status, rel.Output)
	}
	hkContainsAll(t, "release output", rel.Output, "Restored: the database is back", "Maintenance mode was on before this run: leaving it on.")
	hkEqual(t, "accounts_customer rows", e.query(hkCustomers), rowsBefore)
	if !e.srv.Maintenance(e.app) {
		t.Error("maintenance mode was switched off, but it was on before the run")
	}
	if n := len(e.srv.RequestsMatching(http.MethodPatch, "/apps/*")); n != 0 {
		t.Errorf("%d maintenance requests, want none", n)
	}
	if f := e.srv.Formation(e.app); f["worker"] != 2 {
		t.Errorf("formation = %v, want worker=2 back", f)
	}
	if run := e.newestRun(dir); run["outcome"] != "restored" {
		t.Errorf("ledger run = %v, want restored", run)
	}
	hkAssertNoSecrets(e)
}

// TestHerokuMisconfigured: without dyno metadata HEROKU_APP_NAME is missing (exit 2, naming it);
// with a wrong API key the backup cannot be taken (exit 3, nothing changed), and the wrong key is
// not printed either.
func TestHerokuMisconfigured(t *testing.T) {
	e := hkStart(t, "zdcd-misconfigured", nil)
	appliedBefore := e.query(hkApplied)
	dir := e.version(hkKeep("accounts/0003"), nil)

	if err := e.srv.EnableFeature(e.app, "runtime-dyno-metadata", false); err != nil {
		t.Fatal(err)
	}
	rel := e.deploy(dir)
	if rel.Status != "failed" {
		t.Fatalf("release v%d %s, want failed:\n%s", rel.Version, rel.Status, rel.Output)
	}
	hkContainsAll(t, "release output", rel.Output, "HEROKU_APP_NAME", "runtime-dyno-metadata")
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
	env := e.directEnv()
	var noApp []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "HEROKU_APP_NAME=") {
			noApp = append(noApp, kv)
		}
	}
	if r := e.run(dir, noApp, "release"); r.code != 2 || !strings.Contains(r.stderr, "HEROKU_APP_NAME") {
		t.Errorf("without HEROKU_APP_NAME: exit %d, want 2 naming it", r.code)
	}

	const wrong = "HRKU-wrong-0d1c2b3a4f5e6d7c8b9a"
	r := e.run(dir, append(e.directEnv(), "HEROKU_API_KEY="+wrong), "release")
	if r.code != 3 {
		t.Errorf("wrong API key: exit %d, want 3", r.code)
	}
	hkContainsAll(t, "wrong API key", r.stdout+r.stderr, "backup failed, so no migration ran and nothing was changed")
	if strings.Contains(r.stdout+r.stderr, wrong) {
		t.Error("the wrong API key is printed")
	}
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
	if run := e.newestRun(dir); run["outcome"] != "backup-failed" || strings.Contains(fmt.Sprint(run), wrong) {
		t.Errorf("ledger run = %v, want backup-failed without the key", run)
	}
	hkAssertNoSecrets(e)
}

// TestHerokuNoBackupUnsafeApplied: with ZDCD_BACKUP=never an unsafe migration applied in the
// nightly window cannot be restored. zdcd stops with exit 4 without touching the app, and its
// statement is consistent: maintenance is off and was never switched on, so there is nothing to
// switch off.
func TestHerokuNoBackupUnsafeApplied(t *testing.T) {
	e := hkStart(t, "zdcd-no-backup", nil)
	e.seed()
	dir := hkNightlyFailure(e)

	r := e.run(dir, e.directEnv("NIGHTLY_BUILD=true", "ZDCD_BACKUP=never"), "release")
	if r.code != 4 {
		t.Errorf("exit %d, want 4", r.code)
	}
	out := r.stdout + r.stderr
	hkContainsAll(t, "output", out,
		"No backup (ZDCD_BACKUP=never)",
		"RECOVERY FAILED: a human must act",
		"there is no backup to restore (ZDCD_BACKUP=never)",
		"Database:  NOT restored; it holds changes the old release may not survive (accounts.0004_customer_is_vip)",
		"maintenance mode is off; the old release is serving traffic")
	if len(e.srv.Transfers(e.app)) != 0 {
		t.Errorf("transfers = %+v, want none", e.srv.Transfers(e.app))
	}
	if e.srv.Maintenance(e.app) || e.srv.Formation(e.app)["worker"] != 2 {
		t.Errorf("maintenance %v, formation %v: want the app untouched", e.srv.Maintenance(e.app), e.srv.Formation(e.app))
	}
	if strings.Contains(out, "Restoring the backup.") {
		t.Errorf("the output announces a restore of a backup that does not exist")
	}
	// A human told to switch maintenance off must have been told (or found it) on.
	if strings.Contains(out, "heroku maintenance:off") && !strings.Contains(out, "heroku maintenance:on") {
		t.Errorf("the statement says maintenance is off, yet asks to run `heroku maintenance:off` with nothing to undo")
	}
	if run := e.newestRun(dir); run["outcome"] != "recovery-failed" || run["exit_code"] != float64(4) {
		t.Errorf("ledger run = %v, want recovery-failed, exit 4", run)
	}
	hkAssertNoSecrets(e)
}

// TestHerokuRestorePollsFail: the restore is started and completes on Heroku, but every poll of
// its progress fails. zdcd cannot learn the outcome from Heroku; it still has the database, and
// its statement must not claim the database was NOT restored when it was.
func TestHerokuRestorePollsFail(t *testing.T) {
	e := hkStart(t, "zdcd-restore-polls", nil)
	e.seed()
	rowsBefore, appliedBefore := e.query(hkCustomers), e.query(hkApplied)
	dir := hkNightlyFailure(e)
	// Transfers stay running long enough for the fault to be in place before the restore ends.
	e.srv.SlowTransfers(3 * time.Second)

	done := make(chan result, 1)
	env := e.directEnv("NIGHTLY_BUILD=true")
	go func() { done <- run(t, dir, env, "release") }()
	deadline := time.Now().Add(hkBound)
	for len(e.transfers("restore")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no restore started within %s", hkBound)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if tr := e.transfers("restore"); tr[0].Finished {
		t.Fatalf("the restore finished before the fault was injected: %+v", tr)
	}
	e.srv.InjectFault(herokufake.Fault{Method: http.MethodGet, Path: "/client/v11/apps/*/transfers/*", Status: 404,
		ID: "not_found", Message: "Transfer not found."})
	r := <-done
	e.texts = append(e.texts, r.stdout, r.stderr)
	t.Logf("release: %s", r)
	e.srv.ClearFaults()
	e.srv.Wait()

	if r.code != 4 {
		t.Errorf("exit %d, want 4", r.code)
	}
	restores := e.transfers("restore")
	if len(restores) != 1 || !restores[0].Succeeded {
		t.Fatalf("restores = %+v, want one that succeeded on Heroku", restores)
	}
	// The restore did complete.
	hkEqual(t, "accounts_customer rows", e.query(hkCustomers), rowsBefore)
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
	out := r.stdout + r.stderr
	hkContainsAll(t, "output", out, "RECOVERY FAILED: a human must act", "maintenance mode is ON (switched on by zdcd)",
		"heroku ps:scale worker=2 --app "+e.app, "heroku maintenance:off --app "+e.app)
	if strings.Contains(out, "Database:  NOT restored") {
		t.Errorf("the statement says the database was NOT restored, but a restore was started and its outcome is unknown (it completed)")
	}
	// The restore that completed after zdcd gave up rolled the ledger back too; the run must still
	// be on record as a failed recovery, not as a run in progress.
	if run := e.newestRun(dir); run["outcome"] != "recovery-failed" || run["exit_code"] != float64(4) {
		t.Errorf("ledger run = %v, want recovery-failed, exit 4", run)
	}
	hkAssertNoSecrets(e)
}

// A restore that ends the database's other sessions (as one that needs the database to itself
// does) ends the release's own: the release reconnects, takes the release lock again, verifies the
// restore and rewrites its run, and brings the app back.
func TestHerokuRestoreEndsSessions(t *testing.T) {
	e := hkStartWith(t, "zdcd-ends", nil, func(o *herokufake.Options) { o.RestoreEndsSessions = true })
	e.seed()
	rowsBefore, appliedBefore := e.query(hkCustomers), e.query(hkApplied)
	dir := hkNightlyFailure(e)
	r := e.run(dir, e.directEnv("NIGHTLY_BUILD=true"), "release")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3 (restored):\n%s", r.code, r)
	}
	hkContainsAll(t, "output", r.stdout, "Restored: the database is back", "Maintenance mode off.")
	hkEqual(t, "accounts_customer rows", e.query(hkCustomers), rowsBefore)
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
	if e.srv.Maintenance(e.app) || e.srv.Formation(e.app)["worker"] != 2 {
		t.Errorf("maintenance %v, formation %v: want off and worker=2", e.srv.Maintenance(e.app), e.srv.Formation(e.app))
	}
	if run := e.newestRun(dir); run["outcome"] != "restored" || run["exit_code"] != float64(3) {
		t.Errorf("ledger run = %v, want restored, exit 3", run)
	}
	hkAssertNoSecrets(e)
}
