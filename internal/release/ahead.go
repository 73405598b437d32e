package release

// Schema ahead of code (DESIGN.md "Release phase" 9). Heroku runs the release phase for its own
// operations too: `heroku rollback`, a config-var change, a pipeline promotion. Then the code
// being released may lack migrations the database already has, and `migrate` has nothing to do:
// without this check the old code goes live on a schema it may not survive.

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/judge"
	"github.com/zdcd/zdcd/internal/ledger"
)

// rollbackTo reads "Rollback to v41", Heroku's description of a rollback release. HEROKU.md 4.2
// has that wording from memory, not from a recorded response: when a description does not match,
// the ledger's last succeeded release decides (aheadTarget).
var rollbackTo = regexp.MustCompile(`^Rollback to v([0-9]+)$`)

// judgeAhead judges the applied migrations this code lacks. Incompatible ones refuse the
// release (exit 1, recorded, and superseded at once: not a plan for the nightly window); the
// others are reported in a line or two and the release goes on with its pending migrations.
func (f *Flow) judgeAhead(ctx context.Context, a *judge.Judged) error {
	if len(a.Plan.Ahead) == 0 {
		return nil
	}
	started := f.now()
	prov, err := f.Ledger.Provenance(ctx, judge.AheadKeys(a.Plan.Ahead))
	if err != nil {
		f.step(ctx, journal.StepSchemaAhead, started, false, err.Error())
		return f.finishFailed(ctx, ledger.OutcomeFailed, journal.ExitFailed,
			fmt.Errorf("the database has %d applied migration(s) this code does not contain, and the ledger cannot say whether the code runs on them: %w; nothing was changed", len(a.Plan.Ahead), err))
	}
	// Said in the lines below; not in a.Result, whose report would say it again.
	judged := judge.Ahead(a.Plan.Ahead, prov)
	groups := map[analysis.AheadVerdict][]analysis.Ahead{}
	for _, j := range judged {
		groups[j.Verdict] = append(groups[j.Verdict], j)
	}
	bad, good, unknown, behind := groups[analysis.AheadIncompatible], groups[analysis.AheadCompatible], groups[analysis.AheadUnknown], groups[analysis.AheadLeftBehind]

	if len(behind) > 0 {
		f.say("%d applied migration(s) are no longer in the code and predate every migration it has (an app removed, or migrations deleted after a squash): not judged: %s.",
			len(behind), joinAhead(behind, 10))
	}
	if len(unknown) > 0 {
		f.say("warning: the database has %d applied migration(s) this code does not contain and no plan in the ledger judged (applied by hand, before zdcd, or marked applied without running): %s. zdcd cannot judge them and lets the release through: make sure this code runs on them (docs/release.md, step 4).",
			len(unknown), joinAhead(unknown, 20))
	}
	if len(bad) == 0 {
		if len(good) > 0 {
			f.say("Schema ahead of code, but compatible: %s, recorded by the ledger as safe for older code.", describeAhead(good))
		}
		f.step(ctx, journal.StepSchemaAhead, started, true, fmt.Sprintf("%d compatible, %d unknown, %d left behind", len(good), len(unknown), len(behind)))
		return nil
	}
	return f.refuseAhead(ctx, started, judged, bad)
}

