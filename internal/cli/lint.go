package cli

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/judge"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/report"
	"github.com/zdcd/zdcd/internal/sqlfiles"
)

// LintOptions are the flags and arguments of `zdcd-release lint`.
type LintOptions struct {
	Format     string
	PGVersion  string
	Since      string
	ProjectDir string
	// Paths are .sql files or directories of them; none means the Django project's migrations.
	Paths []string
}

func runLint(ctx context.Context, args []string, io IO) error {
	var opts LintOptions
	fs := newFlags("lint", io)
	fs.StringVar(&opts.Format, "format", "text", "report format: text, json or github")
	fs.StringVar(&opts.PGVersion, "pg-version", "", "PostgreSQL version of the target server: 15, 15.4 or 150004 (default: unknown, assume the worst)")
	fs.StringVar(&opts.Since, "since", "", "lint only migrations changed since this git ref (e.g. origin/main), judged as one release")
	fs.StringVar(&opts.ProjectDir, "project-dir", "", "the Django project directory (default $ZDCD_PROJECT_DIR, else .)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: zdcd-release lint [flags] [FILE.sql|DIR ...]")
		fmt.Fprintln(fs.Output(), "Without paths: the Django project's migrations, without a database. Flags:")
		fs.PrintDefaults()
	}
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	opts.Paths = paths
	return lint(ctx, opts, io)
}

func lint(ctx context.Context, opts LintOptions, io IO) error {
	format, err := report.ParseFormat(opts.Format)
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	version, err := parsePGVersion(opts.PGVersion)
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	cfg, err := loadConfig(io)
	if err != nil {
		return err
	}
	if opts.ProjectDir != "" {
		cfg.ProjectDir = opts.ProjectDir
	}
	wd, err := io.Getwd()
	if err != nil {
		return err
	}
	pl, base, err := lintPlan(ctx, cfg, opts, io, wd)
	if err != nil {
		return err
	}
	var res *analysis.Result
	if opts.Since != "" {
		// The changed migrations ship together: one release.
		res, err = judge.Plan(pl, cfg, version, nil)
	} else {
		res, err = judge.Each(pl, cfg, version)
	}
	if err != nil {
		return err
	}
	if err := report.Render(io.Out, format, res, report.Options{Color: io.OutIsTTY && format == report.Text, ProjectDir: base, WorkDir: report.RepoRoot(io.Environ, wd)}); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if !res.Allowed() {
		return errRefused
	}
	return nil
}

// lintPlan is the plan lint judges: the SQL files given, or the Django project's own
// migrations; with --since, only those changed since the ref. base is the directory the plan's
// files are relative to.
func lintPlan(ctx context.Context, cfg *config.Config, opts LintOptions, io IO, wd string) (pl *plan.Plan, base string, err error) {
	base = wd
	if len(opts.Paths) > 0 {
		if pl, err = sqlfiles.Load(opts.Paths); err != nil {
			return nil, "", err
		}
	} else {
		if pl, err = newJudge(cfg, io).OfflinePlan(ctx); err != nil {
			return nil, "", err
		}
		base = absJoin(wd, cfg.ProjectDir)
		// The project's own migrations: installed apps' (django.contrib, packages) are not
		// the project's to change, and their files lie outside it (absolute paths).
		own := pl.Migrations[:0]
		for _, m := range pl.Migrations {
			if !filepath.IsAbs(m.File) {
				own = append(own, m)
			}
		}
		pl.Migrations = own
	}
	if opts.Since == "" {
		return pl, base, nil
	}
	changed, err := changedSince(wd, opts.Since)
	if err != nil {
		return nil, "", err
	}
	keep := pl.Migrations[:0]
	for _, m := range pl.Migrations {
		if changed[absJoin(base, m.File)] {
			keep = append(keep, m)
		}
	}
	pl.Migrations = keep
	return pl, base, nil
}

// parsePGVersion reads "15", "15.4", "9.6", "9.6.24" or "150004" as server_version_num.
func parsePGVersion(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	bad := fmt.Errorf("--pg-version %q: use a PostgreSQL version like 15, 15.4 or 150004", s)
	parts := strings.Split(s, ".")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return 0, bad
		}
		nums[i] = n
	}
	switch {
	case len(nums) == 1 && nums[0] >= 90000:
		return nums[0], nil
	case len(nums) == 1 && nums[0] >= 10 && nums[0] < 100:
		return nums[0] * 10000, nil
	case len(nums) == 2 && nums[0] >= 10 && nums[0] < 100:
		return nums[0]*10000 + nums[1], nil
	case len(nums) >= 2 && nums[0] == 9:
		v := 90000 + nums[1]*100
		if len(nums) == 3 {
			v += nums[2]
		}
		return v, nil
	}
	return 0, bad
}

// changedSince lists the files changed since ref (committed, staged, unstaged and untracked), as
// absolute paths.
func changedSince(wd, ref string) (map[string]bool, error) {
	top, err := git(wd, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("--since needs a git repository: %v", err)}
	}
	top = strings.TrimSpace(top)
	if _, err := git(wd, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
		return nil, &usageError{msg: fmt.Sprintf("--since %q: no such commit in this repository (fetch it first, e.g. git fetch origin main)", ref)}
	}
	diff, err := git(wd, "diff", "--name-only", "--no-renames", ref)
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("--since %q: %v", ref, err)}
	}
	untracked, err := git(wd, "ls-files", "--others", "--exclude-standard", "--full-name")
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("--since %q: %v", ref, err)}
	}
	changed := map[string]bool{}
	for _, f := range strings.Fields(diff + "\n" + untracked) {
		changed[filepath.Join(top, f)] = true
	}
	return changed, nil
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", args[0], msg)
	}
	return out.String(), nil
}

func absJoin(base, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}
