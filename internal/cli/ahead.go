package cli

import (
	"context"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/judge"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/release"
)

// judgeAhead judges, for `check`, the applied migrations the code does not contain (schema ahead
// of code) as the release phase would: from the ledger, read without creating it (no ledger:
// every one is unknown). The verdicts go into the result; one the ledger records as
// incompatible makes the result unsafe, as it refuses the release.
func judgeAhead(ctx context.Context, cfg *config.Config, a *judge.Judged) error {
	if len(a.Plan.Ahead) == 0 {
		return nil
	}
	s, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.close(ctx)
	var prov []ledger.Provenance
	store, ok, err := ledger.OpenExisting(ctx, s.db.Conn, s.opts)
	if err != nil {
		return err
	}
	if ok {
		if prov, err = store.Provenance(ctx, release.AheadKeys(a.Plan.Ahead)); err != nil {
			return err
		}
	}
	a.Result.Ahead = release.JudgeAhead(a.Plan.Ahead, prov)
	if aheadBlocks(a.Result) {
		a.Result.Safe = false
	}
	return nil
}

// aheadBlocks reports whether an applied migration the code lacks refuses the release: neither
// NIGHTLY_BUILD nor an approval lets older code survive it.
func aheadBlocks(r *analysis.Result) bool {
	for _, a := range r.Ahead {
		if a.Blocks() {
			return true
		}
	}
	return false
}
