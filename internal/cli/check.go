package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/judge"
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
	cfg, err := loadConfig(io)
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
	j := newJudge(cfg, io)
	j.Trace = opts.Trace
	a, err := j.Judge(ctx, nil)
	if err != nil {
		return err
	}
	if err := j.JudgeAhead(ctx, a); err != nil {
		return err
	}
	var traced *trace.Result
	if opts.Trace {
		traced, err = j.Replay(ctx, scratch, a, opts.TraceAllowSameDatabase)
		if errors.Is(err, judge.ErrScratchIsProduction) {
			return sameDatabaseError(cfg, scratch)
		}
		if err != nil {
			return err
		}
	}
	wd, _ := io.Getwd()
	ropts := report.Options{Color: io.OutIsTTY && format == report.Text, ProjectDir: absJoin(wd, cfg.ProjectDir), WorkDir: report.RepoRoot(io.Environ, wd)}
	if err := writeCheck(io, format, ropts, a, traced); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if !a.Result.Allowed() || judge.AheadBlocks(a.Result) {
		return errRefused
	}
	return nil
}

// writeCheck writes check's report of a judged plan: in text, which settings module the plan used
// first (the JSON contract and the annotations are unchanged); with --trace, what the trace saw.
func writeCheck(io IO, format report.Format, ropts report.Options, a *judge.Judged, traced *trace.Result) error {
	if format == report.Text {
		if _, err := fmt.Fprintf(io.Out, "%s\n\n", a.SettingsLine()); err != nil {
			return err
		}
	}
	switch {
	case traced != nil && format == report.JSON:
		return writeTracedJSON(io, a.Result, traced)
	case traced != nil:
		if err := report.Render(io.Out, format, a.Result, ropts); err != nil {
			return err
		}
		if _, err := fmt.Fprintln(io.Out); err != nil {
			return err
		}
		return trace.WriteText(io.Out, traced)
	default:
		return report.Render(io.Out, format, a.Result, ropts)
	}
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
// port and database name as the configuration's URL. (judge.Judge.Replay asks the server too.)
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
		"point it at a scratch copy of production (docs/trace.md), or pass --trace-allow-same-database if that is really what you want", cfg.DatabaseVar, judge.Target(u))}
}
