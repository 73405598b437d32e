package migrate

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/django"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/testenv"
)

func TestConflicts(t *testing.T) {
	// The documentation's table, row by row: X marks a conflict, columns in LockMode order
	// (ACCESS SHARE .. ACCESS EXCLUSIVE).
	matrix := map[analysis.LockMode]string{
		analysis.AccessShare:          ".......X",
		analysis.RowShare:             "......XX",
		analysis.RowExclusive:         "....XXXX",
		analysis.ShareUpdateExclusive: "...XXXXX",
		analysis.Share:                "..XX.XXX",
		analysis.ShareRowExclusive:    "..XXXXXX",
		analysis.Exclusive:            ".XXXXXXX",
		analysis.AccessExclusive:      "XXXXXXXX",
	}
	for a, row := range matrix {
		for i, c := range row {
			b := analysis.LockMode(i + 1)
			t.Run(a.String()+"/"+b.String(), func(t *testing.T) {
				if got, want := Conflicts(a, b), c == 'X'; got != want {
					t.Errorf("Conflicts(%s, %s) = %v, want %v", a, b, got, want)
				}
				if Conflicts(a, b) != Conflicts(b, a) {
					t.Errorf("not symmetric for %s, %s", a, b)
				}
			})
		}
	}
	if Conflicts(analysis.NoLock, analysis.AccessExclusive) || Conflicts(analysis.AccessExclusive, analysis.NoLock) {
		t.Error("NoLock conflicts with something")
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "python manage.py migrate --noinput", want: []string{"python", "manage.py", "migrate", "--noinput"}},
		{in: "  python3\tmanage.py   migrate ", want: []string{"python3", "manage.py", "migrate"}},
		{in: `bin/run 'a b' "c d" e\ f`, want: []string{"bin/run", "a b", "c d", "e f"}},
		{in: `x "a\"b\\c\d" '\n'`, want: []string{"x", `a"b\c\d`, `\n`}},
		{in: `x "" ''`, want: []string{"x", "", ""}},
		{in: "python manage.py migrate --settings=proj.settings_prod", want: []string{"python", "manage.py", "migrate", "--settings=proj.settings_prod"}},
		{in: "", wantErr: "empty"},
		{in: "python manage.py migrate && echo ok", wantErr: "sh -c"},
		{in: "python manage.py migrate; true", wantErr: "sh -c"},
		{in: "python $MANAGE migrate", wantErr: "sh -c"},
		{in: `python "$MANAGE" migrate`, wantErr: "sh -c"},
		{in: "python manage.py migrate > log", wantErr: "sh -c"},
		{in: "python 'manage.py", wantErr: "quote"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := SplitCommand(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("SplitCommand(%q) = %q, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("SplitCommand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestIsLockTimeout(t *testing.T) {
	djangoTail := `Operations to perform:
  Target specific migration: 0002_item_note, from app
Running migrations:
  Applying app.0002_item_note...Traceback (most recent call last):
  File "/usr/lib/python3/dist-packages/django/db/backends/utils.py", line 82, in _execute
    return self.cursor.execute(sql)
psycopg2.errors.LockNotAvailable: canceling statement due to lock timeout


The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "manage.py", line 22, in <module>
    main()
  File "/usr/lib/python3/dist-packages/django/db/backends/utils.py", line 82, in _execute
    return self.cursor.execute(sql)
django.db.utils.OperationalError: canceling statement due to lock timeout`
	localised := strings.ReplaceAll(djangoTail, "canceling statement due to lock timeout", "Anweisung wird abgebrochen wegen Zeitüberschreitung einer Sperre")
	tests := []struct {
		name string
		out  string
		want bool
	}{
		{"django psycopg2", djangoTail, true},
		{"localised message, class name still there", localised, true},
		{"psycopg3", "Traceback (most recent call last):\n  File \"x\"\npsycopg.errors.LockNotAvailable: canceling statement due to lock timeout", true},
		{"statement timeout", strings.ReplaceAll(strings.ReplaceAll(djangoTail, "lock timeout", "statement timeout"), "LockNotAvailable", "QueryCanceled"), false},
		{"deadlock", "Traceback (most recent call last):\n  File \"x\"\npsycopg2.errors.DeadlockDetected: deadlock detected", false},
		{"no traceback", "canceling statement due to lock timeout", false},
		{"only in a source line", "Traceback (most recent call last):\n  File \"m.py\", line 3\n    raise X('canceling statement due to lock timeout')\nValueError: boom", false},
		{"an earlier traceback, then another error", djangoTail + "\nTraceback (most recent call last):\n  File \"x\"\nZeroDivisionError: division by zero", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsLockTimeout(strings.Split(tt.out, "\n")); got != tt.want {
				t.Errorf("IsLockTimeout = %v, want %v", got, tt.want)
			}
		})
	}
	if got := lastException(strings.Split(djangoTail, "\n")); got != "django.db.utils.OperationalError: canceling statement due to lock timeout" {
		t.Errorf("lastException = %q", got)
	}
}

func TestBackoff(t *testing.T) {
	r := &Runner{LockRetryDelay: 500 * time.Millisecond, LockRetryMaxDelay: 3 * time.Second}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}
	for i, w := range want {
		if got := r.backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
}

func TestArgvAndPGOptions(t *testing.T) {
	r := &Runner{Python: "/opt/py/bin/python3", Env: []string{"PGOPTIONS=-c work_mem=64MB", "PATH=/bin"},
		StatementTimeout: 30 * time.Minute}
	args, err := r.argv(&plan.MigrationKey{App: "shop", Name: "0002_x"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/opt/py/bin/python3", "manage.py", "migrate", "--noinput", "shop", "0002_x"}; !reflect.DeepEqual(args, want) {
		t.Errorf("argv = %q, want %q", args, want)
	}
	if got, want := r.pgOptions(100*time.Millisecond, 130000), "-c work_mem=64MB -c lock_timeout=100 -c statement_timeout=1800000 -c application_name=zdcd-migrate"; got != want {
		t.Errorf("PGOPTIONS = %q, want %q", got, want)
	}
	if got := r.pgOptions(0, 150000); !strings.HasSuffix(got, "-c lock_timeout=0 -c statement_timeout=1800000 -c application_name=zdcd-migrate -c client_connection_check_interval=1000") {
		t.Errorf("PGOPTIONS on PostgreSQL 15 = %q", got)
	}
	r.Argv = []string{"custom", "migrate"}
	if args, _ := r.argv(nil); !reflect.DeepEqual(args, []string{"custom", "migrate"}) {
		t.Errorf("argv override = %q", args)
	}
	r.Argv, r.Command = nil, "python manage.py migrate | tee"
	if _, err := r.argv(nil); err == nil || !strings.Contains(err.Error(), "ZDCD_MIGRATE_COMMAND") {
		t.Errorf("bad command: err = %v", err)
	}
}

func TestFromPlanSampleApp(t *testing.T) {
	src := &django.Source{ProjectDir: "../../test/sampleapp", Python: testenv.Python(), Offline: true, PGVersion: 150000,
		Env: []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1", "DATABASE_URL=postgres://u:p@127.0.0.1:1/offline"}}
	pl, err := src.Plan(context.Background())
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	migs := map[string]Migration{}
	for _, m := range FromPlan(pl, analysis.Context{ServerVersion: 150000}) {
		migs[m.Key.String()] = m
	}
	tests := []struct {
		key     string
		locks   map[string]analysis.LockMode
		waits   bool
		indexes string
	}{
		{key: "shop.0007_product_name_index_concurrently", locks: map[string]analysis.LockMode{"shop_product": analysis.ShareUpdateExclusive},
			waits: true, indexes: "[shop_product_name_idx]"},
		{key: "accounts.0005_rename_nickname_display_name", locks: map[string]analysis.LockMode{"accounts_customer": analysis.AccessExclusive}, indexes: "[]"},
		{key: "blog.0003_post_published_index", locks: map[string]analysis.LockMode{"blog_post": analysis.Share}, indexes: "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			m, ok := migs[tt.key]
			if !ok {
				t.Fatalf("%s not planned", tt.key)
			}
			if !reflect.DeepEqual(m.Locks, tt.locks) || m.WaitsByDesign != tt.waits || fmt.Sprint(m.Indexes) != tt.indexes {
				t.Errorf("got locks %v waits %v indexes %v; want %v %v %s", m.Locks, m.WaitsByDesign, m.Indexes, tt.locks, tt.waits, tt.indexes)
			}
		})
	}
}

// A report queued when the command's output ends (the probe's: the guard writes it and exits at
// once) is taken even though done is already closed: watch's select would otherwise pick done
// about half the time and the pre-flight would call a verified command unverified.
func TestGateWatchTakesQueuedReportsAtDone(t *testing.T) {
	want := map[string]string{"lock_timeout": "100ms", "statement_timeout": "30min", "application_name": "zdcd-migrate"}
	for i := 0; i < 200; i++ {
		g := &gate{r: &Runner{}, want: want, probe: true, reports: make(chan SessionReport, 16), verified: map[int]bool{}}
		g.reports <- SessionReport{PID: 42, Alias: "default", After: want, OK: true}
		done := make(chan struct{})
		close(done)
		stopped := false
		g.watch(done, func() { stopped = true })
		if g.first == nil || g.first.PID != 42 || !stopped {
			t.Fatalf("run %d: the queued report was not taken (first=%v, stopped=%v)", i, g.first, stopped)
		}
	}
}
