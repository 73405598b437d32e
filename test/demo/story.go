package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/herokufake"
)

// deploy builds a version and pushes it: a slug and a release whose release phase runs
// `zdcd-release release`. It prints the release phase's output.
func (d *demo) deploy(v version) (herokufake.ReleaseStatus, error) {
	dir, err := d.build(v)
	if err != nil {
		return herokufake.ReleaseStatus{}, err
	}
	step("git push heroku main   (%s of the sample app: %s)", v.name, v.what)
	r, err := d.fake.Deploy(appName, dir)
	if err != nil {
		return r, err
	}
	d.slugs[v.name] = r.SlugID
	return d.show(r.ID)
}

// show waits for a release and prints its release phase's output.
func (d *demo) show(id string) (herokufake.ReleaseStatus, error) {
	r, err := d.wait(id)
	if err != nil {
		return r, err
	}
	detail("release v%d (%s): release phase ran `zdcd-release release`:", r.Version, r.Description)
	quote(r.Output)
	detail("release v%d: %s", r.Version, r.Status)
	return r, nil
}

// current is the live release.
func (d *demo) current() herokufake.ReleaseStatus {
	for _, r := range d.fake.Releases(appName) {
		if r.Current {
			return r
		}
	}
	return herokufake.ReleaseStatus{}
}

// backups returns the app's successful backups.
func (d *demo) backups() []herokufake.TransferStatus {
	var out []herokufake.TransferStatus
	for _, t := range d.fake.Transfers(appName) {
		if t.Kind == "backup" && t.Succeeded {
			out = append(out, t)
		}
	}
	return out
}

// setNightly sets or unsets NIGHTLY_BUILD, and shows what the release that creates did.
func (d *demo) setNightly(on bool) error {
	var r herokufake.ReleaseStatus
	var err error
	if on {
		step("heroku config:set NIGHTLY_BUILD=true")
		r, err = d.setConfig(map[string]*string{"NIGHTLY_BUILD": ptr("true")})
	} else {
		step("heroku config:unset NIGHTLY_BUILD")
		r, err = d.setConfig(map[string]*string{"NIGHTLY_BUILD": nil})
	}
	if err != nil {
		return err
	}
	detail("A config change is a release too (v%d): Heroku runs its release phase with the live slug,", r.Version)
	detail("whose migrations are all applied already:")
	quote(lastLines(r.Output, 2))
	d.check(r.Status == "succeeded", "release v%d %s: nothing to migrate", r.Version, r.Status)
	return nil
}

func (d *demo) baseline() error {
	header("v1 · The baseline, deployed on an empty database",
		"Release phase applies the app's first migrations, Django's own included. Some of those\n"+
			"(auth's RunPython) zdcd cannot prove safe, but the database has no applied migration: no\n"+
			"release serves from it, nothing can break, so zdcd applies them (after a backup, as always).")
	r, err := d.deploy(v1)
	if err != nil {
		return err
	}
	d.check(r.Status == "succeeded" && r.Current, "release v%d succeeded and is live", r.Version)
	applied, err := d.applied()
	if d.checkNoErr(err, "read django_migrations") {
		d.check(contains(applied, "accounts.0002_customer_nickname", "shop.0001_squashed_0003_order", "blog.0001_initial") &&
			!contains(applied, "accounts.0003_customer_phone_ordering"),
			"the baseline is applied: %s", strings.Join(applied, ", "))
	}

	step("The old code serves traffic: customers, products, orders, posts")
	if err := d.exec(seed); err != nil {
		return fmt.Errorf("seed the database: %w", err)
	}
	s, err := d.snapshot()
	if err != nil {
		return err
	}
	detail("%d customers, %d products (2 without a SKU), %d orders, %d posts, %d tags, %d legacy comments",
		s.n["accounts_customer"], s.n["shop_product"], s.n["shop_order"], s.n["blog_post"], s.n["blog_tag"], s.n["blog_legacycomment"])
	step("heroku ps:scale worker=1")
	if _, err := d.api.Scale(context.Background(), appName, "worker", 1); err != nil {
		return fmt.Errorf("scale worker=1: %w", err)
	}
	f := d.fake.Formation(appName)
	d.check(f["web"] == 1 && f["worker"] == 1, "formation: web=%d worker=%d", f["web"], f["worker"])
	return d.endStep("v1")
}

