package django

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
)

// TestPlanAhead: the plan lists the applied migrations this code does not contain (schema ahead
// of code), on the system's Django and on every extra Django. The code is the sample app
// after the baseline with accounts.0004 (applied) and 0005 deleted; django_migrations also holds
// a row of an app the project does not install, recorded last (a newer release's new app), and
// one recorded before everything (an app removed long ago). The squashed shop migration's
// replaced rows are known to the code and must not count.
func TestPlanAhead(t *testing.T) {
	python := testPython()
	want := []plan.Ahead{
		{App: "legacy", Name: "0001_initial", AppInstalled: false, AfterCode: false},
		{App: "accounts", Name: "0004_customer_is_vip", AppInstalled: true, AfterCode: true},
		{App: "billing", Name: "0001_initial", AppInstalled: false, AfterCode: true},
	}
	check := func(t *testing.T, source func(dir, db string) *Source) {
		dir := copySample(t)
		db := pgtest.NewDatabase(t)
		baseline(t, dir, db)
		manage(t, dir, db, "migrate", "--noinput", "accounts", "0004")
		execSQL(t, db, "INSERT INTO django_migrations (id, app, name, applied) VALUES (-5, 'legacy', '0001_initial', now())")
		execSQL(t, db, "INSERT INTO django_migrations (app, name, applied) VALUES ('billing', '0001_initial', now())")

		// Everything applied is this code's: nothing ahead but the two foreign rows.
		p := mustPlan(t, source(dir, db))
		if got := p.Ahead; !reflect.DeepEqual(got, []plan.Ahead{want[0], want[2]}) {
			t.Errorf("ahead with every migration on disk = %+v, want %+v", got, []plan.Ahead{want[0], want[2]})
		}

		// The older code: accounts.0004 and every migration after the baseline but
		// accounts.0003 are not on disk.
		for _, pattern := range []string{"accounts/migrations/000[45]_*.py", "shop/migrations/00[01][0-9]_*.py", "blog/migrations/000[2-5]_*.py"} {
			files, err := filepath.Glob(filepath.Join(dir, pattern))
			if err != nil || len(files) == 0 {
				t.Fatalf("%s: %v %v", pattern, files, err)
			}
			for _, f := range files {
				if b := filepath.Base(f); pattern[:4] == "shop" && b <= "0003_order.py" {
					continue // 0001..0003 and the squashed migration: the baseline
				}
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}
		}
		p = mustPlan(t, source(dir, db))
		if !reflect.DeepEqual(p.Ahead, want) {
			t.Errorf("ahead = %+v\nwant %+v", p.Ahead, want)
		}
		for _, m := range p.Migrations {
			if m.App == "accounts" {
				t.Errorf("%s pending: the code has no such migration", m.Key())
			}
		}
		if !containsKey(p.Applied, "accounts", "0004_customer_is_vip") {
			t.Errorf("applied lacks accounts.0004_customer_is_vip: %v", keyStrings(p.Applied))
		}
	}

	t.Run("system Django", func(t *testing.T) {
		check(t, func(dir, db string) *Source { return newSource(t, dir, db) })
	})
	for _, d := range extraDjangos(t, python) {
		t.Run(d.String(), func(t *testing.T) {
			useDjango(t, d)
			check(t, func(dir, db string) *Source { return djangoSource(t, d, dir, db) })
		})
	}
}
