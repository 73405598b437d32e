// Package judge is the judgement of a release's pending migrations: connect to the database, ask
// Django for the plan (internal/django), check that Django and zdcd name the same database, build
// what the rules know beside the plan (the rule context: server version, catalog, approvals,
// opt-in rules), and run the rules. `check`, `lint`, `release` and `nightly` all judge through it;
// the release flow takes a *Judge through its own small interface (release.Judge).
//
// It changes nothing: the database is only read, and the Django helper runs with read-only
// transactions.
package judge

import (
	"context"
	"io"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/database"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/trace"
)

// Approvals returns reviewed approvals for a plan's migrations, beside ZDCD_ALLOW (the release
// reads the ledger's).
type Approvals func(ctx context.Context, pl *plan.Plan) ([]analysis.Allow, error)

// Judge judges the pending migrations of the project and database a configuration names.
type Judge struct {
	Config *config.Config
	// Env is the environment the Django helper runs in.
	Env []string
	// Stderr receives what the helper writes to its stderr.
	Stderr io.Writer
	// Trace keeps the statements and claims --trace replays (Judged.Claims).
	Trace bool
}

// Judged is a judged plan: the verdict, the plan, and what the judgement knew.
type Judged struct {
	Result *analysis.Result
	Plan   *plan.Plan
	// Context is what the rules knew beside the plan (the release's runner reads the plan's
	// locks through it). Its Catalog is nil: the connection it read through is closed.
	Context       analysis.Context
	ServerVersion int
	// Applied are the migrations the database has applied, sorted.
	Applied []plan.MigrationKey
	// Identity is the database's database.Identity: the same database whatever the URL says.
	Identity string
	// Claims are the pending migrations' statements with the report's claims (Judge.Trace only).
	Claims []trace.Migration
	// SettingsOrigin says where the plan's settings module came from (Judge.SettingsOrigin).
	SettingsOrigin string
}

// SettingsLine is the line that tells which settings module the plan used.
func (j *Judged) SettingsLine() string {
	return SettingsLine(j.Plan.Settings, j.SettingsOrigin)
}

// SettingsLine is the line that tells which settings module, from which origin, a plan used.
func SettingsLine(module, origin string) string {
	return "Django settings: " + module + " (from " + origin + ")"
}

// Judge connects to the database, asks Django for the pending plan and judges it with the
// configuration's approvals and, when approvals is not nil, those it returns.
func (j *Judge) Judge(ctx context.Context, approvals Approvals) (*Judged, error) {
	cfg := j.Config
	dbURL, err := cfg.RequireDatabase()
	if err != nil {
		return nil, err
	}
	db, err := database.Connect(ctx, dbURL.ConnString(), cfg.DatabaseVar)
	if err != nil {
		return nil, err
	}
	defer db.Close(context.WithoutCancel(ctx))
	out := &Judged{SettingsOrigin: j.SettingsOrigin()}
	if out.ServerVersion, err = db.ServerVersion(ctx); err != nil {
		return nil, err
	}
	if out.Applied, err = db.AppliedMigrations(ctx); err != nil {
		return nil, err
	}
	if out.Identity, err = database.Identity(ctx, db.Conn); err != nil {
		return nil, err
	}
	if out.Plan, err = j.Source(j.Env).Plan(ctx); err != nil {
		return nil, err
	}
	if err := SameDatabase(cfg, out.Plan, out.Applied); err != nil {
		return nil, err
	}
	// The rules may ask the live database about schema and data: read-only, time-bounded.
	if err := j.judge(ctx, out, db.Catalog(ctx, 0), approvals); err != nil {
		return nil, err
	}
	return out, nil
}

// judge builds the rule context of a planned out, with catalog, and runs the rules.
func (j *Judge) judge(ctx context.Context, out *Judged, catalog analysis.Catalog, approvals Approvals) error {
	actx, all, err := Context(out.Plan, j.Config, out.ServerVersion, catalog)
	if err != nil {
		return err
	}
	// No applied migration at all: the first deploy. No release of the app serves from this
	// database, so there is no old code to break.
	actx.Initial = len(out.Applied) == 0
	if approvals != nil && len(out.Plan.Migrations) > 0 {
		more, err := approvals(ctx, out.Plan)
		if err != nil {
			return err
		}
		actx.Allow = append(actx.Allow, more...)
	}
	out.Result = analysis.Analyze(out.Plan, actx, all)
	if j.Trace {
		// The trace compares the server with the report's claims: the same context, catalog
		// included, while its connection is open.
		out.Claims = trace.FromPlan(out.Plan, actx)
	}
	// The catalog's connection closes on return: whoever reads the context later gets none and
	// assumes the worst.
	actx.Catalog = nil
	out.Context = actx
	return nil
}