// refuseAhead refuses a release whose code cannot run on the schema, with the way forward.
func (f *Flow) refuseAhead(ctx context.Context, started time.Time, judged, bad []analysis.Ahead) error {
	w := f.Out
	this := "this release"
	if f.Info.ReleaseVersion > 0 {
		this = fmt.Sprintf("v%d", f.Info.ReleaseVersion)
	}
	if f.Description != "" {
		this += fmt.Sprintf(" (%s)", f.Description)
	}
	f.say("Schema ahead of code: the database has migrations applied that the code of %s does not contain.", this)
	var reasons []string
	for _, j := range judged {
		switch j.Verdict {
		case analysis.AheadIncompatible:
			for _, fd := range j.Findings {
				approved := ""
				if fd.Approval != nil {
					approved = fmt.Sprintf(" (approved by %s: an approval let it run, the older code still cannot survive it)", fd.Approval.By)
				}
				fmt.Fprintf(w, "       %s applied by %s: %s — %s%s\n", j.Key(), appliedBy(j), fd.Rule, oneLine(fd.Message), approved)
			}
			reasons = append(reasons, fmt.Sprintf("%s applied by %s: %s", j.Key(), appliedBy(j), ruleList(j.Findings)))
		case analysis.AheadCompatible:
			fmt.Fprintf(w, "       %s applied by %s: compatible (%s)\n", j.Key(), appliedBy(j), j.Compatible())
		}
	}
	fmt.Fprintf(w, "Refused: this code cannot run on the database's schema: %d applied migration(s) it does not contain would break it (%s).\n",
		len(bad), strings.Join(reasons, "; "))
	fmt.Fprintln(w, "Nothing was changed: the release still current keeps running on this schema.")
	fmt.Fprintln(w, "The way forward:")
	target := f.aheadTarget(ctx, bad)
	switch {
	case f.Generation.Fir():
		// zdcd-release rollback restores behind maintenance mode, which Fir lacks: it would refuse.
		fmt.Fprintln(w, "  - on Fir, `zdcd-release rollback` cannot restore the database (the restore runs behind maintenance")
		fmt.Fprintln(w, "    mode, which Fir apps do not have yet): running older code means restoring the backup taken before")
		fmt.Fprintln(w, "    those migrations by hand, under live traffic, losing every write since (`zdcd-release history` names it);")
	case target > 0:
		fmt.Fprintf(w, "  - to run v%d's code, roll the database back with it: `zdcd-release rollback --to v%d` (a dry run; then add\n", target, target)
		fmt.Fprintf(w, "    --confirm <app>) restores the backup taken before those migrations, behind maintenance mode, and rolls\n")
		fmt.Fprintf(w, "    the app back to v%d. Everything written since that backup is lost: the dry run says what.\n", target)
	default:
		fmt.Fprintln(w, "  - to run this code, roll the database back with it: `zdcd-release rollback --to vN`, N the last release")
		fmt.Fprintln(w, "    before the one that applied those migrations (`zdcd-release history` shows it), restores the backup")
		fmt.Fprintln(w, "    taken before them and rolls the app back. Everything written since that backup is lost.")
	}
	fmt.Fprintln(w, "  - or keep the current code and fix forward: deploy code that contains these migrations.")
	fmt.Fprintf(w, "Recorded as run %d: `zdcd-release history %d`.\n", f.runID, f.runID)

	msg := fmt.Sprintf("refused: schema ahead of code: %s", strings.Join(reasons, "; "))
	if target > 0 && !f.Generation.Fir() {
		msg += fmt.Sprintf("; way forward: zdcd-release rollback --to v%d", target)
	}
	err := journal.Exit(journal.ExitRefused, fmt.Errorf("%s; nothing was changed", msg))
	f.step(ctx, journal.StepSchemaAhead, started, false, msg)
	f.finish(ctx, ledger.OutcomeRefused, journal.ExitRefused, err)
	// Not a plan the nightly window can ship: approving would not make this code survive.
	if f.runID != 0 {
		if serr := f.Ledger.MarkSuperseded(context.WithoutCancel(ctx), f.runID, 0,
			"schema ahead of code: not for the nightly window (zdcd-release rollback restores)"); serr != nil {
			fmt.Fprintf(w, "       warning: could not keep this refusal out of the nightly window: %v\n", serr)
		}
	}
	return err
}

// aheadTarget is the release to roll back to (0 when unknown): the target of a Heroku
// rollback ("Rollback to vN") when it predates the migrations, else the newest release before
// the first of them whose release phase succeeded (its code went live), per the ledger.
func (f *Flow) aheadTarget(ctx context.Context, bad []analysis.Ahead) int {
	first := 0
	for _, j := range bad {
		if v := j.AppliedByRelease; v > 0 && (first == 0 || v < first) {
			first = v
		}
	}
	if m := rollbackTo.FindStringSubmatch(strings.TrimSpace(f.Description)); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 && (first == 0 || n < first) {
			return n
		}
	}
	if first == 0 {
		return 0
	}
	v, err := f.Ledger.LastSucceededBefore(ctx, first)
	if err != nil {
		fmt.Fprintf(f.Out, "       warning: could not read the ledger for the release to roll back to: %v\n", err)
		return 0
	}
	return v
}

func appliedBy(j analysis.Ahead) string {
	switch {
	case j.AppliedByRelease > 0:
		return fmt.Sprintf("v%d (run %d)", j.AppliedByRelease, j.AppliedByRun)
	case j.AppliedByRun > 0:
		return fmt.Sprintf("run %d", j.AppliedByRun)
	}
	return "an unrecorded run"
}

func ruleList(fs []analysis.Finding) string {
	var rules []string
	seen := map[string]bool{}
	for _, f := range fs {
		if !seen[f.Rule] {
			seen[f.Rule] = true
			rules = append(rules, f.Rule)
		}
	}
	return strings.Join(rules, ", ")
}

// describeAhead names migrations with the release that applied each.
func describeAhead(js []analysis.Ahead) string {
	parts := make([]string, len(js))
	for i, j := range js {
		parts[i] = fmt.Sprintf("%s (applied by %s)", j.Key(), appliedBy(j))
	}
	return strings.Join(parts, ", ")
}

// joinAhead names at most max migrations.
func joinAhead(js []analysis.Ahead, max int) string {
	var parts []string
	for i, j := range js {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(js)-max))
			break
		}
		parts = append(parts, j.Key().String())
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
