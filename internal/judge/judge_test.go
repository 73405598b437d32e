package judge

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/testenv"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// sampleApp is the sample Django project; the helper runs with PYTHONDONTWRITEBYTECODE, so
// nothing is written into it.
func sampleApp(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../test/sampleapp")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func env(dbURL string) []string {
	return []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1", "DATABASE_URL=" + dbURL}
}

// baseline applies the sample project's baseline (testenv.SampleBaseline) to a fresh database.
func baseline(t *testing.T, dir string) string {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	for _, target := range testenv.SampleBaseline {
		cmd := exec.Command(testenv.Python(), append([]string{"manage.py", "migrate", "--noinput"}, target...)...)
		cmd.Dir, cmd.Env = dir, env(dbURL)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("manage.py migrate %v: %v\n%s", target, err, out)
		}
	}
	return dbURL
}

func newJudge(t *testing.T, dir, dbURL string) *Judge {
	t.Helper()
	cfg := config.Defaults()
	d, err := config.ParseDatabaseURL(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database, cfg.ProjectDir, cfg.Python = d, dir, testenv.Python()
	return &Judge{Config: cfg, Env: env(dbURL), Stderr: &bytes.Buffer{}}
}

// The sample app's pending migrations are judged unsafe; the approvals the caller returns (the
// release's ledger approvals) allow them, and the judged plan says what the judgement knew.
func TestJudgeWithApprovals(t *testing.T) {
	dir := sampleApp(t)
	dbURL := baseline(t, dir)
	j := newJudge(t, dir, dbURL)
	ctx := context.Background()

	a, err := j.Judge(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Result.Allowed() || a.Result.Initial || len(a.Plan.Migrations) == 0 || len(a.Applied) == 0 || a.Identity == "" || a.ServerVersion < 100000 {
		t.Fatalf("judged plan: allowed=%v initial=%v pending=%d applied=%d identity=%q server=%d",
			a.Result.Allowed(), a.Result.Initial, len(a.Plan.Migrations), len(a.Applied), a.Identity, a.ServerVersion)
	}
	if a.Context.Catalog != nil || a.Claims != nil {
		t.Errorf("the judged plan keeps the closed catalog, or claims without Trace")
	}
	if got, want := a.SettingsLine(), "Django settings: sampleproject.settings (from manage.py)"; got != want {
		t.Errorf("settings line %q, want %q", got, want)
	}

	var asked *plan.Plan
	approveAll := func(_ context.Context, pl *plan.Plan) ([]analysis.Allow, error) {
		asked = pl
		var out []analysis.Allow
		for _, m := range pl.Migrations {
			out = append(out, analysis.Allow{App: m.App, Migration: m.Name, By: analysis.ByLedger, Reason: "reviewed"})
		}
		return out, nil
	}
	j.Trace = true
	approved, err := j.Judge(ctx, approveAll)
	if err != nil {
		t.Fatal(err)
	}
	if asked == nil || len(asked.Migrations) != len(a.Plan.Migrations) || !approved.Result.Allowed() {
		t.Errorf("with every migration approved: asked=%v allowed=%v", asked != nil, approved.Result.Allowed())
	}
	if len(approved.Claims) == 0 {
		t.Errorf("Trace: no claims kept")
	}

	// The judged database given as the scratch one, under another name: refused by its identity.
	same, err := config.ParseDatabaseURL(strings.Replace(dbURL, "127.0.0.1", "localhost", 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Replay(ctx, same, approved, false); !errors.Is(err, ErrScratchIsProduction) {
		t.Errorf("replay on the judged database: got %v, want ErrScratchIsProduction", err)
	}

	failing := errors.New("ledger down")
	if _, err := j.Judge(ctx, func(context.Context, *plan.Plan) ([]analysis.Allow, error) { return nil, failing }); !errors.Is(err, failing) {
		t.Errorf("an approvals error: got %v", err)
	}
}

// Django's DATABASES naming another database than the configuration's URL is a configuration
// error naming the variable: zdcd must not judge one database while Django migrates another.
func TestJudgeDifferentDatabase(t *testing.T) {
	dir := sampleApp(t)
	dbURL := baseline(t, dir)
	j := newJudge(t, dir, dbURL)
	j.Env = env(pgtest.NewDatabase(t)) // Django's settings read this one: empty
	_, err := j.Judge(context.Background(), nil)
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Var != "DATABASE_URL" {
		t.Fatalf("want a configuration error of DATABASE_URL, got %v", err)
	}
}
