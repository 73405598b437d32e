package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/testenv"
)

func migrateBaseline(t testing.TB, dir, databaseURL string) {
	t.Helper()
	for _, target := range testenv.SampleBaseline {
		manage(t, dir, databaseURL, append([]string{"migrate", "--noinput"}, target...)...)
	}
}

// serverVersion normalises the PostgreSQL version, which differs between machines, in golden output.
var serverVersion = regexp.MustCompile(`("server_version": )\d+|PostgreSQL \d+\.\d+`)

func normalise(s string) []byte {
	return []byte(serverVersion.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "PostgreSQL") {
			return "PostgreSQL <version>"
		}
		return `"server_version": 0`
	}))
}

// jsonReport is the contract of DESIGN.md, decoded strictly enough to assert on.
type jsonReport struct {
	Safe          bool `json:"safe"`
	Nightly       bool `json:"nightly"`
	Initial       bool `json:"initial"`
	ServerVersion int  `json:"server_version"`
	Migrations    []struct {
		App      string `json:"app"`
		Name     string `json:"name"`
		File     string `json:"file"`
		Safe     bool   `json:"safe"`
		Findings []struct {
			Rule      string `json:"rule"`
			Severity  string `json:"severity"`
			Operation string `json:"operation"`
			Line      int    `json:"line"`
			Statement string `json:"statement"`
			Message   string `json:"message"`
			Fix       string `json:"fix"`
		} `json:"findings"`
		Operations []struct {
			Operation string   `json:"operation"`
			Line      int      `json:"line"`
			SQL       []string `json:"sql"`
		} `json:"operations"`
	} `json:"migrations"`
}

func decodeReport(t testing.TB, r result) jsonReport {
	t.Helper()
	var rep jsonReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, r)
	}
	return rep
}

// pendingPlan is what `manage.py showmigrations --plan` says is pending, in order.
func pendingPlan(t testing.TB, dir, databaseURL string) []string {
	t.Helper()
	var pending []string
	for _, line := range strings.Split(manage(t, dir, databaseURL, "showmigrations", "--plan"), "\n") {
		if strings.HasPrefix(line, "[ ]  ") {
			pending = append(pending, strings.TrimPrefix(line, "[ ]  "))
		}
	}
	return pending
}

// The JSON of check on the sample app after its baseline is the golden file; every pending
// migration appears, in Django's order; the verdict refuses the unsafe ones with exit 1.
func TestCheckSampleAppJSON(t *testing.T) {
	app := sampleApp(t)
	dbURL := pgtest.NewDatabase(t)
	migrateBaseline(t, app, dbURL)

	r := run(t, app, baseEnv(dbURL), "check", "--format", "json")
	if r.code != 1 {
		t.Fatalf("want exit 1 (unsafe migrations pending):\n%s", r)
	}
	if r.stderr != "" {
		t.Errorf("stderr should be empty with a clean project:\n%s", r.stderr)
	}
	assertNoSecret(t, r, password(t, dbURL))
	golden(t, "check_sample.json", normalise(r.stdout))

	rep := decodeReport(t, r)
	var got []string
	for _, m := range rep.Migrations {
		got = append(got, m.App+"."+m.Name)
	}
	want := pendingPlan(t, app, dbURL)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("pending migrations in the report:\n%v\nwant, as showmigrations --plan orders them:\n%v", got, want)
	}
	if rep.Safe || rep.ServerVersion < 100000 {
		t.Fatalf("release verdict safe=%v server_version=%d", rep.Safe, rep.ServerVersion)
	}
	for _, m := range rep.Migrations {
		if _, err := os.Stat(filepath.Join(app, m.File)); err != nil {
			t.Errorf("%s.%s: file %q is not relative to the project: %v", m.App, m.Name, m.File, err)
		}
		unsafe := false
		for _, f := range m.Findings {
			if f.Rule == "" || f.Message == "" || f.Fix == "" || f.Line == 0 {
				t.Errorf("%s.%s: incomplete finding %+v", m.App, m.Name, f)
			}
			unsafe = unsafe || f.Severity == "unsafe"
		}
		if m.Safe == unsafe {
			t.Errorf("%s.%s: safe=%v with findings %+v", m.App, m.Name, m.Safe, m.Findings)
		}
	}
}

