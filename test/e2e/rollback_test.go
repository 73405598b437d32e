package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/herokufake"
)

// currentRelease is the app's live release in the local Heroku.
func (e *hkEnv) currentRelease() (version int, description string) {
	e.t.Helper()
	for _, r := range e.srv.Releases(e.app) {
		if r.Current {
			version, description = r.Version, r.Description
		}
	}
	if version == 0 {
		e.t.Fatal("no current release")
	}
	return version, description
}

// Rolling back over backward-compatible migrations only changes the code: no restore, no
// maintenance mode, the migrations stay. Without --confirm nothing happens at all.
func TestRollbackWithoutRestore(t *testing.T) {
	e := hkStart(t, "zdcd-rb-plain", nil)
	base, _ := e.currentRelease()
	if rel := e.deploy(e.version(hkKeep("accounts/0003"), nil)); rel.Status != "succeeded" {
		t.Fatalf("safe release: %s", rel.Status)
	}
	top, _ := e.currentRelease()

	dry := e.run("", e.directEnv(), "rollback")
	if dry.code != 0 || !strings.Contains(dry.stdout, fmt.Sprintf("v%d (current) → v%d", top, base)) ||
		!strings.Contains(dry.stdout, "All of them are backward compatible") || !strings.Contains(dry.stdout, "Dry run: nothing was changed") {
		t.Fatalf("dry run: %s", dry)
	}
	if v, _ := e.currentRelease(); v != top {
		t.Fatalf("the dry run released v%d", v)
	}
	if bad := e.run("", e.directEnv(), "rollback", "--confirm", "another-app"); bad.code != 2 {
		t.Errorf("a wrong --confirm: %s", bad)
	}

	r := e.run("", e.directEnv(), "rollback", "--confirm", e.app)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("Rolled back to v%d's code.", base)) {
		t.Fatalf("rollback: %s", r)
	}
	if _, desc := e.currentRelease(); desc != fmt.Sprintf("Rollback to v%d", base) {
		t.Errorf("current release %q, want a rollback to v%d", desc, base)
	}
	if got := e.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts_customer' AND column_name = 'phone'`); len(got) != 1 {
		t.Errorf("the compatible column is gone: %v", got)
	}
	if len(e.transfers("restore")) != 0 || len(e.srv.RequestsMatching("PATCH", "/apps/*")) != 0 {
		t.Error("a rollback without restore touched maintenance mode or restored")
	}
	// The rollback is recorded; so is the release phase of the rollback release (the old code's,
	// nothing pending).
	var sawRollback bool
	for _, run := range e.history("") {
		sawRollback = sawRollback || (run["command"] == "rollback" && run["outcome"] == "rolled-back")
	}
	if !sawRollback {
		t.Errorf("ledger has no rolled-back run: %v", e.history(""))
	}
	hkAssertNoSecrets(e)
}

// Rolling back over a migration the old code cannot run against restores the backup taken before
// it, behind maintenance mode with the workers stopped; the rows are as before, and the ledger
// keeps the runs the restore rolled back. The restore ends the database's sessions, zdcd's own
// included: it reconnects.
func TestRollbackWithRestore(t *testing.T) {
	e := hkStartWith(t, "zdcd-rb-restore", nil, func(o *herokufake.Options) { o.RestoreEndsSessions = true })
	e.seed()
	base, _ := e.currentRelease()
	rowsBefore, appliedBefore := e.query(hkCustomers), e.query(hkApplied)

	nightly := "true"
	if err := e.srv.SetConfigVars(e.app, map[string]*string{"NIGHTLY_BUILD": &nightly}); err != nil {
		t.Fatal(err)
	}
	if rel := e.deploy(e.version(hkKeep("accounts/0003", "accounts/0004"), nil)); rel.Status != "succeeded" {
		t.Fatalf("nightly release: %s\n%s", rel.Status, rel.Output)
	}
	if err := e.srv.SetConfigVars(e.app, map[string]*string{"NIGHTLY_BUILD": nil}); err != nil {
		t.Fatal(err)
	}
	top, _ := e.currentRelease()
	backups := e.transfers("backup")
	if len(backups) == 0 {
		t.Fatal("the release took no backup")
	}
	name := fmt.Sprintf("b%03d", backups[len(backups)-1].Num)

	to := fmt.Sprintf("v%d", base)
	dry := e.run("", e.directEnv(), "rollback", "--to", to)
	hkContainsAll(t, "dry run", dry.stdout, fmt.Sprintf("v%d (current) → v%d", top, base),
		"accounts.0004_customer_is_vip", "restore backup "+name, "EVERYTHING WRITTEN TO THE DATABASE SINCE THAT BACKUP IS LOST", "Dry run")
	if dry.code != 0 || len(e.transfers("restore")) != 0 {
		t.Fatalf("dry run: %s", dry)
	}

	r := e.run("", e.directEnv(), "rollback", "--to", to, "--confirm", e.app)
	if r.code != 0 {
		t.Fatalf("rollback: %s", r)
	}
	hkContainsAll(t, "rollback", r.stdout, "Maintenance mode on.", "Restoring backup "+name, "Maintenance mode off.", "Rolled back to v"+fmt.Sprint(base)+"'s code and backup "+name)
	hkEqual(t, "accounts_customer rows", e.query(hkCustomers), rowsBefore)
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
	if e.srv.Maintenance(e.app) {
		t.Error("maintenance mode left on")
	}
	if f := e.srv.Formation(e.app); f["worker"] != 2 {
		t.Errorf("formation %v, want worker=2 again", f)
	}
	if _, desc := e.currentRelease(); desc != "Rollback to "+to {
		t.Errorf("current release %q", desc)
	}
	// The ledger still has the release the rollback undid, and the rollback itself.
	var sawRelease, sawRollback bool
	for _, run := range e.history("") {
		if run["command"] == "release" && run["outcome"] == "applied" && run["backup_id"] == name {
			sawRelease = true
		}
		if run["command"] == "rollback" && run["outcome"] == "rolled-back" {
			sawRollback = true
		}
	}
	if !sawRelease || !sawRollback {
		t.Errorf("ledger after the restore: release kept %v, rollback recorded %v: %v", sawRelease, sawRollback, e.history(""))
	}
	hkAssertNoSecrets(e)
}
