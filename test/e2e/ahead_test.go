package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/herokufake"
)

// herokuRollback does what `heroku rollback vN` does: POST /apps/{app}/releases {"release": id}
// (HEROKU.md §1.6); the local Heroku runs the release phase of the new release with the target's
// slug and config vars. It waits for that release phase.
func (e *hkEnv) herokuRollback(to int) herokufake.ReleaseStatus {
	e.t.Helper()
	target, err := e.srv.Release(e.app, fmt.Sprint(to))
	if err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.base+"/apps/"+e.app+"/releases", strings.NewReader(fmt.Sprintf(`{"release": %q}`, target.ID)))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+hkToken)
	req.Header.Set("Accept", "application/vnd.heroku+json; version=3.sdk")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("heroku rollback v%d: %s", to, resp.Status)
	}
	rels := e.srv.Releases(e.app)
	newest := rels[len(rels)-1]
	if newest.Description != fmt.Sprintf("Rollback to v%d", to) {
		e.t.Fatalf("newest release v%d is %q, not the rollback", newest.Version, newest.Description)
	}
	rel, err := e.srv.WaitRelease(e.app, newest.ID, hkBound)
	if err != nil {
		e.t.Fatal(err)
	}
	e.texts = append(e.texts, rel.Output)
	e.t.Logf("release v%d (%s) %s:\n%s", rel.Version, rel.Description, rel.Status, rel.Output)
	return rel
}

// setVar sets (or, with nil, unsets) a config var, as `heroku config:set` does, and waits for the
// release phase of the release it creates.
func (e *hkEnv) setVar(name string, value *string) herokufake.ReleaseStatus {
	e.t.Helper()
	before := len(e.srv.Releases(e.app))
	if err := e.srv.SetConfigVars(e.app, map[string]*string{name: value}); err != nil {
		e.t.Fatal(err)
	}
	rels := e.srv.Releases(e.app)
	if len(rels) != before+1 {
		e.t.Fatalf("setting %s created %d releases", name, len(rels)-before)
	}
	rel, err := e.srv.WaitRelease(e.app, rels[len(rels)-1].ID, hkBound)
	if err != nil {
		e.t.Fatal(err)
	}
	e.texts = append(e.texts, rel.Output)
	return rel
}

// A Heroku rollback to code older than the schema: v3 applied an approved NOT NULL column
// (accounts.0004_customer_is_vip, add-required-column) that v2's code does not know, so v2's
// code would fail every INSERT into accounts_customer. The rollback's release phase refuses:
// the release fails, v3 stays current, the output names the migration, the release and run that
// applied it, the rule, and `zdcd-release rollback --to v2`; the ledger records the refusal. A
// deploy of older code with a pending migration is refused the same way, its migration not
// applied. Then the way forward works: `zdcd-release rollback --to v2` restores and rolls back,
// and its release phase (v2's code on v2's schema) passes.
func TestHerokuRollbackBehindSchemaRefused(t *testing.T) {
	e := hkStart(t, "zdcd-ahead-refused", nil)
	e.seed()
	v2Dir := e.version(hkKeep("accounts/0003"), nil)
	if rel := e.deploy(v2Dir); rel.Status != "succeeded" {
		t.Fatalf("v2 (a nullable column): %s\n%s", rel.Status, rel.Output)
	}
	v2, _ := e.currentRelease()
	rowsV2, appliedV2 := e.query(hkCustomers), e.query(hkApplied)

	allow := "accounts.0004_customer_is_vip"
	if rel := e.setVar("ZDCD_ALLOW", &allow); rel.Status != "succeeded" {
		t.Fatalf("config change: %s\n%s", rel.Status, rel.Output)
	}
	rel := e.deploy(e.version(hkKeep("accounts/0003", "accounts/0004"), nil))
	if rel.Status != "succeeded" || !strings.Contains(rel.Output, "add-required-column") {
		t.Fatalf("v3 (the approved NOT NULL column): %s\n%s", rel.Status, rel.Output)
	}
	v3 := rel.Version
	var v3Run float64
	for _, run := range e.history("") {
		if run["release_version"] == float64(v3) && run["outcome"] == "applied" {
			v3Run = run["id"].(float64)
		}
	}
	if v3Run == 0 {
		t.Fatalf("no applied run of v%d in the ledger: %v", v3, e.history(""))
	}

	rb := e.herokuRollback(v2)
	if rb.Status != "failed" {
		t.Fatalf("the rollback to v%d's code went live on v%d's schema: %s\n%s", v2, v3, rb.Status, rb.Output)
	}
	if cur, _ := e.currentRelease(); cur != v3 {
		t.Errorf("current release v%d, want v%d kept", cur, v3)
	}
	hkContainsAll(t, "refused rollback", rb.Output,
		fmt.Sprintf("accounts.0004_customer_is_vip applied by v%d (run %d): add-required-column — ", v3, int(v3Run)),
		"approved by ZDCD_ALLOW",
		"Refused: this code cannot run on the database's schema",
		fmt.Sprintf("`zdcd-release rollback --to v%d`", v2),
		fmt.Sprintf("v%d (Rollback to v%d)", rb.Version, v2))
	if strings.Contains(rb.Output, "No migrations to apply.") {
		t.Errorf("the refused release says there is nothing to apply:\n%s", rb.Output)
	}
	if got := e.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts_customer' AND column_name = 'is_vip'`); len(got) != 1 {
		t.Errorf("the refusal changed the schema: is_vip %v", got)
	}
	var refused map[string]any
	for _, run := range e.history("") {
		if run["release_version"] == float64(rb.Version) {
			refused = run
		}
	}
	if refused == nil || refused["outcome"] != "refused" || refused["exit_code"] != float64(1) ||
		!strings.Contains(fmt.Sprint(refused["error"]), "accounts.0004_customer_is_vip applied by v") ||
		!strings.Contains(fmt.Sprint(refused["error"]), "add-required-column") {
		t.Errorf("the ledger's run of v%d: %v", rb.Version, refused)
	}
	// Not for the nightly window: approving would not make v2's code survive the column.
	if refused != nil && refused["superseded_at"] == nil {
		t.Errorf("the refusal waits for the nightly window: %v", refused)
	}

	// `check` on v2's code says the same, in the JSON contract's addition.
	c := e.run(v2Dir, e.directEnv(), "check", "--format", "json")
	var report struct {
		Safe  bool `json:"safe"`
		Ahead []struct {
			App              string `json:"app"`
			Name             string `json:"name"`
			Verdict          string `json:"verdict"`
			Blocks           bool   `json:"blocks"`
			AppliedByRelease int    `json:"applied_by_release"`
			Findings         []struct {
				Rule string `json:"rule"`
			} `json:"findings"`
		} `json:"ahead"`
	}
	if err := json.Unmarshal([]byte(c.stdout), &report); err != nil || c.code != 1 {
		t.Fatalf("check on v%d's code: %v\n%s", v2, err, c)
	}
	if a := report.Ahead; report.Safe || len(a) != 1 || a[0].Name != "0004_customer_is_vip" || a[0].Verdict != "incompatible" || !a[0].Blocks ||
		a[0].AppliedByRelease != v3 || len(a[0].Findings) != 1 || a[0].Findings[0].Rule != "add-required-column" {
		t.Errorf("check's ahead: %+v\n%s", report, c.stdout)
	}

	// Older code with a migration of its own: both judged, refused before anything is applied.
	older := e.deploy(e.version(hkKeep("accounts/0003", "shop/0004"), nil))
	if older.Status != "failed" || !strings.Contains(older.Output, "accounts.0004_customer_is_vip applied by v") {
		t.Fatalf("older code with a pending migration: %s\n%s", older.Status, older.Output)
	}
	if got := e.query(`SELECT name FROM django_migrations WHERE app = 'shop' AND name = '0004_order_coupon_code'`); len(got) != 0 {
		t.Errorf("the refused release applied its pending migration: %v", got)
	}
	if cur, _ := e.currentRelease(); cur != v3 {
		t.Errorf("current release v%d, want v%d kept", cur, v3)
	}

	// The way forward the refusal gave.
	r := e.run("", e.directEnv(), "rollback", "--to", fmt.Sprintf("v%d", v2), "--confirm", e.app)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("Rolled back to v%d's code and backup", v2)) {
		t.Fatalf("zdcd-release rollback --to v%d: %s", v2, r)
	}
	hkEqual(t, "accounts_customer rows", e.query(hkCustomers), rowsV2)
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedV2)
	cur, desc := e.currentRelease()
	if desc != fmt.Sprintf("Rollback to v%d", v2) {
		t.Errorf("current release v%d %q, want a rollback to v%d", cur, desc, v2)
	}
	if out, err := e.srv.Release(e.app, fmt.Sprint(cur)); err != nil || strings.Contains(out.Output, "Schema ahead of code") {
		t.Errorf("the release phase after the restore still sees the schema ahead (%v):\n%s", err, out.Output)
	}
	hkAssertNoSecrets(e)
}