func (d *demo) safeRelease() error {
	header("Step 1 of 5 · A safe release: applied, after a backup",
		"v2 adds a nullable column. The old code never reads it and its INSERTs leave it NULL, so the\n"+
			"release is backward compatible: zdcd captures a Heroku Postgres backup, then migrates.")
	before := len(d.backups())
	r, err := d.deploy(v2)
	if err != nil {
		return err
	}
	d.check(r.Status == "succeeded" && r.Current, "release v%d succeeded and is live", r.Version)
	d.safe = r.Version
	bs := d.backups()
	if d.check(len(bs) == before+1, "a Heroku Postgres backup was captured before migrating (%d backup(s), %d before)", len(bs), before) {
		d.check(strings.Contains(r.Output, fmt.Sprintf("b%03d", bs[len(bs)-1].Num)), "the release output names it: b%03d", bs[len(bs)-1].Num)
	}
	ok, err := d.hasColumn("accounts_customer", "phone")
	if d.checkNoErr(err, "read the schema") {
		d.check(ok, "accounts_customer.phone exists")
	}
	applied, err := d.applied()
	if d.checkNoErr(err, "read django_migrations") {
		d.check(contains(applied, "accounts.0003_customer_phone_ordering"), "django_migrations records accounts.0003_customer_phone_ordering")
	}
	return d.endStep("step 1")
}

func (d *demo) unsafeRelease() error {
	header("Step 2 of 5 · An unsafe release: refused, the old schema untouched",
		"v3 adds a NOT NULL column (the old code's INSERTs would fail) and an index built with a\n"+
			"write-blocking CREATE INDEX. zdcd refuses it: the release fails, Heroku keeps v2's code live,\n"+
			"and the database is not touched.")
	live := d.current()
	schemaBefore, err := d.schema()
	if err != nil {
		return err
	}
	backupsBefore := len(d.backups())
	r, err := d.deploy(v3)
	if err != nil {
		return err
	}
	d.refused = r.Version
	d.check(r.Status == "failed", "release v%d failed: its release phase exited non-zero, so Heroku did not make it live", r.Version)
	d.check(d.current().Version == live.Version, "release v%d is still the live one", live.Version)
	ok, missing := inOrder(r.Output, "accounts.0004_customer_is_vip", "shop.0004_order_coupon_code", "Refused: 2 of 2")
	d.check(ok, "the output names both unsafe migrations and refuses them%s", missingText(missing))
	schemaAfter, err := d.schema()
	if d.checkNoErr(err, "read the schema") {
		d.check(schemaAfter == schemaBefore, "the schema is untouched: same columns, indexes, constraints and django_migrations")
	}
	for _, c := range [][2]string{{"accounts_customer", "is_vip"}, {"shop_order", "coupon_code"}} {
		ok, err := d.hasColumn(c[0], c[1])
		if d.checkNoErr(err, "read the schema") {
			d.check(!ok, "%s.%s does not exist", c[0], c[1])
		}
	}
	d.check(len(d.backups()) == backupsBefore, "no backup was taken: the refusal comes first")
	runs, err := d.ledger()
	if d.checkNoErr(err, "read the ledger") {
		run, ok := runs.forRelease(r.Version)
		d.check(ok && run.Outcome == "refused" && run.ExitCode == 1, "the ledger records release v%d as refused, exit 1 (run %d)", r.Version, run.ID)
	}
	return d.endStep("step 2")
}

func (d *demo) nightlyRelease() error {
	header("Step 3 of 5 · The nightly window deploys the refused release (zdcd-release nightly)",
		"Heroku Scheduler runs `zdcd-release nightly` in a one-off dyno of the live (old) release. It finds\n"+
			"the refusal in the ledger, switches maintenance mode on, stops the workers, records an approval\n"+
			"of exactly that plan (its SQL's digest), releases the refused slug again — whose release phase\n"+
			"applies it after a backup — checks the dynos, starts the workers and switches maintenance off.")
	before := len(d.backups())
	step("heroku run zdcd-release nightly   (as the Scheduler job runs it)")
	out, err := d.scheduler("nightly")
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		detail("| %s", line)
	}
	d.outputs = append(d.outputs, out)
	d.check(err == nil, "zdcd-release nightly exited 0")
	r := d.current()
	d.check(r.SlugID == d.slugs["v3"], "the live release (v%d) runs release v%d's slug", r.Version, d.refused)
	d.check(len(d.backups()) == before+1, "a backup was captured before migrating")
	for _, c := range [][2]string{{"accounts_customer", "is_vip"}, {"shop_order", "coupon_code"}} {
		ok, err := d.hasColumn(c[0], c[1])
		if d.checkNoErr(err, "read the schema") {
			d.check(ok, "%s.%s exists", c[0], c[1])
		}
	}
	d.check(!d.fake.Maintenance(appName), "maintenance mode is off again")
	d.check(d.fake.Formation(appName)["worker"] == 1, "the worker is back: worker=%d", d.fake.Formation(appName)["worker"])
	runs, err := d.ledger()
	if d.checkNoErr(err, "read the ledger") {
		run, ok := runs.forRelease(r.Version)
		d.check(ok && run.Outcome == "applied", "the ledger records release v%d as applied (run %d, backup %s)", r.Version, run.ID, run.BackupID)
	}
	step("heroku run zdcd-release nightly   (the next night)")
	out, err = d.scheduler("nightly")
	d.outputs = append(d.outputs, out)
	d.check(err == nil && strings.Contains(out, "othing to deploy tonight"), "nothing is left to deploy: %s", strings.TrimSpace(out))
	return d.endStep("step 3")
}

