package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/pgtest"
)

// vipVersion is the sample app with accounts.0004_customer_is_vip (unsafe: add-required-column)
// as its only pending migration once accounts.0003 is applied.
func vipVersion(t *testing.T) (dir, dbURL string) {
	t.Helper()
	dbURL = pgtest.NewDatabase(t)
	dir = sampleWithout(t, "accounts/0005", "shop/0004", "shop/0005", "shop/0006", "shop/0007", "shop/0008",
		"shop/0009", "shop/0010", "shop/0011", "shop/0012", "blog/0002", "blog/0003", "blog/0004", "blog/0005")
	migrateBaseline(t, dir, dbURL)
	manage(t, dir, dbURL, "migrate", "--noinput", "accounts", "0003")
	return dir, dbURL
}

func approvals(t *testing.T, dir string, env []string, all bool) []ledger.Approval {
	t.Helper()
	args := []string{"approve", "--list", "--format", "json"}
	if all {
		args = append(args, "--all")
	}
	r := run(t, dir, env, args...)
	var list []ledger.Approval
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &list) != nil {
		t.Fatalf("approve --list: %s", r)
	}
	return list
}

// A refused migration approved after review ships on the next release; the approval names the
// exact SQL that was judged, is shown in the report, and is listed.
func TestApproveThenRelease(t *testing.T) {
	dir, dbURL := vipVersion(t)
	env := append(baseEnv(dbURL), "ZDCD_BACKUP_DIR="+t.TempDir(), "HEROKU_RELEASE_VERSION=v7")

	r := run(t, dir, env, "release")
	if r.code != 1 {
		t.Fatalf("want the release refused: %s", r)
	}
	// Bad input changes nothing and says what to fix.
	for _, bad := range [][]string{
		{"approve", "accounts.0004_customer_is_vip", "--by", "alice"},
		{"approve", "accounts.0004_customer_is_vip", "--reason", "small table"},
		{"approve", "accounts.0004_customer_is_vip", "--reason", "x", "--by", "a", "--expires", "2000h"},
		{"approve", "accounts.0009_nope", "--reason", "x", "--by", "a"},
		{"approve", "nodot", "--reason", "x", "--by", "a"},
	} {
		r := run(t, dir, env, bad...)
		if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: want exit 2 and one line: %s", bad, r)
		}
	}
	if got := approvals(t, dir, env, true); len(got) != 0 {
		t.Fatalf("bad input recorded approvals: %+v", got)
	}

	r = run(t, dir, env, "approve", "--release", "v7", "--reason", "customers has 40 rows; reviewed", "--by", "alice")
	if r.code != 0 || !strings.Contains(r.stdout, "accounts.0004_customer_is_vip (every rule)") || !strings.Contains(r.stdout, "add-required-column") {
		t.Fatalf("approve: %s", r)
	}
	list := approvals(t, dir, env, false)
	if len(list) != 1 || list[0].ApprovedBy != "alice" || list[0].Source != ledger.ApprovalByApprove || !strings.HasPrefix(list[0].Digest, "sha256:") {
		t.Fatalf("approvals: %+v", list)
	}

	r = run(t, dir, env, "release")
	if r.code != 0 || !strings.Contains(r.stdout, "approved") || !strings.Contains(r.stdout, "Applied 1 migration(s)") {
		t.Fatalf("release after approval: %s", r)
	}
	assertNoSecret(t, r, password(t, dbURL))
	runs := history(t, dir, env)
	if runs[0].Outcome != ledger.OutcomeApplied || runs[0].Verdict != ledger.VerdictApproved {
		t.Errorf("ledger: %+v", runs[0])
	}

	// Revoking: the id must exist.
	if r := run(t, dir, env, "approve", "--revoke", "99"); r.code != 2 {
		t.Errorf("revoke of an unknown id: %s", r)
	}
	if r := run(t, dir, env, "approve", "--revoke", "1"); r.code != 0 || len(approvals(t, dir, env, false)) != 0 {
		t.Errorf("revoke: %s", r)
	}
}

// An approval is for the plan that was reviewed: once the migration's SQL changes, the approval
// no longer covers it and the release is refused again, saying why.
func TestApprovalOfAChangedPlan(t *testing.T) {
	dir, dbURL := vipVersion(t)
	env := append(baseEnv(dbURL), "ZDCD_BACKUP_DIR="+t.TempDir())
	if r := run(t, dir, env, "release"); r.code != 1 {
		t.Fatalf("want the release refused: %s", r)
	}
	if r := run(t, dir, env, "approve", "accounts.0004_customer_is_vip:add-required-column", "--reason", "reviewed", "--by", "bob"); r.code != 0 {
		t.Fatalf("approve: %s", r)
	}
	path := filepath.Join(dir, "accounts", "migrations", "0004_customer_is_vip.py")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(src), "default=False", "default=True", 1)
	if changed == string(src) {
		t.Fatalf("the migration has no default=False to change:\n%s", src)
	}
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, dir, env, "release")
	if r.code != 1 || !strings.Contains(r.stdout, "does not cover it: the migration changed since it was approved") {
		t.Fatalf("want a refusal naming the stale approval: %s", r)
	}
	if got := pendingPlan(t, dir, dbURL); len(got) != 1 {
		t.Errorf("pending after the refusal: %v", got)
	}
}
