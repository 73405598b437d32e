package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/database"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/report"
	"github.com/zdcd/zdcd/internal/trace"
)

// CheckOptions are the flags of `zdcd-release check`.
type CheckOptions struct {
	Format     string
	ProjectDir string
	// Trace runs each pending atomic migration's statements on the scratch database TraceURL
	// names, inside a transaction it rolls back, and prints the locks, rewrites and scans the
	// server did beside the rules' claims (docs/trace.md).
	Trace bool
	// TraceURL is the scratch database: a restored copy of production, never production itself.
	// A flag rather than a variable: see docs/trace.md.
	TraceURL string
	// TraceAllowSameDatabase lets TraceURL name the database the configuration's URL names.
	TraceAllowSameDatabase bool
}

func runCheck(ctx context.Context, args []string, io IO) error {
	var opts CheckOptions
	fs := newFlags("check", io)
	fs.StringVar(&opts.Format, "format", "text", "report format: text, json or github")
	fs.StringVar(&opts.ProjectDir, "project-dir", "", "the Django project directory, holding manage.py (default $ZDCD_PROJECT_DIR, else .)")
	fs.BoolVar(&opts.Trace, "trace", false, "run the pending atomic migrations on a scratch database (--trace-url) in a transaction rolled back at the end, and print the locks, rewrites and scans observed beside the rules' claims")
	fs.StringVar(&opts.TraceURL, "trace-url", "", "with --trace: the scratch database's postgres:// URL, a restored copy of production (never production itself)")
	fs.BoolVar(&opts.TraceAllowSameDatabase, "trace-allow-same-database", false, "with --trace: let --trace-url name the database DATABASE_URL names (the trace then takes real locks on it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return check(ctx, opts, io)
}

// checkTrace validates the trace flags before anything runs.
func (o CheckOptions) checkTrace(format report.Format) error {
	switch {
	case !o.Trace && o.TraceURL != "":
		return &usageError{msg: "--trace-url is only used with --trace"}
	case !o.Trace && o.TraceAllowSameDatabase:
		return &usageError{msg: "--trace-allow-same-database is only used with --trace"}
	case !o.Trace:
		return nil
	case strings.TrimSpace(o.TraceURL) == "":
		return &usageError{msg: "--trace needs a scratch database: pass --trace-url with the postgres:// URL of a restored copy of production, never production itself (docs/trace.md)"}
	case format == report.GitHub:
		return &usageError{msg: "--trace prints --format text or json, not github"}
	}
	return nil
}

func check(ctx context.Context, opts CheckOptions, io IO) error {
	format, err := report.ParseFormat(opts.Format)
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	if err := opts.checkTrace(format); err != nil {
		return err
	}
	cfg, err := config.Load(io.Environ)
	if err != nil {
		return err
	}
	if opts.ProjectDir != "" {
		cfg.ProjectDir = opts.ProjectDir
	}
	var scratch *config.DatabaseURL
	if opts.Trace {
		if scratch, err = scratchURL(cfg, opts); err != nil {
			return err
		}
	}
	a, err := analyse(ctx, cfg, io, analyseOptions{trace: opts.Trace})
	if err != nil {
		return err
	}
	if err := judgeAhead(ctx, cfg, a); err != nil {
		return err
	}
	res := a.result
	var traced *trace.Result
	if opts.Trace {
		if traced, err = traceScratch(ctx, cfg, opts, scratch, a); err != nil {
			return err
		}
	}
	wd, _ := io.Getwd()
	ropts := report.Options{Color: io.OutIsTTY && format == report.Text, ProjectDir: absJoin(wd, cfg.ProjectDir), WorkDir: report.RepoRoot(io.Environ, wd)}
	if format == report.Text {
		// Which settings module the plan used, first (the JSON contract and the annotations are
		// unchanged).
		if _, err := fmt.Fprintf(io.Out, "%s\n\n", settingsLine(cfg, a.plan.Settings)); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	switch {
	case traced != nil && format == report.JSON:
		err = writeTracedJSON(io, res, traced)
	case traced != nil:
		if err = report.Render(io.Out, format, res, ropts); err == nil {
			if _, err = fmt.Fprintln(io.Out); err == nil {
				err = trace.WriteText(io.Out, traced)
			}
		}
	default:
		err = report.Render(io.Out, format, res, ropts)
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if !res.Allowed() || aheadBlocks(res) {
		return errRefused
	}
	return nil
}

// writeTracedJSON writes the JSON report with one more top-level key, "trace" (an addition to
// the contract, present only with --trace), encoded the way the report is.
func writeTracedJSON(io IO, res *analysis.Result, traced *trace.Result) error {
	doc := struct {
		report.JSONReport
		Trace *trace.Result `json:"trace"`
	}{report.NewJSONReport(res), traced}
	enc := json.NewEncoder(io.Out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// scratchURL parses --trace-url and refuses the production database by its URL: the same host,
// port and database name as the configuration's URL. (traceScratch asks the server too.)
func scratchURL(cfg *config.Config, opts CheckOptions) (*config.DatabaseURL, error) {
	u, err := config.ParseDatabaseURL(opts.TraceURL)
	if err != nil {
		return nil, &usageError{msg: "--trace-url is malformed: " + err.Error()}
	}
	if p := cfg.Database; p != nil && !opts.TraceAllowSameDatabase &&
		strings.EqualFold(p.Host, u.Host) && p.Port == u.Port && p.Database == u.Database {
		return nil, sameDatabaseError(cfg, u)
	}
	return u, nil
}

func sameDatabaseError(cfg *config.Config, u *config.DatabaseURL) error {
	return &usageError{msg: fmt.Sprintf("--trace-url names the same database as %s (%s): --trace runs the migrations' SQL for real and takes the locks they take; "+
		"point it at a scratch copy of production (docs/trace.md), or pass --trace-allow-same-database if that is really what you want", cfg.DatabaseVar, target(u))}
}

// target is "host:port/dbname", never a password.
func target(u *config.DatabaseURL) string {
	return net.JoinHostPort(u.Host, strconv.Itoa(u.Port)) + "/" + u.Database
}

// traceScratch connects to the scratch database, makes sure it is not the production database and
// starts where the plan starts, and traces the plan on it.
func traceScratch(ctx context.Context, cfg *config.Config, opts CheckOptions, u *config.DatabaseURL, a *analysed) (*trace.Result, error) {
	db, err := database.Connect(ctx, u.ConnString(), "--trace-url")
	if err != nil {
		return nil, err
	}
	defer db.Close(context.WithoutCancel(ctx))
	id, err := database.Identity(ctx, db.Conn)
	if err != nil {
		return nil, fmt.Errorf("scratch database at %s: %w", target(u), err)
	}
	if id == a.identity && !opts.TraceAllowSameDatabase {
		return nil, sameDatabaseError(cfg, u)
	}
	applied, err := db.AppliedMigrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("scratch database at %s: %w", target(u), err)
	}
	if err := trace.SameStart(a.applied, applied); err != nil {
		return nil, fmt.Errorf("the scratch database at %s does not start where the plan starts: %w", target(u), err)
	}
	res, err := trace.Run(ctx, db.Conn, a.claims, trace.Options{StatementTimeout: cfg.StatementTimeout})
	if err != nil {
		return nil, fmt.Errorf("trace on the scratch database at %s: %w", target(u), err)
	}
	res.Target = target(u)
	return res, nil
}

// analysed is what analyse found: the verdict, and what --trace needs to replay the plan.
type analysed struct {
	result        *analysis.Result
	plan          *plan.Plan
	serverVersion int
	// applied are the migrations the database has applied, sorted.
	applied []plan.MigrationKey
	// identity is the database's database.Identity: the same database whatever the URL says.
	identity string
	// claims are the pending migrations' statements with the report's claims, for --trace.
	claims []trace.Migration
	// context is what the rules knew beside the plan (the release's runner reads the plan's
	// locks through it).
	context analysis.Context
}

// analyseOptions tune analyse.
type analyseOptions struct {
	// trace keeps the statements and claims --trace replays.
	trace bool
	// approvals, when set, returns reviewed approvals for the plan's migrations beside ZDCD_ALLOW
	// (the release reads the ledger's).
	approvals func(ctx context.Context, pl *plan.Plan) ([]analysis.Allow, error)
}

// analyse connects to the database, asks Django for the pending plan and judges it. It changes
// nothing: the Django helper even runs with read-only transactions.
func analyse(ctx context.Context, cfg *config.Config, io IO, opts analyseOptions) (*analysed, error) {
	dbURL, err := cfg.RequireDatabase()
	if err != nil {
		return nil, err
	}
	db, err := database.Connect(ctx, dbURL.ConnString(), cfg.DatabaseVar)
	if err != nil {
		return nil, err
	}
	defer db.Close(context.WithoutCancel(ctx))
	serverVersion, err := db.ServerVersion(ctx)
	if err != nil {
		return nil, err
	}
	applied, err := db.AppliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	identity, err := database.Identity(ctx, db.Conn)
	if err != nil {
		return nil, err
	}

	pl, err := djangoSource(cfg, io, io.Environ).Plan(ctx)
	if err != nil {
		return nil, err
	}
	if err := sameDatabase(cfg, pl, applied); err != nil {
		return nil, err
	}
	// The rules may ask the live database about schema and data: read-only, time-bounded.
	actx, all, err := analysisContext(pl, cfg, serverVersion, db.Catalog(ctx, 0))
	if err != nil {
		return nil, err
	}
	// No applied migration at all: the first deploy. No release of the app serves from this
	// database, so there is no old code to break.
	actx.Initial = len(applied) == 0
	if opts.approvals != nil && len(pl.Migrations) > 0 {
		more, err := opts.approvals(ctx, pl)
		if err != nil {
			return nil, err
		}
		actx.Allow = append(actx.Allow, more...)
	}
	a := &analysed{result: analysis.Analyze(pl, actx, all), plan: pl, serverVersion: serverVersion, applied: applied, identity: identity, context: actx}
	// The catalog's connection closes on return: whoever reads the context later gets none and
	// assumes the worst.
	a.context.Catalog = nil
	if opts.trace {
		// The trace compares the server with the report's claims: the same context, catalog
		// included, while its connection is open.
		a.claims = trace.FromPlan(pl, actx)
	}
	return a, nil
}

// sameDatabase checks that Django's settings and the database URL zdcd uses name the same
// database, by comparing the applied migrations both see: zdcd must never judge (or, later,
// back up and restore) one database while Django migrates another.
func sameDatabase(cfg *config.Config, pl *plan.Plan, applied []plan.MigrationKey) error {
	django := pl.Applied
	if plan.SameSet(django, applied) {
		return nil
	}
	return &config.Error{
		Var: cfg.DatabaseVar,
		Problem: fmt.Sprintf("names a different database than Django's DATABASES[%q] in %s (Django sees %d applied migrations, %s's database %d): make the settings read %s, or set ZDCD_DATABASE_VAR / ZDCD_DATABASE_ALIAS",
			pl.Alias, pl.Settings, len(django), cfg.DatabaseVar, len(applied), cfg.DatabaseVar),
	}
}