// A Heroku rollback over a backward-compatible migration only: the release phase says the
// schema is ahead but compatible, and the rollback goes live.
func TestHerokuRollbackBehindSchemaCompatible(t *testing.T) {
	e := hkStart(t, "zdcd-ahead-ok", nil)
	base, _ := e.currentRelease()
	rel := e.deploy(e.version(hkKeep("accounts/0003"), nil))
	if rel.Status != "succeeded" {
		t.Fatalf("v%d (a nullable column): %s\n%s", rel.Version, rel.Status, rel.Output)
	}
	var applier float64
	for _, run := range e.history("") {
		if run["release_version"] == float64(rel.Version) && run["outcome"] == "applied" {
			applier = run["id"].(float64)
		}
	}

	rb := e.herokuRollback(base)
	if rb.Status != "succeeded" {
		t.Fatalf("rollback over a compatible migration: %s\n%s", rb.Status, rb.Output)
	}
	if cur, _ := e.currentRelease(); cur != rb.Version {
		t.Errorf("current release v%d, want the rollback v%d", cur, rb.Version)
	}
	want := fmt.Sprintf("Schema ahead of code, but compatible: accounts.0003_customer_phone_ordering (applied by v%d (run %d))", rel.Version, int(applier))
	if !strings.Contains(rb.Output, want) {
		t.Errorf("release output lacks %q:\n%s", want, rb.Output)
	}
	if got := e.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts_customer' AND column_name = 'phone'`); len(got) != 1 {
		t.Errorf("the compatible column is gone: %v", got)
	}
	// A migration neither this code nor the ledger knows (applied by hand): a warning naming it,
	// not a refusal.
	e.exec(`INSERT INTO django_migrations (app, name, applied) VALUES ('accounts', '0099_by_hand', now())`)
	note := "x"
	cfg := e.setVar("ZDCD_NOTE", &note)
	if cfg.Status != "succeeded" || !strings.Contains(cfg.Output, "warning: the database has 1 applied migration(s) this code does not contain and no plan in the ledger judged") ||
		!strings.Contains(cfg.Output, "accounts.0099_by_hand") {
		t.Errorf("config change with an unknown applied migration: %s\n%s", cfg.Status, cfg.Output)
	}
	hkAssertNoSecrets(e)
}
