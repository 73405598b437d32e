package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
)

// tomorrow is a day after the test clock's start.
var tomorrow = time.Date(2026, 1, 3, 3, 4, 5, 0, time.UTC)

func digestOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func ids(as []Approval) []int64 {
	out := []int64{}
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// openV1 creates a ledger of version 1 only, as a zdcd-release before 0002 left it.
func openV1(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	ms, err := schemaMigrations()
	if err != nil {
		t.Fatal(err)
	}
	p := &Postgres{conn: conn, opts: Options{Now: time.Now, LockTimeout: 2 * time.Second, StatementTimeout: 10 * time.Second}}
	err = p.tx(ctx, 10*time.Second, func(tx pgx.Tx) error {
		if err := p.bootstrap(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, ms[0].SQL); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO zdcd_ledger.schema_version VALUES (1, $1, now())", ms[0].Name)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUpgradeFromVersion1KeepsTheData(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	openV1(t, conn)
	// What a version-1 zdcd-release wrote.
	for _, sql := range []string{
		`INSERT INTO zdcd_ledger.runs (id, command, started_at, release_version, slug_id, verdict, outcome, exit_code)
		 VALUES (1, 'release', '2026-01-01T00:00:00Z', 41, 's41', 'unsafe', 'refused', 3)`,
		`INSERT INTO zdcd_ledger.run_migrations (run_id, position, app, name, file, safe) VALUES (1, 0, 'shop', '0007_remove_price', 'f.py', false)`,
		`INSERT INTO zdcd_ledger.findings (run_id, position, seq, rule, severity, message) VALUES (1, 0, 0, 'remove-field', 'unsafe', 'drops')`,
		`INSERT INTO zdcd_ledger.approvals (app, name, rule, reason, approved_by, created_at)
		 VALUES ('shop', '0007_remove_price', NULL, 'old review', 'alice', '2026-01-01T00:00:00Z')`,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// history of a version-1 ledger, before any upgrade.
	old, ok, err := OpenExisting(ctx, conn, Options{})
	if err != nil || !ok || old.SchemaVersion() != 1 {
		t.Fatalf("OpenExisting v1: %v, %v", ok, err)
	}
	if d, err := old.Run(ctx, 1); err != nil || len(d.Migrations) != 1 || d.Migrations[0].Digest != "" {
		t.Fatalf("Run on a v1 ledger: %+v, %v", d, err)
	}
	if as, err := old.Approvals(ctx, true); err != nil || len(as) != 1 || as[0].Digest != "" {
		t.Fatalf("Approvals on a v1 ledger: %+v, %v", as, err)
	}

	p := open(t, conn, newClock())
	if p.SchemaVersion() != LatestVersion() || LatestVersion() < 2 {
		t.Fatalf("upgraded to %d, latest %d", p.SchemaVersion(), LatestVersion())
	}
	d, err := p.Run(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != OutcomeRefused || d.ReleaseVersion != 41 || len(d.Migrations) != 1 || d.Migrations[0].Digest != "" ||
		len(d.Migrations[0].Findings) != 1 || d.Migrations[0].Findings[0].Rule != "remove-field" {
		t.Fatalf("run after the upgrade: %+v", d)
	}
	if refused := refusedIDs(t, p, time.Time{}); len(refused) != 1 || refused[0] != 1 {
		t.Fatalf("refused after the upgrade: %v", refused)
	}
	all, err := p.Approvals(ctx, true)
	if err != nil || len(all) != 1 || all[0].Reason != "old review" || all[0].Digest != "" || !all[0].ExpiresAt.IsZero() || all[0].Source != "" {
		t.Fatalf("old approval after the upgrade: %+v, %v", all, err)
	}
	// An approval recorded before 0002 names no plan: never in force.
	if got, err := p.ApprovalsFor(ctx, []plan.MigrationKey{d.Migrations[0].Key()}); err != nil || len(got) != 0 {
		t.Fatalf("a pre-0002 approval is in force: %+v, %v", got, err)
	}
	if got, err := p.Approvals(ctx, false); err != nil || len(got) != 0 {
		t.Fatalf("Approvals(in force) lists a pre-0002 approval: %+v, %v", got, err)
	}
	// A version-1 zdcd-release (after a rollback) still writes to the upgraded ledger.
	if _, err := conn.Exec(ctx, `INSERT INTO zdcd_ledger.run_migrations (run_id, position, app, name, file, safe)
		VALUES (1, 1, 'shop', '0008', '', true)`); err != nil {
		t.Fatalf("a version-1 plan write: %v", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO zdcd_ledger.approvals (app, name, rule, reason, approved_by, created_at)
		VALUES ('shop', '0008', NULL, 'r', 'bob', now())`); err != nil {
		t.Fatalf("a version-1 approval write: %v", err)
	}
}

// digestResult is sampleResult with operations, so the digests differ per migration.
func digestResult() *analysis.Result {
	r := sampleResult()
	for i := range r.Migrations {
		m := &r.Migrations[i].Migration
		m.Atomic = true
		m.Operations = []plan.Operation{{Class: "RunSQL", Module: "django.db.migrations.operations.special",
			SQL: []plan.Statement{{SQL: "SELECT " + m.Name}}}}
	}
	return r
}

func TestPlanDigestsAreRecordedAndShown(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	p := open(t, conn, newClock())
	res := digestResult()
	id, err := p.StartRun(ctx, RunInfo{Command: CommandRelease, ReleaseVersion: 8})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.RecordPlan(ctx, id, res); err != nil {
		t.Fatal(err)
	}
	d, err := p.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, m := range d.Migrations {
		want := res.Migrations[i].Migration.Digest()
		if m.Digest != want {
			t.Errorf("%s: digest %q, want %q", m.Key(), m.Digest, want)
		}
		seen[m.Digest] = true
	}
	if len(seen) != len(res.Migrations) {
		t.Errorf("digests are not per migration: %v", seen)
	}

	// Put (after a restore) keeps them.
	d.Migrations[0].Digest = digestOf("rewritten")
	if err := p.Put(ctx, d); err != nil {
		t.Fatal(err)
	}
	if d2, err := p.Run(ctx, id); err != nil || d2.Migrations[0].Digest != digestOf("rewritten") || d2.Migrations[1].Digest != d.Migrations[1].Digest {
		t.Fatalf("after Put: %+v, %v", d2, err)
	}

	var buf bytes.Buffer
	if err := WriteRunText(&buf, d); err != nil {
		t.Fatal(err)
	}
	short := strings.TrimPrefix(d.Migrations[1].Digest, "sha256:")[:12]
	if !strings.Contains(buf.String(), "shop.0007_remove_price  UNSAFE  digest "+short+"\n") {
		t.Errorf("run text lacks the short digest %s:\n%s", short, buf.String())
	}
	if strings.Contains(buf.String(), strings.TrimPrefix(d.Migrations[1].Digest, "sha256:")[:13]) {
		t.Errorf("run text shows more than 12 hex digits:\n%s", buf.String())
	}
	buf.Reset()
	if err := WriteRunJSON(&buf, d); err != nil {
		t.Fatal(err)
	}
	var back Detail
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back.Migrations[1].Digest != d.Migrations[1].Digest {
		t.Fatalf("run JSON: %v\n%s", err, buf.String())
	}
	if ShortDigestLabeled("sha256:0123456789abcdef") != "sha256:0123456789ab" || ShortDigestLabeled("md5:x") != "md5:x" {
		t.Error("ShortDigestLabeled")
	}
	if ShortDigest("sha256:0123456789abcdef") != "0123456789ab" || ShortDigest("md5:x") != "md5:x" {
		t.Errorf("ShortDigest")
	}
}

func TestApprovalsInForce(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	c := newClock()
	p := open(t, conn, c)
	key := plan.MigrationKey{App: "shop", Name: "0007_remove_price"}
	approve := func(a Approval) int64 {
		t.Helper()
		a.App, a.Name, a.Reason, a.ApprovedBy = key.App, key.Name, "reviewed", "alice"
		if a.Digest == "" {
			a.Digest = digestOf("v1")
		}
		id, err := p.Approve(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	start := c.Now()
	inForce := approve(Approval{ExpiresAt: tomorrow, Rule: "remove-field"})
	nightly := approve(Approval{ExpiresAt: tomorrow, Source: ApprovalByNightly, RunID: 12, Digest: digestOf("v2")})
	expiring := approve(Approval{ExpiresAt: start.Add(time.Hour)})
	consumed := approve(Approval{ExpiresAt: tomorrow})
	revoked := approve(Approval{ExpiresAt: tomorrow})
	if err := p.ConsumeApprovals(ctx, []int64{consumed}, 99); err != nil {
		t.Fatal(err)
	}
	if err := p.Revoke(ctx, revoked); err != nil {
		t.Fatal(err)
	}
	// A row without digest (as a version-1 zdcd-release writes it), even with an expiry.
	var digestless int64
	if err := conn.QueryRow(ctx, `INSERT INTO zdcd_ledger.approvals (app, name, reason, approved_by, created_at, expires_at)
		VALUES ($1, $2, 'r', 'old', $3, $4) RETURNING id`, key.App, key.Name, c.Now(), tomorrow).Scan(&digestless); err != nil {
		t.Fatal(err)
	}

	got, err := p.ApprovalsFor(ctx, []plan.MigrationKey{key})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{nightly, expiring, inForce}; !equalIDs(ids(got), want) {
		t.Fatalf("in force = %v, want %v (rule NULLS FIRST, then id)", ids(got), want)
	}
	n := got[0]
	if n.Source != ApprovalByNightly || n.RunID != 12 || n.Digest != digestOf("v2") || !n.ExpiresAt.Equal(tomorrow) ||
		!n.ConsumedAt.IsZero() || n.ConsumedBy != 0 || !n.RevokedAt.IsZero() {
		t.Fatalf("nightly approval read back as %+v", n)
	}

	c.t.Add(int64(2 * time.Hour / time.Second)) // past the expiring one
	got, err = p.ApprovalsFor(ctx, []plan.MigrationKey{key})
	if err != nil || !equalIDs(ids(got), []int64{nightly, inForce}) {
		t.Fatalf("in force after expiry = %v, %v", ids(got), err)
	}
	active, err := p.Approvals(ctx, false)
	if err != nil || !equalIDs(ids(active), []int64{nightly, inForce}) {
		t.Fatalf("Approvals(false) = %v, %v", ids(active), err)
	}
	all, err := p.Approvals(ctx, true)
	if err != nil || !equalIDs(ids(all), []int64{digestless, revoked, consumed, expiring, nightly, inForce}) {
		t.Fatalf("Approvals(true) = %v, %v (want newest first)", ids(all), err)
	}
	for _, a := range all {
		switch a.ID {
		case consumed:
			if a.ConsumedAt.IsZero() || a.ConsumedBy != 99 {
				t.Errorf("consumed approval: %+v", a)
			}
		case revoked:
			if a.RevokedAt.IsZero() {
				t.Errorf("revoked approval: %+v", a)
			}
		case inForce:
			if a.Source != ApprovalByApprove || a.Rule != "remove-field" {
				t.Errorf("approval defaults: %+v", a)
			}
		}
	}
	b, err := json.Marshal(all[len(all)-1])
	if err != nil || strings.Contains(string(b), "consumed_at") || strings.Contains(string(b), "revoked_at") ||
		!strings.Contains(string(b), `"digest":"sha256:`) || !strings.Contains(string(b), `"expires_at":"2026-01-03T03:04:05Z"`) {
		t.Errorf("approval JSON: %s, %v", b, err)
	}
}

func TestConsumeApprovalsIsIdempotent(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	p := open(t, conn, newClock())
	var as []int64
	for _, name := range []string{"0007", "0008"} {
		id, err := p.Approve(ctx, Approval{App: "shop", Name: name, Reason: "r", ApprovedBy: "nightly", Source: ApprovalByNightly,
			Digest: digestOf(name), ExpiresAt: tomorrow})
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, id)
	}
	keys := []plan.MigrationKey{{App: "shop", Name: "0007"}, {App: "shop", Name: "0008"}}
	if err := p.ConsumeApprovals(ctx, as, 5); err != nil {
		t.Fatal(err)
	}
	if err := p.ConsumeApprovals(ctx, append(as, 12345), 6); err != nil {
		t.Fatalf("consuming again: %v", err)
	}
	if err := p.ConsumeApprovals(ctx, nil, 6); err != nil {
		t.Fatalf("consuming nothing: %v", err)
	}
	if err := p.ConsumeApprovals(ctx, as, 0); err == nil {
		t.Fatal("consumed without a run id")
	}
	if got, err := p.ApprovalsFor(ctx, keys); err != nil || len(got) != 0 {
		t.Fatalf("consumed approvals still in force: %+v, %v", got, err)
	}
	all, err := p.Approvals(ctx, true)
	if err != nil || len(all) != 2 {
		t.Fatal(all, err)
	}
	for _, a := range all {
		if a.ConsumedBy != 5 || a.ConsumedAt.IsZero() {
			t.Errorf("approval %d consumed by %d at %v, want the first consumption (run 5)", a.ID, a.ConsumedBy, a.ConsumedAt)
		}
	}
}

func TestLatestPlanOfAndRunByRelease(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	p := open(t, conn, newClock())
	key := plan.MigrationKey{App: "shop", Name: "0007_remove_price"}
	if _, err := p.LatestPlanOf(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LatestPlanOf on an empty ledger: %v", err)
	}
	if _, err := p.RunByRelease(ctx, CommandRelease, 8); !errors.Is(err, ErrNotFound) {
		t.Fatalf("RunByRelease on an empty ledger: %v", err)
	}
	run := func(c Command, v int, r *analysis.Result) int64 {
		t.Helper()
		id, err := p.StartRun(ctx, RunInfo{Command: c, ReleaseVersion: v})
		if err != nil {
			t.Fatal(err)
		}
		if r != nil {
			if err := p.RecordPlan(ctx, id, r); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	first := run(CommandRelease, 8, digestResult())
	changed := digestResult()
	changed.Migrations[1].Migration.Operations[0].SQL[0].SQL = "SELECT 'changed'"
	second := run(CommandRelease, 8, changed)
	nightly := run(CommandNightly, 8, nil)
	run(CommandRelease, 9, nil) // newer, but without the migration in a plan
	other := digestResult()
	other.Migrations = other.Migrations[:1]
	run(CommandRelease, 10, other)

	d, err := p.LatestPlanOf(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != second || len(d.Migrations) != 3 || d.Migrations[1].Digest != changed.Migrations[1].Migration.Digest() {
		t.Fatalf("LatestPlanOf = run %d %+v, want run %d with the changed digest", d.ID, d.Migrations, second)
	}
	if _, err := p.LatestPlanOf(ctx, plan.MigrationKey{App: "shop", Name: "0099"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LatestPlanOf of an unknown migration: %v", err)
	}

	if d, err := p.RunByRelease(ctx, CommandRelease, 8); err != nil || d.ID != second || len(d.Migrations) != 3 {
		t.Fatalf("RunByRelease(release, 8) = %+v, %v; want run %d (first was %d)", d, err, second, first)
	}
	if d, err := p.RunByRelease(ctx, CommandNightly, 8); err != nil || d.ID != nightly {
		t.Fatalf("RunByRelease(nightly, 8) = %+v, %v", d, err)
	}
	if _, err := p.RunByRelease(ctx, CommandNightly, 9); !errors.Is(err, ErrNotFound) {
		t.Fatalf("RunByRelease(nightly, 9) = %v", err)
	}
	if _, err := p.RunByRelease(ctx, CommandRelease, 0); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("RunByRelease(release, 0) = %v", err)
	}
	if _, err := p.RunByRelease(ctx, "deploy", 8); err == nil {
		t.Fatal("RunByRelease accepted an unknown command")
	}
}

func TestApproveValidation(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	p := open(t, conn, newClock())
	valid := Approval{App: "shop", Name: "0007", Reason: "r", ApprovedBy: "alice", Digest: digestOf("x"), ExpiresAt: tomorrow}
	tests := []struct {
		name   string
		change func(a *Approval)
		want   string
	}{
		{"no digest", func(a *Approval) { a.Digest = "" }, "needs digest"},
		{"no expiry", func(a *Approval) { a.ExpiresAt = time.Time{} }, "needs expiry"},
		{"everything missing", func(a *Approval) { *a = Approval{} }, "needs app, migration name, reason, approved by, digest, expiry"},
		{"malformed digest", func(a *Approval) { a.Digest = "abc123" }, "not a plan digest"},
		{"upper-case digest", func(a *Approval) { a.Digest = strings.ToUpper(a.Digest) }, "not a plan digest"},
		{"expired", func(a *Approval) { a.ExpiresAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }, "not later than now"},
		{"unknown source", func(a *Approval) { a.Source = "cron" }, "unknown approval source"},
		{"negative run", func(a *Approval) { a.RunID = -1 }, "run id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := valid
			tt.change(&a)
			if _, err := p.Approve(ctx, a); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Approve = %v, want an error with %q", err, tt.want)
			}
		})
	}
	if n := count(t, conn, "SELECT count(*) FROM zdcd_ledger.approvals"); n != 0 {
		t.Fatalf("refused approvals were recorded: %d", n)
	}
	if _, err := p.Approve(ctx, valid); err != nil {
		t.Fatalf("a valid approval: %v", err)
	}
}
