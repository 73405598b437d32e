package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/database"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/plan"
)

// Approval expiry bounds: an approval is for a plan about to ship, not a standing exemption.
const (
	defaultApprovalExpiry = 72 * time.Hour
	maxApprovalExpiry     = 30 * 24 * time.Hour
)

// ApproveOptions are the flags of `zdcd-release approve`.
type ApproveOptions struct {
	// Targets are app.migration or app.migration:rule.
	Targets []string
	// Release approves every unsafe migration of the release phase run of that Heroku release
	// version ("v42" or "42").
	Release string
	Reason  string
	By      string
	Expires time.Duration
	List    bool
	All     bool
	Revoke  int64
	Format  string
}

func runApprove(ctx context.Context, args []string, io IO) error {
	opts := ApproveOptions{Expires: defaultApprovalExpiry}
	fs := newFlags("approve", io)
	fs.StringVar(&opts.Release, "release", "", "approve every unsafe migration the release phase of this Heroku release (v42) refused")
	fs.StringVar(&opts.Reason, "reason", "", "why the risk is acceptable (required): e.g. \"orders has 2,000 rows; the lock lasts milliseconds\"")
	fs.StringVar(&opts.By, "by", "", "who reviewed it (required): a name or an email")
	fs.DurationVar(&opts.Expires, "expires", defaultApprovalExpiry, "how long the approval holds (at most 720h)")
	fs.BoolVar(&opts.List, "list", false, "list the approvals in force")
	fs.BoolVar(&opts.All, "all", false, "with --list: also the expired, consumed and revoked ones")
	fs.Int64Var(&opts.Revoke, "revoke", 0, "withdraw the approval with this id")
	fs.StringVar(&opts.Format, "format", "text", "with --list: text or json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: zdcd-release approve (APP.MIGRATION[:RULE]... | --release vN) --reason TEXT --by NAME [--expires 72h]")
		fmt.Fprintln(fs.Output(), "       zdcd-release approve --list [--all] [--format text|json]")
		fmt.Fprintln(fs.Output(), "       zdcd-release approve --revoke ID")
		fs.PrintDefaults()
	}
	targets, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	opts.Targets = targets
	if err := opts.validate(); err != nil {
		return err
	}
	return approve(ctx, opts, io)
}

func (o ApproveOptions) validate() error {
	switch {
	case o.Format != "text" && o.Format != "json":
		return &usageError{msg: fmt.Sprintf("unknown --format %q: use text or json", o.Format)}
	case o.List || o.Revoke != 0:
		if len(o.Targets) > 0 || o.Release != "" || (o.List && o.Revoke != 0) {
			return &usageError{msg: "approve: --list and --revoke take no migrations, no --release, and not each other"}
		}
		return nil
	case len(o.Targets) == 0 && o.Release == "":
		return &usageError{msg: "approve: name the migrations (app.migration[:rule]) or --release vN; `zdcd-release history` lists the refused releases"}
	case len(o.Targets) > 0 && o.Release != "":
		return &usageError{msg: "approve: give migrations or --release, not both"}
	case strings.TrimSpace(o.Reason) == "":
		return &usageError{msg: "approve: --reason is required: say why the risk is acceptable, for whoever reads the ledger later"}
	case strings.TrimSpace(o.By) == "":
		return &usageError{msg: "approve: --by is required: who reviewed the migration"}
	case o.Expires <= 0 || o.Expires > maxApprovalExpiry:
		return &usageError{msg: fmt.Sprintf("approve: --expires %s: use a duration between 1m and 720h (an approval is for a plan about to ship)", o.Expires)}
	}
	for _, t := range o.Targets {
		if _, err := config.ParseAllow(t); err != nil {
			return &usageError{msg: fmt.Sprintf("approve: %q: %v", t, err)}
		}
	}
	return nil
}

func approve(ctx context.Context, opts ApproveOptions, io IO) error {
	cfg, err := loadConfig(io)
	if err != nil {
		return err
	}
	s, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.close(ctx)
	if opts.List {
		store, ok, err := ledger.OpenExisting(ctx, s.db.Conn, s.opts)
		if err != nil {
			return err
		}
		var list []ledger.Approval
		if ok {
			if list, err = store.Approvals(ctx, opts.All); err != nil {
				return err
			}
		}
		return writeApprovals(io, opts.Format, list)
	}
	// Recording or revoking writes the ledger: a read-only database is named up front (exit 2).
	if err := database.CheckWritable(ctx, s.db.Conn, cfg.DatabaseVar); err != nil {
		return err
	}
	store, err := ledger.OpenWith(ctx, s.db.Conn, s.opts)
	if err != nil {
		return err
	}
	if opts.Revoke != 0 {
		if err := store.Revoke(ctx, opts.Revoke); err != nil {
			if errors.Is(err, ledger.ErrNotFound) {
				return &usageError{msg: fmt.Sprintf("approve --revoke %d: no approval in force has that id: `zdcd-release approve --list` shows them", opts.Revoke)}
			}
			return err
		}
		fmt.Fprintf(io.Out, "Revoked approval #%d.\n", opts.Revoke)
		return nil
	}
	todo, err := approvalTargets(ctx, store, opts)
	if err != nil {
		return err
	}
	expires := time.Now().Add(opts.Expires)
	for _, t := range todo {
		id, err := store.Approve(ctx, ledger.Approval{
			App: t.key.App, Name: t.key.Name, Rule: t.rule, Reason: opts.Reason, ApprovedBy: opts.By,
			Digest: t.digest, ExpiresAt: expires, Source: ledger.ApprovalByApprove, RunID: t.runID,
		})
		if err != nil {
			return err
		}
		what := "every rule"
		if t.rule != "" {
			what = "rule " + t.rule
		}
		fmt.Fprintf(io.Out, "Approved #%d: %s (%s), as planned by run %d (%s), until %s.\n",
			id, t.key, what, t.runID, ledger.ShortDigestLabeled(t.digest), expires.UTC().Format(time.RFC3339))
		if len(t.unsafe) > 0 {
			fmt.Fprintf(io.Out, "  It covers: %s.\n", strings.Join(t.unsafe, ", "))
		}
	}
	fmt.Fprintln(io.Out, "The next release phase applies them if their SQL is still exactly as approved; push again or run `heroku releases:retry`.")
	return nil
}

