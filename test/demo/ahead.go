package main

import (
	"context"
	"fmt"
)

// herokuRollback is what a human does after step 3: `heroku rollback` to the release before the
// nightly window's. Heroku runs the release phase of the rollback with v2's slug, whose code
// lacks the NOT NULL column the window applied: zdcd judges that schema-ahead-of-code from the
// ledger and refuses, so the live release stays.
func (d *demo) herokuRollback() error {
	header("Step 5 of 5 · heroku rollback behind the schema: refused",
		"Someone runs `heroku rollback` to the release of step 1. Heroku releases its slug again and\n"+
			"runs its release phase. That code lacks the NOT NULL column the nightly window applied, so its\n"+
			"INSERTs would fail: zdcd finds the applied migration the code does not contain, reads in the\n"+
			"ledger what it judged of it, refuses (Heroku keeps the live release) and names the way forward,\n"+
			"`zdcd-release rollback`, which restores the backup taken before it.")
	live := d.current()
	schemaBefore, err := d.schema()
	if err != nil {
		return err
	}
	step("heroku rollback v%d", d.safe)
	r, err := d.api.Rollback(context.Background(), appName, fmt.Sprint(d.safe))
	if err != nil {
		return fmt.Errorf("heroku rollback v%d: %w", d.safe, err)
	}
	got, err := d.show(r.ID)
	if err != nil {
		return err
	}
	d.check(got.Status == "failed", "release v%d (Rollback to v%d) failed: its release phase refused", got.Version, d.safe)
	d.check(d.current().Version == live.Version, "release v%d is still the live one", live.Version)
	ok, missing := inOrder(got.Output, "Schema ahead of code", "accounts.0004_customer_is_vip applied by", "add-required-column",
		fmt.Sprintf("zdcd-release rollback --to v%d", d.safe))
	d.check(ok, "the output names the migration, the ledger's rule and `zdcd-release rollback --to v%d`%s", d.safe, missingText(missing))
	schemaAfter, err := d.schema()
	if d.checkNoErr(err, "read the schema") {
		d.check(schemaAfter == schemaBefore, "the schema is untouched")
	}
	runs, err := d.ledger()
	if d.checkNoErr(err, "read the ledger") {
		run, ok := runs.forRelease(got.Version)
		d.check(ok && run.Outcome == "refused" && run.ExitCode == 1, "the ledger records release v%d as refused, exit 1 (run %d)", got.Version, run.ID)
	}
	return d.endStep("step 5")
}
