package rollback

import (
	"fmt"

	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/plan"
)

// refuseOnFir refuses, dry run or not, a rollback that must restore the database on an app of
// Heroku's Fir generation: the restore runs behind maintenance mode, which Fir does not have, and
// zdcd never restores under live traffic. A rollback the target's code survives needs no
// maintenance mode and goes ahead.
func (f *Flow) refuseOnFir(p *Plan) error {
	if !p.Restore() || !f.Generation.Fir() {
		return nil
	}
	fmt.Fprintln(f.Out)
	fmt.Fprintf(f.Out, "Refused on Fir: rolling back to v%d restores the database (v%d's code cannot run against %s), and the restore runs behind maintenance mode, which Heroku's Fir generation does not have. Nothing was changed.\n",
		p.Target.Version, p.Target.Version, plan.JoinKeys(p.Incompatible))
	fmt.Fprintln(f.Out, "Instead: fix forward with a new release, or restore by hand knowing the writes since the backup are lost under live traffic.")
	return journal.Exit(journal.ExitRefused, fmt.Errorf("refused on Fir: rolling back to v%d needs a restore behind maintenance mode, and Fir apps have no maintenance mode; nothing was changed", p.Target.Version))
}