// approvalTarget is one migration to approve, with the plan the ledger recorded for it.
type approvalTarget struct {
	key    plan.MigrationKey
	rule   string
	digest string
	runID  int64
	// unsafe are the unsafe rules the recorded plan found.
	unsafe []string
}

// approvalTargets finds, for each migration to approve, the plan a release phase recorded: an
// approval is for the exact SQL that was judged, never for whatever the migration holds later.
func approvalTargets(ctx context.Context, store *ledger.Postgres, opts ApproveOptions) ([]approvalTarget, error) {
	var out []approvalTarget
	if opts.Release != "" {
		v, ok := ledger.ParseReleaseVersion(opts.Release)
		if !ok {
			if n, err := strconv.Atoi(opts.Release); err == nil && n > 0 {
				v, ok = n, true
			}
		}
		if !ok {
			return nil, &usageError{msg: fmt.Sprintf("approve --release %q: use a release version such as v42", opts.Release)}
		}
		d, err := store.RunByRelease(ctx, ledger.CommandRelease, v)
		if errors.Is(err, ledger.ErrNotFound) {
			return nil, &usageError{msg: fmt.Sprintf("approve --release v%d: the ledger has no release phase of v%d: `zdcd-release history` lists the releases it saw", v, v)}
		} else if err != nil {
			return nil, err
		}
		for _, m := range d.Migrations {
			if !m.Safe {
				out = append(out, approvalTarget{key: m.Key(), digest: m.Digest, runID: d.ID, unsafe: unsafeRules(m.Findings)})
			}
		}
		if len(out) == 0 {
			return nil, &usageError{msg: fmt.Sprintf("approve --release v%d: run %d has no unsafe migration to approve", v, d.ID)}
		}
		return out, nil
	}
	for _, t := range opts.Targets {
		a, _ := config.ParseAllow(t)
		key := plan.MigrationKey{App: a.App, Name: a.Migration}
		d, err := store.LatestPlanOf(ctx, key)
		if errors.Is(err, ledger.ErrNotFound) {
			return nil, &usageError{msg: fmt.Sprintf("approve %s: no release phase recorded a plan with it yet: deploy it first (the release phase records the plan it refuses), then approve what it judged", key)}
		} else if err != nil {
			return nil, err
		}
		for _, m := range d.Migrations {
			if m.Key() != key {
				continue
			}
			if m.Digest == "" {
				return nil, &usageError{msg: fmt.Sprintf("approve %s: run %d recorded it without a digest (an older zdcd-release): deploy it again, then approve", key, d.ID)}
			}
			rules := unsafeRules(m.Findings)
			if a.Rule != "" && !slices.Contains(rules, a.Rule) {
				return nil, &usageError{msg: fmt.Sprintf("approve %s: run %d found no unsafe %s in it (found: %s)", t, d.ID, a.Rule, strings.Join(rules, ", "))}
			}
			out = append(out, approvalTarget{key: key, rule: a.Rule, digest: m.Digest, runID: d.ID, unsafe: rules})
		}
	}
	return out, nil
}

func unsafeRules(fs []analysis.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Severity == analysis.Unsafe && !slices.Contains(out, f.Rule) {
			out = append(out, f.Rule)
		}
	}
	return out
}

// approvalState says whether an approval is in force.
func approvalState(a ledger.Approval, now time.Time) string {
	switch {
	case !a.RevokedAt.IsZero():
		return "revoked"
	case !a.ConsumedAt.IsZero():
		return fmt.Sprintf("used by run %d", a.ConsumedBy)
	case a.Digest == "" || !a.ExpiresAt.After(now):
		return "expired"
	default:
		return "in force"
	}
}

func writeApprovals(io IO, format string, list []ledger.Approval) error {
	if list == nil {
		list = []ledger.Approval{}
	}
	if format == "json" {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(io.Out, "No approvals.")
		return err
	}
	now := time.Now()
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMIGRATION\tRULE\tBY\tSOURCE\tDIGEST\tEXPIRES (UTC)\tSTATE\tREASON")
	for _, a := range list {
		rule := a.Rule
		if rule == "" {
			rule = "*"
		}
		expires := "-"
		if !a.ExpiresAt.IsZero() {
			expires = a.ExpiresAt.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Key(), rule, a.ApprovedBy, orDash(a.Source), ledger.ShortDigestLabeled(a.Digest), expires, approvalState(a, now), a.Reason)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