func (d *demo) failingNightly() error {
	header("Step 4 of 5 · A nightly release whose migration fails midway: restored",
		"v4 renames a column, backfills product SKUs (a data migration) and makes SKU NOT NULL, all\n"+
			"unsafe for the old code, so it ships in the nightly window. Its last migration has a bug:\n"+
			"it fails after the others were applied and committed. The old code cannot run on that\n"+
			"schema. Because the plan may break the old release, zdcd switched maintenance mode on and\n"+
			"stopped the workers before the backup, so nothing wrote since: the restore loses no row.")
	if err := d.setNightly(true); err != nil {
		return err
	}
	live := d.current()
	rowsBefore, err := d.snapshot()
	if err != nil {
		return err
	}
	schemaBefore, err := d.schema()
	if err != nil {
		return err
	}
	d.fake.ResetRequests()
	r, err := d.deploy(v4)
	if err != nil {
		return err
	}
	d.check(r.Status == "failed", "release v%d failed: its release phase exited non-zero, so Heroku did not make it live", r.Version)
	d.check(d.current().Version == live.Version, "release v%d is still the live one", live.Version)
	ok, missing := inOrder(r.Output,
		"Maintenance mode on", "worker=1", "Backing up",
		"Applying accounts.0005_rename_nickname_display_name", "Applying shop.0005_backfill_product_sku",
		"division by zero", "Restoring backup", "Restored", "Maintenance mode off")
	d.check(ok, "the output shows: maintenance on, workers stopped, the backup, migrations applied, the failure, restore, maintenance off%s", missingText(missing))

	step("What zdcd asked the local Heroku to do (every request but GETs):")
	var calls []string
	for _, q := range d.fake.Requests() {
		if q.Method == "GET" {
			continue
		}
		c := q.Method + " " + q.Path
		if body := strings.TrimSpace(string(q.Body)); body != "" && !strings.Contains(q.Path, "/restores") {
			c += " " + body
		}
		calls = append(calls, c)
		detail("%s", c)
	}
	all := strings.Join(calls, "\n")
	ok, missing = inOrder(all, `"maintenance":true`, "formation", `"quantity":0`, "/backups", "/restores", "formation", `"quantity":1`, `"maintenance":false`)
	d.check(ok, "in order: maintenance on, worker=0, backup, restore, worker=1, maintenance off%s", missingText(missing))

	step("After the restore")
	rowsAfter, err := d.snapshot()
	if d.checkNoErr(err, "read the rows") {
		var differ []string
		for _, t := range appTables {
			if rowsAfter.rows[t] != rowsBefore.rows[t] {
				differ = append(differ, t)
			}
		}
		d.check(len(differ) == 0, "every row is as before the release: %d rows in %d tables compared column by column%s",
			rowsBefore.total(), len(appTables), listText(" (differ: ", differ, ")"))
	}
	nulls, err := d.texts(`SELECT count(*)::text FROM shop_product WHERE sku IS NULL`)
	if d.checkNoErr(err, "read shop_product") {
		d.check(nulls[0] == "2", "the 2 products without a SKU have none again (the failed release's backfill had set them)")
	}
	schemaAfter, err := d.schema()
	if d.checkNoErr(err, "read the schema") {
		d.check(schemaAfter == schemaBefore, "the schema is v3's again: nickname not renamed, sku nullable, same django_migrations")
	}
	d.check(!d.fake.Maintenance(appName), "maintenance mode is off")
	f := d.fake.Formation(appName)
	d.check(f["worker"] == 1, "the worker is back: worker=%d", f["worker"])
	runs, err := d.ledger()
	if d.checkNoErr(err, "read the ledger") {
		run, ok := runs.forRelease(r.Version)
		d.check(ok && run.Outcome == "restored" && run.ExitCode == 3, "the ledger records release v%d as restored, exit 3 (run %d), although the restore rolled the ledger back too", r.Version, run.ID)
	}
	if err := d.setNightly(false); err != nil {
		return err
	}
	return d.endStep("step 4")
}

func (d *demo) epilogue() error {
	header("The ledger: zdcd-release history",
		"Every release phase run is recorded in the zdcd schema of the app's database.")
	out, err := d.zdcd("history")
	quote(out)
	d.checkNoErr(err, "zdcd-release history")
	leaked := 0
	password := d.cluster.Password
	for _, o := range d.outputs {
		if strings.Contains(o, d.token) || strings.Contains(o, password) {
			leaked++
		}
	}
	d.check(leaked == 0, "no release output holds the API key or the database password (%d outputs read)", len(d.outputs))
	return d.endStep("epilogue")
}

func contains(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, x := range list {
			found = found || x == w
		}
		if !found {
			return false
		}
	}
	return true
}

func missingText(missing string) string {
	if missing == "" {
		return ""
	}
	return fmt.Sprintf(" (missing, or out of order: %q)", missing)
}

func listText(prefix string, list []string, suffix string) string {
	if len(list) == 0 {
		return ""
	}
	return prefix + strings.Join(list, ", ") + suffix
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