func TestCheckSampleAppText(t *testing.T) {
	app := sampleApp(t)
	dbURL := pgtest.NewDatabase(t)
	migrateBaseline(t, app, dbURL)
	r := run(t, app, baseEnv(dbURL), "check")
	if r.code != 1 {
		t.Fatalf("want exit 1:\n%s", r)
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("colour codes when stdout is not a terminal")
	}
	golden(t, "check_sample.txt", normalise(r.stdout))
}

func TestCheckGitHubAnnotations(t *testing.T) {
	app := sampleApp(t)
	dbURL := pgtest.NewDatabase(t)
	migrateBaseline(t, app, dbURL)
	r := run(t, app, baseEnv(dbURL), "check", "--format", "github")
	if r.code != 1 {
		t.Fatalf("want exit 1:\n%s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	annotation := regexp.MustCompile(`^::(error|warning) file=[a-z]+/migrations/\d{4}_\w+\.py,line=[1-9]\d*,title=[a-z-]+::.+`)
	errors := 0
	for _, l := range lines[:len(lines)-1] {
		if !annotation.MatchString(l) {
			t.Errorf("not an annotation pointing at a migration line: %q", l)
		}
		if strings.HasPrefix(l, "::error") {
			errors++
		}
	}
	if errors == 0 || !strings.HasPrefix(lines[len(lines)-1], "::notice::") {
		t.Errorf("want ::error lines and a ::notice:: summary:\n%s", r.stdout)
	}
}

// On a database where Django never ran, every migration is pending, contrib apps included. It is
// the first deploy: some migrations are unsafe, but no release serves from this database, so the
// verdict allows them (exit 0, "initial": true).
func TestCheckFreshDatabase(t *testing.T) {
	app := sampleApp(t)
	dbURL := pgtest.NewDatabase(t)
	r := run(t, app, baseEnv(dbURL), "check", "--format", "json")
	if r.code != 0 {
		t.Fatalf("want exit 0 (first deploy):\n%s", r)
	}
	rep := decodeReport(t, r)
	if rep.Safe || !rep.Initial {
		t.Errorf("want safe false and initial true on a fresh database: safe=%v initial=%v", rep.Safe, rep.Initial)
	}
	want := pendingPlan(t, app, dbURL)
	if len(rep.Migrations) != len(want) || len(want) < 20 {
		t.Fatalf("report lists %d migrations, showmigrations %d", len(rep.Migrations), len(want))
	}
	// The squashed migration stands in for its originals.
	names := map[string]bool{}
	for _, m := range rep.Migrations {
		names[m.App+"."+m.Name] = true
	}
	if !names["shop.0001_squashed_0003_order"] || names["shop.0001_initial"] {
		t.Errorf("want the squashed shop migration instead of its originals: %v", names)
	}
}

func TestCheckNothingPending(t *testing.T) {
	app := sampleApp(t)
	dbURL := pgtest.NewDatabase(t)
	manage(t, app, dbURL, "migrate", "--noinput")
	r := run(t, app, baseEnv(dbURL), "check")
	// The settings module comes first, also when nothing is pending: "nothing" is only as right
	// as the settings it was computed with.
	if r.code != 0 || r.stdout != "Django settings: sampleproject.settings (from manage.py)\n\nNo pending migrations.\n" {
		t.Fatalf("want exit 0, the settings module and \"No pending migrations.\":\n%s", r)
	}
	r = run(t, app, baseEnv(dbURL), "check", "--format", "json")
	rep := decodeReport(t, r)
	if r.code != 0 || !rep.Safe || rep.Migrations == nil || len(rep.Migrations) != 0 {
		t.Fatalf("want exit 0, safe, migrations []:\n%s", r)
	}
}

// NIGHTLY_BUILD=true approves the unsafe plan: reported as such, exit 0.
func TestCheckNightlyApproves(t *testing.T) {
	app := sampleApp(t)
	dbURL := pgtest.NewDatabase(t)
	migrateBaseline(t, app, dbURL)
	r := run(t, app, append(baseEnv(dbURL), "NIGHTLY_BUILD=true"), "check", "--format", "json")
	rep := decodeReport(t, r)
	if r.code != 0 || !rep.Nightly || rep.Safe {
		t.Fatalf("want exit 0 with nightly=true and safe=false:\n%s", r)
	}
}

// snapshot is the state of a database check must never change: its tables and applied migrations.
func snapshot(t testing.TB, databaseURL string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var s string
	err = conn.QueryRow(ctx, `SELECT coalesce(string_agg(c.relname || ':' || c.relkind::text || ':' || coalesce(a.cols, ''), ',' ORDER BY c.relname), '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN LATERAL (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || ' ' || attnotnull, ';' ORDER BY attnum) AS cols
			FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) a ON true
		WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	var applied int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM django_migrations").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s|applied=%d", s, applied)
}

// pythonWithoutDjango writes an interpreter wrapper that cannot import django (no site-packages).
func pythonWithoutDjango(t testing.TB, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexec "+python()+" -S \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every bad input: one line on stderr naming the culprit and the fix, exit 2, nothing on stdout,
// no password anywhere, and the database unchanged.
func TestCheckBadInput(t *testing.T) {
	app := sampleApp(t)
	dbURL := pgtest.NewDatabase(t)
	migrateBaseline(t, app, dbURL)
	before := snapshot(t, dbURL)
	secret := password(t, dbURL)

	u, _ := url.Parse(dbURL)
	unreachable := *u
	unreachable.Host = "127.0.0.1:1"

	broken := copySampleApp(t)
	brokenFile := filepath.Join(broken, "shop", "migrations", "0012_order_total.py")
	src, err := os.ReadFile(brokenFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	lines[2] = "def broken(:" // line 3
	if err := os.WriteFile(brokenFile, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}

	noDjango := t.TempDir()
	pythonWithoutDjango(t, noDjango, "python")
	pythonWithoutDjango(t, noDjango, "python3")
	explicit := pythonWithoutDjango(t, t.TempDir(), "py")

	withEnv := func(env []string, kv ...string) []string {
		out := []string{}
		for _, e := range env {
			keep := true
			for _, k := range kv {
				if strings.HasPrefix(e, strings.SplitN(k, "=", 2)[0]+"=") {
					keep = false
				}
			}
			if keep {
				out = append(out, e)
			}
		}
		for _, k := range kv {
			if strings.Contains(k, "=") {
				out = append(out, k)
			}
		}
		return out
	}
	base := baseEnv(dbURL)

	tests := []struct {
		name string
		dir  string
		env  []string
		args []string
		want []string
	}{
		{"no manage.py", t.TempDir(), base, nil,
			[]string{"no manage.py in", "ZDCD_PROJECT_DIR"}},
		{"explicit python without django", app, withEnv(base, "ZDCD_PYTHON="+explicit), nil,
			[]string{explicit, "cannot import django", "ZDCD_PYTHON"}},
		{"no python on PATH can import django", app, withEnv(base, "ZDCD_PYTHON", "PATH="+noDjango+":/usr/bin:/bin"), nil,
			[]string{"python", "python3", "ZDCD_PYTHON"}},
		{"settings fail to import", app, withEnv(base, "DJANGO_SETTINGS_MODULE=sampleproject.missing"), nil,
			[]string{"sampleproject.missing", "ModuleNotFoundError: No module named 'sampleproject.missing'"}},
		{"migration with a syntax error", broken, base, nil,
			[]string{"shop/migrations/0012_order_total.py", "line 3", "SyntaxError"}},
		{"database unreachable", app, withEnv(base, "DATABASE_URL="+unreachable.String()), nil,
			[]string{"cannot connect to the database at 127.0.0.1:1/", "DATABASE_URL", "connection refused"}},
		{"malformed DATABASE_URL", app, withEnv(base, "DATABASE_URL=postgres://bob:"+secret+"@db:port/x"), nil,
			[]string{"DATABASE_URL is malformed", "port"}},
		{"DATABASE_URL unset", app, withEnv(base, "DATABASE_URL"), nil,
			[]string{"DATABASE_URL is not set"}},
		{"unknown --format", app, base, []string{"--format", "xml"},
			[]string{`unknown --format "xml"`, "text, json or github"}},
		{"unknown flag", app, base, []string{"--frobnicate"},
			[]string{"frobnicate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.dir, tt.env, append([]string{"check"}, tt.args...)...)
			if r.code != 2 {
				t.Fatalf("want exit 2:\n%s", r)
			}
			if r.stdout != "" {
				t.Errorf("stdout must be empty on an error:\n%s", r)
			}
			msg := strings.TrimSpace(r.stderr)
			if tt.name != "unknown flag" && strings.Count(msg, "\n") != 0 {
				t.Errorf("want one line on stderr:\n%s", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("stderr %q does not contain %q", msg, w)
				}
			}
			assertNoSecret(t, r, secret)
			if after := snapshot(t, dbURL); after != before {
				t.Errorf("the database changed")
			}
		})
	}
}
