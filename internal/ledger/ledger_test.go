package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// clock is a test clock that advances one second on every reading.
type clock struct{ t atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.t.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Unix())
	return c
}

func (c *clock) Now() time.Time { return time.Unix(c.t.Add(1), 0).UTC() }

func open(t *testing.T, conn *pgx.Conn, c *clock) *Postgres {
	t.Helper()
	p, err := OpenWith(context.Background(), conn, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func count(t *testing.T, conn *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestOpenCreatesSchemaOnceAndReopenIsNoOp(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	p := open(t, conn, newClock())
	if p.SchemaVersion() != LatestVersion() || LatestVersion() < 1 {
		t.Fatalf("SchemaVersion = %d, LatestVersion = %d", p.SchemaVersion(), LatestVersion())
	}
	if _, err := p.StartRun(ctx, RunInfo{Command: CommandCheck}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		p2 := open(t, conn, newClock())
		if p2.SchemaVersion() != LatestVersion() {
			t.Fatalf("reopen: version %d", p2.SchemaVersion())
		}
	}
	if n := count(t, conn, "SELECT count(*) FROM zdcd_ledger.schema_version"); n != LatestVersion() {
		t.Fatalf("schema_version has %d rows, want %d", n, LatestVersion())
	}
	if n := count(t, conn, "SELECT count(*) FROM zdcd_ledger.runs"); n != 1 {
		t.Fatalf("reopening lost or duplicated runs: %d", n)
	}
}

func TestConcurrentOpensApplyEachMigrationOnce(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const n = 6
	conns := make([]*pgx.Conn, n)
	for i := range conns {
		conns[i] = connect(t, dsn)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = Open(context.Background(), conns[i])
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
	}
	if got := count(t, conns[0], "SELECT count(*) FROM zdcd_ledger.schema_version"); got != LatestVersion() {
		t.Fatalf("schema_version rows = %d, want %d", got, LatestVersion())
	}
}

func TestUpgradeWaitsForTheUpgradeLock(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	holder, conn := connect(t, dsn), connect(t, dsn)
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock($1::int4, $2::int4)", lockClass, lockSchema); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Open(ctx, conn)
		done <- err
	}()
	// The upgrade must be waiting on the advisory lock, not creating anything.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := count(t, holder, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND classid = $1 AND objid = $2 AND objsubid = 2`, lockClass, lockSchema)
		if n == 1 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Open finished (%v) while another session held the upgrade lock", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("Open never waited for the upgrade lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := count(t, holder, "SELECT count(*) FROM pg_namespace WHERE nspname = 'zdcd_ledger'"); n != 0 {
		t.Fatal("the schema was created without the upgrade lock")
	}
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_unlock($1::int4, $2::int4)", lockClass, lockSchema); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestNewerLedgerFromALaterZdcdStillOpens(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	open(t, conn, newClock())
	if _, err := conn.Exec(ctx, "INSERT INTO zdcd_ledger.schema_version VALUES (99, 'from_the_future', now())"); err != nil {
		t.Fatal(err)
	}
	p := open(t, conn, newClock())
	if p.SchemaVersion() != 99 {
		t.Fatalf("SchemaVersion = %d, want 99", p.SchemaVersion())
	}
	if _, err := p.StartRun(ctx, RunInfo{Command: CommandRelease}); err != nil {
		t.Fatal(err)
	}
}

func sampleResult() *analysis.Result {
	return &analysis.Result{
		Safe: false, ServerVersion: 150004,
		Migrations: []analysis.MigrationResult{
			{Migration: plan.Migration{App: "shop", Name: "0006_add_sku", File: "shop/migrations/0006_add_sku.py"}, Safe: true,
				Findings: []analysis.Finding{}},
			{Migration: plan.Migration{App: "shop", Name: "0007_remove_price", File: "shop/migrations/0007_remove_price.py"}, Safe: false,
				Findings: []analysis.Finding{
					{Rule: "remove-field", Severity: analysis.Unsafe, Operation: "RemoveField", Line: 12,
						Statement: `ALTER TABLE "shop_product" DROP COLUMN "price" CASCADE`, Message: "the old code still reads price", Fix: "expand, deploy, contract"},
					{Rule: "wide-index", Severity: analysis.Warning, Operation: "AddIndex", Line: 20, Message: "wide"},
				}},
			{Migration: plan.Migration{App: "auth2", Name: "0002_rename"}, Safe: true,
				Findings: []analysis.Finding{
					{Rule: "rename-column", Severity: analysis.Unsafe, Operation: "RenameField", Line: 8, Message: "renames",
						Approval: &analysis.Approval{By: analysis.ByAllowList, Entry: "auth2.0002_rename:rename-column", Reason: "no reader left"}},
				}},
		},
	}
}

func TestFullRunIsRecordedAndReadBack(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	p := open(t, conn, newClock())

	id, err := p.StartRun(ctx, RunInfo{Command: CommandRelease, AppName: "shop-prod", ReleaseVersion: 42, SlugID: "slug-42", ZdcdVersion: "v0.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	res := sampleResult()
	if err := p.RecordPlan(ctx, id, res); err != nil {
		t.Fatal(err)
	}
	// Recording the plan again replaces it.
	if err := p.RecordPlan(ctx, id, res); err != nil {
		t.Fatal(err)
	}
	if err := p.RecordBackup(ctx, id, "b042", "heroku:DATABASE"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	steps := []Step{
		{Name: "backup", Started: t0, Finished: t0.Add(2 * time.Second), OK: true, Detail: "b042"},
		{Name: "migrate", Started: t0.Add(2 * time.Second), Finished: t0.Add(5 * time.Second), OK: true, Detail: "3 migrations"},
	}
	for _, s := range steps {
		if err := p.RecordStep(ctx, id, s); err != nil {
			t.Fatal(err)
		}
	}
	before := []plan.MigrationKey{{App: "shop", Name: "0005_x"}}
	after := []plan.MigrationKey{{App: "shop", Name: "0005_x"}, {App: "shop", Name: "0006_add_sku"}}
	if err := p.RecordApplied(ctx, id, before, after); err != nil {
		t.Fatal(err)
	}
	if err := p.FinishRun(ctx, id, OutcomeApplied, 0, ""); err != nil {
		t.Fatal(err)
	}

	d, err := p.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Command != CommandRelease || d.AppName != "shop-prod" || d.ReleaseVersion != 42 || d.SlugID != "slug-42" ||
		d.ServerVersion != 150004 || d.ZdcdVersion != "v0.1.0" || d.Verdict != VerdictUnsafe || d.Outcome != OutcomeApplied ||
		d.ExitCode != 0 || d.BackupID != "b042" || d.BackupLocation != "heroku:DATABASE" || d.FinishedAt.IsZero() ||
		d.StartedAt.IsZero() || !d.FinishedAt.After(d.StartedAt) {
		t.Fatalf("run read back wrong: %+v", d.Run)
	}
	if len(d.Migrations) != 3 {
		t.Fatalf("migrations = %+v", d.Migrations)
	}
	for i, m := range res.Migrations {
		got := d.Migrations[i]
		if got.App != m.Migration.App || got.Name != m.Migration.Name || got.File != m.Migration.File || got.Safe != m.Safe {
			t.Errorf("migration %d = %+v, want %+v", i, got, m.Migration)
		}
		if len(got.Findings) != len(m.Findings) {
			t.Fatalf("migration %d findings = %+v", i, got.Findings)
		}
		for j, f := range m.Findings {
			g := got.Findings[j]
			if g.Rule != f.Rule || g.Severity != f.Severity || g.Operation != f.Operation || g.Line != f.Line ||
				g.Statement != f.Statement || g.Message != f.Message || g.Fix != f.Fix || (g.Approval == nil) != (f.Approval == nil) ||
				(f.Approval != nil && *g.Approval != *f.Approval) {
				t.Errorf("finding %d.%d = %+v, want %+v", i, j, g, f)
			}
		}
	}
	if len(d.Approvals) != 1 || d.Approvals[0] != (UsedApproval{App: "auth2", Name: "0002_rename", Rule: "rename-column",
		By: analysis.ByAllowList, Entry: "auth2.0002_rename:rename-column", Reason: "no reader left"}) {
		t.Errorf("approvals = %+v", d.Approvals)
	}
	if len(d.Steps) != 2 || d.Steps[0] != steps[0] || d.Steps[1] != steps[1] {
		t.Errorf("steps = %+v", d.Steps)
	}
	if fmt.Sprint(d.Before) != fmt.Sprint(before) || fmt.Sprint(d.After) != fmt.Sprint(after) {
		t.Errorf("applied = %v → %v", d.Before, d.After)
	}
	if a := d.Applied(); len(a) != 1 || a[0] != (plan.MigrationKey{App: "shop", Name: "0006_add_sku"}) {
		t.Errorf("Applied() = %v", a)
	}

	h, err := p.History(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].ID != id || h[0].Migrations != 3 || h[0].Unsafe != 1 || h[0].Applied != 1 {
		t.Fatalf("history = %+v", h)
	}

	if _, err := p.Run(ctx, id+100); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Run(missing) = %v, want ErrNotFound", err)
	}
	if err := p.FinishRun(ctx, id+100, OutcomeApplied, 0, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("FinishRun(missing) = %v, want ErrNotFound", err)
	}
	if err := p.RecordStep(ctx, id+100, Step{Name: "x"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("RecordStep(missing) = %v, want ErrNotFound", err)
	}
	if err := p.FinishRun(ctx, id, "exploded", 0, ""); err == nil {
		t.Fatal("an unknown outcome was accepted")
	}
	if _, err := p.StartRun(ctx, RunInfo{Command: "deploy"}); err == nil {
		t.Fatal("an unknown command was accepted")
	}
}

func TestVerdictOf(t *testing.T) {
	res := sampleResult()
	if v := VerdictOf(res); v != VerdictUnsafe {
		t.Errorf("unsafe: %s", v)
	}
	res.Nightly = true
	if v := VerdictOf(res); v != VerdictNightly {
		t.Errorf("nightly: %s", v)
	}
	res.Nightly, res.Safe = false, true
	if v := VerdictOf(res); v != VerdictApproved {
		t.Errorf("approved: %s", v)
	}
	if v := VerdictOf(&analysis.Result{Safe: true}); v != VerdictSafe {
		t.Errorf("safe: %s", v)
	}
}

// refuse records a finished refused release of version v.
func refuse(t *testing.T, p *Postgres, v int, slug string) int64 {
	t.Helper()
	return finished(t, p, CommandRelease, v, slug, OutcomeRefused, 1)
}

func finished(t *testing.T, p *Postgres, c Command, v int, slug string, o Outcome, code int) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := p.StartRun(ctx, RunInfo{Command: c, ReleaseVersion: v, SlugID: slug})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.FinishRun(ctx, id, o, code, ""); err != nil {
		t.Fatal(err)
	}
	return id
}

func refusedIDs(t *testing.T, p *Postgres, since time.Time) []int64 {
	t.Helper()
	runs, err := p.Refused(context.Background(), since)
	if err != nil {
		t.Fatal(err)
	}
	ids := []int64{}
	for _, r := range runs {
		if r.Outcome != OutcomeRefused || r.Superseded() {
			t.Fatalf("Refused returned %+v", r)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

func TestRefusalsAndSupersession(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	c := newClock()
	p := open(t, conn, c)
	epoch := time.Time{}

	finished(t, p, CommandRelease, 9, "s9", OutcomeApplied, 0)
	r10 := refuse(t, p, 10, "s10")
	r11 := refuse(t, p, 11, "s11")
	if got := refusedIDs(t, p, epoch); fmt.Sprint(got) != fmt.Sprint([]int64{r11, r10}) {
		t.Fatalf("Refused = %v, want newest first [%d %d]", got, r11, r10)
	}
	runs, _ := p.Refused(ctx, epoch)
	if runs[0].ReleaseVersion != 11 || runs[0].SlugID != "s11" || runs[0].ExitCode != 1 {
		t.Fatalf("refusal carries no release: %+v", runs[0])
	}

	// Neither a check, nor a failed release, nor an unfinished one supersedes anything.
	finished(t, p, CommandCheck, 12, "s12", OutcomeNothingPending, 0)
	finished(t, p, CommandRelease, 12, "s12", OutcomeMigrationFailed, 3)
	finished(t, p, CommandRelease, 12, "s12", OutcomeRestored, 3)
	if _, err := p.StartRun(ctx, RunInfo{Command: CommandRelease, ReleaseVersion: 13}); err != nil {
		t.Fatal(err)
	}
	if got := refusedIDs(t, p, epoch); len(got) != 2 {
		t.Fatalf("Refused = %v after runs that must not supersede", got)
	}

	// A successful release of v10 supersedes the v10 refusal, not the newer v11 one.
	ok10 := finished(t, p, CommandRelease, 10, "s10b", OutcomeNothingPending, 0)
	if got := refusedIDs(t, p, epoch); fmt.Sprint(got) != fmt.Sprint([]int64{r11}) {
		t.Fatalf("Refused = %v, want [%d]", got, r11)
	}
	d, err := p.Run(ctx, r10)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Superseded() || d.SupersededBy != ok10 || !strings.Contains(d.SupersededReason, "release v10") {
		t.Fatalf("r10 = %+v", d.Run)
	}
	if ok, err := p.Superseded(ctx, r11); err != nil || ok {
		t.Fatalf("Superseded(r11) = %v, %v", ok, err)
	}

	// since filters by start time.
	if got := refusedIDs(t, p, d.StartedAt.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("Refused(since later) = %v", got)
	}

	// The nightly re-releases v11's slug as a new release (v14): it supersedes v11.
	r15 := refuse(t, p, 15, "s15")
	nightly := finished(t, p, CommandNightly, 14, "s11", OutcomeApplied, 0)
	if got := refusedIDs(t, p, epoch); fmt.Sprint(got) != fmt.Sprint([]int64{r15}) {
		t.Fatalf("Refused = %v, want [%d]", got, r15)
	}
	if d, _ := p.Run(ctx, r11); d.SupersededBy != nightly {
		t.Fatalf("r11 superseded by %d, want %d", d.SupersededBy, nightly)
	}

	// Explicit supersession, idempotent, only for refusals.
	if err := p.MarkSuperseded(ctx, r15, 0, "abandoned: the branch was reverted"); err != nil {
		t.Fatal(err)
	}
	if err := p.MarkSuperseded(ctx, r15, nightly, "again"); err != nil {
		t.Fatal(err)
	}
	if d, _ := p.Run(ctx, r15); d.SupersededReason != "abandoned: the branch was reverted" || d.SupersededBy != 0 {
		t.Fatalf("r15 = %+v", d.Run)
	}
	if ok, err := p.Superseded(ctx, r15); err != nil || !ok {
		t.Fatalf("Superseded(r15) = %v, %v", ok, err)
	}
	if got := refusedIDs(t, p, epoch); len(got) != 0 {
		t.Fatalf("Refused = %v, want none", got)
	}
	if err := p.MarkSuperseded(ctx, nightly, 0, "x"); err == nil {
		t.Fatal("a successful run was marked superseded")
	}
	if _, err := p.Superseded(ctx, 9999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Superseded(missing) = %v", err)
	}
}

func TestHistoryIsNewestFirstAndLimited(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	p := open(t, conn, newClock())
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	// Started out of id order (a run's StartedAt is the caller's): history orders by start.
	starts := []time.Duration{2 * time.Hour, 0, 3 * time.Hour, time.Hour}
	ids := make([]int64, len(starts))
	for i, s := range starts {
		id, err := p.StartRun(ctx, RunInfo{Command: CommandRelease, StartedAt: base.Add(s), ReleaseVersion: i + 1})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	h, err := p.History(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{ids[2], ids[0], ids[3], ids[1]}
	var got []int64
	for _, s := range h {
		got = append(got, s.ID)
		if s.Finished() || s.ExitCode != -1 {
			t.Errorf("unfinished run %d reads as finished: %+v", s.ID, s.Run)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("history = %v, want %v", got, want)
	}
	h, err = p.History(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].ID != want[0] || h[1].ID != want[1] {
		t.Fatalf("History(2) = %+v", h)
	}
}

func TestScrub(t *testing.T) {
	for _, c := range []struct{ in, secret string }{
		{"cannot connect to postgres://app:s3cr3t@db.example.com:5432/d", "s3cr3t"},
		{"DATABASE_URL=postgresql://u:p%40ss@h/d?sslmode=require failed", "p%40ss"},
		{"redis://:tok3n@host:6379", "tok3n"},
		{"host=h user=u password=hunter2 dbname=d", "hunter2"},
		{"host=h password='two words' dbname=d", "two words"},
		{"https://h/x?user=u&password=qwerty&x=1", "qwerty"},
		{"CREATE ROLE reporting LOGIN PASSWORD 'it''s-s3cret'", "s3cret"},
		{"ALTER USER app WITH PASSWORD $$dollar-s3cret$$", "dollar-s3cret"},
	} {
		got := Scrub(c.in)
		if strings.Contains(got, c.secret) {
			t.Errorf("Scrub(%q) = %q keeps the secret", c.in, got)
		}
		if !strings.Contains(got, "********") {
			t.Errorf("Scrub(%q) = %q marks nothing", c.in, got)
		}
	}
	if got := Scrub("postgres://app@h/d and https://example.com/a@b"); got != "postgres://app@h/d and https://example.com/a@b" {
		t.Errorf("Scrub changed text without a password: %q", got)
	}
	if got := Scrub("bad \xff byte \x00 nul"); got != "bad \uFFFD byte  nul" {
		t.Errorf("Scrub kept what PostgreSQL cannot store: %q", got)
	}
	if got := Scrub(strings.Repeat("x", maxText+10)); len(got) > maxText+100 {
		t.Errorf("Scrub kept %d bytes", len(got))
	}
}

func TestPasswordsNeverReachTheLedger(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	conn := connect(t, dsn)
	p := open(t, conn, newClock())
	u, _ := url.Parse(dsn)
	pw, _ := u.User.Password()
	id, err := p.StartRun(ctx, RunInfo{Command: CommandRelease})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.RecordStep(ctx, id, Step{Name: "migrate", Detail: "django.db.utils.OperationalError: connection to " + dsn + " failed"}); err != nil {
		t.Fatal(err)
	}
	if err := p.RecordBackup(ctx, id, "b1", "postgres://zdcd:"+pw+"@backup-host/db"); err != nil {
		t.Fatal(err)
	}
	if err := p.FinishRun(ctx, id, OutcomeMigrationFailed, 3, "migrate failed: could not connect to "+dsn); err != nil {
		t.Fatal(err)
	}
	var dump string
	if err := conn.QueryRow(ctx, `SELECT (SELECT string_agg(r::text, ' ') FROM zdcd_ledger.runs r) || (SELECT string_agg(s::text, ' ') FROM zdcd_ledger.steps s)`).Scan(&dump); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dump, pw) {
		t.Fatalf("the database password reached the ledger: %s", dump)
	}
	if !strings.Contains(dump, "zdcd:********@127.0.0.1") {
		t.Fatalf("the scrubbed URL is not recognisable: %s", dump)
	}
}

func TestNoCollisionWithDjangosPublicSchema(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	// A Django-migrated database: django_migrations and an app table in public, including
	// names the ledger also uses.
	if _, err := conn.Exec(ctx, `
		CREATE TABLE public.django_migrations (id bigserial PRIMARY KEY, app varchar(255) NOT NULL,
			name varchar(255) NOT NULL, applied timestamptz NOT NULL);
		INSERT INTO public.django_migrations (app, name, applied) VALUES ('shop', '0001_initial', now());
		CREATE TABLE public.runs (id serial PRIMARY KEY, note text);
		INSERT INTO public.runs (note) VALUES ('the app''s own table');`); err != nil {
		t.Fatal(err)
	}
	publicObjects := func() string {
		var s string
		if err := conn.QueryRow(ctx, `SELECT string_agg(relname || ':' || relkind::text, ',' ORDER BY relname) FROM pg_class
			WHERE relnamespace = 'public'::regnamespace`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	beforeObjs := publicObjects()
	p := open(t, conn, newClock())
	id, err := p.StartRun(ctx, RunInfo{Command: CommandRelease})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.RecordPlan(ctx, id, sampleResult()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Approve(ctx, Approval{App: "shop", Name: "0007", Reason: "r", ApprovedBy: "me", Digest: digestOf("0007"), ExpiresAt: tomorrow}); err != nil {
		t.Fatal(err)
	}
	if after := publicObjects(); after != beforeObjs {
		t.Fatalf("public changed:\nbefore %s\nafter  %s", beforeObjs, after)
	}
	if n := count(t, conn, "SELECT count(*) FROM public.runs"); n != 1 {
		t.Fatalf("the app's runs table has %d rows", n)
	}
	// Every ledger object lives in zdcd_ledger, and it holds nothing else.
	if n := count(t, conn, `SELECT count(*) FROM pg_class WHERE relnamespace = 'zdcd_ledger'::regnamespace
		AND relname NOT IN ('schema_version', 'runs', 'run_migrations', 'findings', 'run_applied', 'steps', 'approvals')
		AND relkind IN ('r', 'v', 'm', 'p')`); n != 0 {
		t.Fatalf("%d unexpected tables in zdcd_ledger", n)
	}
	// What Django's migrate creates next still lands in public, even for a role named zdcd
	// with the default search_path ("$user", public): the test cluster's role is zdcd.
	var role, cur string
	if err := conn.QueryRow(ctx, "SELECT current_user, current_schema()").Scan(&role, &cur); err != nil {
		t.Fatal(err)
	}
	if cur != "public" {
		t.Fatalf("role %s: current schema is %s after Open, want public", role, cur)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE shop_product (id int)"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, "SELECT count(*) FROM pg_class WHERE relname = 'shop_product' AND relnamespace = 'public'::regnamespace"); n != 1 {
		t.Fatal("an unqualified CREATE TABLE did not land in public")
	}
	if n := count(t, conn, "SELECT count(*) FROM django_migrations"); n != 1 {
		t.Fatalf("django_migrations has %d rows", n)
	}
}

func TestLedgerSchemaFirstInSearchPathIsRefused(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	open(t, conn, newClock())
	if _, err := conn.Exec(ctx, "SET search_path = zdcd_ledger, public"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, conn)
	var ce *CollisionError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "search_path") {
		t.Fatalf("Open = %v, want *CollisionError", err)
	}
}

func TestRoleWithoutCreateGetsAPermissionErrorNamingTheFix(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	admin := connect(t, dsn)
	var dbname string
	if err := admin.QueryRow(ctx, "SELECT current_database()").Scan(&dbname); err != nil {
		t.Fatal(err)
	}
	role := "ledger_" + dbname
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD 'pw-%s'", role, role)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP OWNED BY "+role)
		c.Exec(context.Background(), "DROP ROLE "+role)
	})
	u, _ := url.Parse(dsn)
	u.User = url.UserPassword(role, "pw-"+role)
	conn := connect(t, u.String())

	_, err := Open(ctx, conn)
	var pe *PermissionError
	if !errors.As(err, &pe) || pe.SchemaExists || pe.Role != role || pe.Database != dbname {
		t.Fatalf("Open = %v (%#v), want *PermissionError", err, pe)
	}
	if want := `GRANT CREATE ON DATABASE "` + dbname + `" TO "` + role + `"`; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name the fix %q", err, want)
	}
	if n := count(t, admin, "SELECT count(*) FROM pg_namespace WHERE nspname = 'zdcd_ledger'"); n != 0 {
		t.Fatal("a schema was created anyway")
	}

	// A schema someone else owns, without grants: the fix is a grant on the schema.
	if _, err := admin.Exec(ctx, "CREATE SCHEMA zdcd_ledger"); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, conn)
	if !errors.As(err, &pe) || !pe.SchemaExists || !strings.Contains(err.Error(), `GRANT USAGE, CREATE ON SCHEMA zdcd_ledger TO "`+role+`"`) {
		t.Fatalf("Open = %v, want *PermissionError on the existing schema", err)
	}

	// With the schema handed over (the fix a DBA applies), the role needs no CREATE on the
	// database.
	if _, err := admin.Exec(ctx, "ALTER SCHEMA zdcd_ledger OWNER TO "+role); err != nil {
		t.Fatal(err)
	}
	p, err := Open(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.StartRun(ctx, RunInfo{Command: CommandCheck}); err != nil {
		t.Fatal(err)
	}
}

func TestWritesGiveUpRatherThanWaitBehindALock(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	conn, other := connect(t, dsn), connect(t, dsn)
	p, err := OpenWith(ctx, conn, Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE zdcd_ledger.runs IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = p.StartRun(ctx, RunInfo{Command: CommandRelease})
	if err == nil || !isCode(err, "55P03") {
		t.Fatalf("StartRun = %v, want a lock timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("StartRun waited %s", d)
	}
	tx.Rollback(ctx)
	// The connection is usable afterwards.
	if _, err := p.StartRun(ctx, RunInfo{Command: CommandRelease}); err != nil {
		t.Fatal(err)
	}
}

func TestPutRewritesARunAfterARestore(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	p := open(t, conn, newClock())
	r := refuse(t, p, 3, "s3")
	id, err := p.StartRun(ctx, RunInfo{Command: CommandNightly, ReleaseVersion: 4, SlugID: "s3"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.RecordPlan(ctx, id, sampleResult()); err != nil {
		t.Fatal(err)
	}
	if err := p.RecordStep(ctx, id, Step{Name: "backup", OK: true}); err != nil {
		t.Fatal(err)
	}
	if err := p.RecordApplied(ctx, id, []plan.MigrationKey{{App: "a", Name: "1"}}, []plan.MigrationKey{{App: "a", Name: "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := p.FinishRun(ctx, id, OutcomeRestored, 3, "restored after failure"); err != nil {
		t.Fatal(err)
	}
	want, err := p.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}

	// The restore brings back the ledger as of the backup: the run exists only as started.
	if _, err := conn.Exec(ctx, "DELETE FROM zdcd_ledger.runs WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT setval('zdcd_ledger.runs_id_seq', $1)", r); err != nil {
		t.Fatal(err)
	}
	if err := p.Put(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := p.Put(ctx, want); err != nil { // idempotent
		t.Fatal(err)
	}
	got, err := p.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Fatalf("Put/Run:\n got %+v\nwant %+v", got, want)
	}
	next, err := p.StartRun(ctx, RunInfo{Command: CommandCheck})
	if err != nil {
		t.Fatal(err)
	}
	if next <= id {
		t.Fatalf("a new run got id %d, not after the rewritten %d", next, id)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApprovals(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	p := open(t, conn, newClock())
	a1, err := p.Approve(ctx, Approval{App: "shop", Name: "0007_remove_price", Rule: "remove-field", Reason: "code stopped reading it in v40", ApprovedBy: "alice@example.com",
		Digest: digestOf("0007"), ExpiresAt: tomorrow})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Approve(ctx, Approval{App: "shop", Name: "0007_remove_price", Reason: "reviewed the whole migration", ApprovedBy: "bob",
		Digest: digestOf("0007"), ExpiresAt: tomorrow}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Approve(ctx, Approval{App: "other", Name: "0001", Reason: "x", ApprovedBy: "bob", Digest: digestOf("0001"), ExpiresAt: tomorrow}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Approve(ctx, Approval{App: "shop", Name: "0008"}); err == nil || !strings.Contains(err.Error(), "reason, approved by, digest, expiry") {
		t.Fatalf("an approval without reason was accepted: %v", err)
	}
	got, err := p.ApprovalsFor(ctx, []plan.MigrationKey{{App: "shop", Name: "0007_remove_price"}, {App: "shop", Name: "0009"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Rule != "" || got[0].ApprovedBy != "bob" || got[1].Rule != "remove-field" ||
		got[1].Reason != "code stopped reading it in v40" || got[1].CreatedAt.IsZero() ||
		got[1].Digest != digestOf("0007") || !got[1].ExpiresAt.Equal(tomorrow) || got[1].Source != ApprovalByApprove || got[1].Key() != (plan.MigrationKey{App: "shop", Name: "0007_remove_price"}) {
		t.Fatalf("ApprovalsFor = %+v", got)
	}
	if err := p.Revoke(ctx, a1); err != nil {
		t.Fatal(err)
	}
	if err := p.Revoke(ctx, a1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second revoke = %v", err)
	}
	got, err = p.ApprovalsFor(ctx, []plan.MigrationKey{{App: "shop", Name: "0007_remove_price"}})
	if err != nil || len(got) != 1 || got[0].Rule != "" {
		t.Fatalf("after revoke: %+v, %v", got, err)
	}
	if got, err := p.ApprovalsFor(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("ApprovalsFor(nil) = %v, %v", got, err)
	}
}

func TestParseReleaseVersion(t *testing.T) {
	for in, want := range map[string]int{"v42": 42, "7": 7, " v3 ": 3, "": 0, "vx": 0, "v0": 0, "v-1": 0} {
		got, ok := ParseReleaseVersion(in)
		if got != want || ok != (want > 0) {
			t.Errorf("ParseReleaseVersion(%q) = %d, %v", in, got, ok)
		}
	}
}

func TestFinishAbandoned(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	conn := connect(t, dbURL)
	p := open(t, conn, newClock())
	// A run whose process died: its session is gone. Another still runs on its own session (the
	// nightly flow waiting, unlocked, for the release phase it triggered).
	gone := connect(t, dbURL)
	dead, err := open(t, gone, newClock()).StartRun(ctx, RunInfo{Command: CommandRelease})
	if err != nil {
		t.Fatal(err)
	}
	pid := gone.PgConn().PID()
	if err := gone.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// The backend exits after the client has gone: wait (bounded) until it has.
	for i := 0; ; i++ {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if i == 500 {
			t.Fatalf("backend %d still there after its connection closed", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	alive, err := open(t, connect(t, dbURL), newClock()).StartRun(ctx, RunInfo{Command: CommandNightly})
	if err != nil {
		t.Fatal(err)
	}
	check, err := p.StartRun(ctx, RunInfo{Command: CommandCheck})
	if err != nil {
		t.Fatal(err)
	}
	done := finished(t, p, CommandRelease, 2, "", OutcomeApplied, 0)
	current, err := p.StartRun(ctx, RunInfo{Command: CommandRelease})
	if err != nil {
		t.Fatal(err)
	}
	n, err := p.FinishAbandoned(ctx, current)
	if err != nil || n != 1 {
		t.Fatalf("FinishAbandoned = %d, %v; want 1", n, err)
	}
	for id, want := range map[int64]Outcome{dead: OutcomeInterrupted, alive: "", check: "", done: OutcomeApplied, current: ""} {
		d, err := p.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Outcome != want {
			t.Errorf("run %d outcome %q, want %q", id, d.Outcome, want)
		}
	}
}

func TestConfiguredSecretsAreRedacted(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	const key = "HRKU-0123456789abcdef"
	p, err := OpenWith(ctx, conn, Options{Secrets: []string{key, ""}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := p.StartRun(ctx, RunInfo{Command: CommandRelease})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.RecordStep(ctx, id, Step{Name: "backup", Detail: "curl -H 'Authorization: Bearer " + key + "'"}); err != nil {
		t.Fatal(err)
	}
	if err := p.FinishRun(ctx, id, OutcomeRecoveryFailed, 4, "heroku maintenance:off failed with key "+key); err != nil {
		t.Fatal(err)
	}
	d, err := p.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(d.Error+d.Steps[0].Detail, key) || !strings.Contains(d.Error, "********") {
		t.Fatalf("the API key reached the ledger: %q %q", d.Error, d.Steps[0].Detail)
	}
}

func TestRefusesAConnectionInsideATransaction(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	p := open(t, conn, newClock())
	if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.StartRun(ctx, RunInfo{Command: CommandRelease}); !errors.Is(err, ErrInTransaction) {
		t.Fatalf("StartRun in a transaction = %v", err)
	}
	if _, err := p.History(ctx, 1); !errors.Is(err, ErrInTransaction) {
		t.Fatalf("History in a transaction = %v", err)
	}
	if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.StartRun(ctx, RunInfo{Command: CommandRelease}); err != nil {
		t.Fatal(err)
	}
}

// A release run that could not record its outcome is judged by what django_migrations holds:
// applied when its whole plan is there (superseding earlier refusals as an applied run does),
// interrupted otherwise, naming what is applied; its applied sets are recorded for rollback.
func TestFinishAbandonedJudgesTheAppliedSet(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	conn := connect(t, dbURL)
	p := open(t, conn, newClock())
	if _, err := conn.Exec(ctx, `CREATE TABLE django_migrations (id serial PRIMARY KEY, app text NOT NULL, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now());
		INSERT INTO django_migrations (app, name) VALUES ('base', '0001_initial'), ('x', '0001_a'), ('x', '0002_b'), ('y', '0001_a')`); err != nil {
		t.Fatal(err)
	}
	refused := refuse(t, p, 6, "")
	planned := func(keys ...string) *analysis.Result {
		r := &analysis.Result{Safe: true}
		for _, k := range keys {
			app, name, _ := strings.Cut(k, ".")
			r.Migrations = append(r.Migrations, analysis.MigrationResult{Migration: plan.Migration{App: app, Name: name}, Safe: true, Findings: []analysis.Finding{}})
		}
		return r
	}
	// Three release runs on a session that then goes away, as a killed dyno's would.
	gone := connect(t, dbURL)
	pg := open(t, gone, newClock())
	ids := map[string]int64{}
	for name, res := range map[string]*analysis.Result{
		"whole":   planned("x.0001_a", "x.0002_b"),
		"partial": planned("y.0001_a", "y.0002_b"),
		"none":    planned("z.0001_a"),
	} {
		id, err := pg.StartRun(ctx, RunInfo{Command: CommandRelease, ReleaseVersion: 7})
		if err != nil {
			t.Fatal(err)
		}
		if err := pg.RecordPlan(ctx, id, res); err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	pid := gone.PgConn().PID()
	gone.Close(ctx)
	for i := 0; count(t, conn, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid) != 0; i++ {
		if i == 500 {
			t.Fatalf("backend %d still there after its connection closed", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	current, err := p.StartRun(ctx, RunInfo{Command: CommandRelease})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := p.FinishAbandoned(ctx, current); err != nil || n != 3 {
		t.Fatalf("FinishAbandoned = %d, %v; want 3", n, err)
	}
	for name, want := range map[string]struct {
		outcome Outcome
		applied string
		err     string
	}{
		"whole":   {OutcomeApplied, "x.0001_a, x.0002_b", "every migration it planned is applied (x.0001_a, x.0002_b)"},
		"partial": {OutcomeInterrupted, "y.0001_a", "1 of its 2 planned migrations are applied (y.0001_a)"},
		"none":    {OutcomeInterrupted, "", "none of its planned migrations is applied"},
	} {
		d, err := p.Run(ctx, ids[name])
		if err != nil {
			t.Fatal(err)
		}
		if d.Outcome != want.outcome || !strings.Contains(d.Error, want.err) || d.FinishedAt.IsZero() {
			t.Errorf("%s: outcome %q, error %q, finished %v; want %q, %q", name, d.Outcome, d.Error, d.FinishedAt, want.outcome, want.err)
		}
		if got := plan.JoinKeys(d.Applied()); got != want.applied {
			t.Errorf("%s: applied %q, want %q", name, got, want.applied)
		}
		if len(d.After) != 4 {
			t.Errorf("%s: after %v, want the 4 applied migrations", name, d.After)
		}
	}
	if d, err := p.Run(ctx, refused); err != nil || d.SupersededBy != ids["whole"] {
		t.Errorf("refusal of v6: superseded by %d (%v), want the applied run %d", d.SupersededBy, err, ids["whole"])
	}
}
