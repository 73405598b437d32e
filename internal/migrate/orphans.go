package migrate

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TerminateOrphans ends the migrate sessions (application_name zdcd-migrate) of a migrate command
// no zdcd supervises any more, and waits, at most wait, until they are gone. Call it holding the
// release lock, before judging a dead run (ledger FinishAbandoned): only the lock's holder runs a
// migrate command, so such a session belongs to a command whose zdcd died — one the parent-death
// signal could not reach (a wrapper that forked Python; see supervise.go). Ending it rolls back
// its open transaction, so what it was doing is not applied, and the dead run is judged on what
// was done while zdcd still watched. It returns the pids it ended.
func TerminateOrphans(ctx context.Context, conn *pgx.Conn, wait time.Duration) ([]int, error) {
	m := &monitor{conn: conn}
	pids, err := m.terminateMigrationSessions(ctx)
	if err != nil || len(pids) == 0 {
		return pids, err
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(DefaultPollInterval / 5)
	defer tick.Stop()
	for {
		n, err := m.migrationSessions(wctx)
		if err == nil && n == 0 {
			return pids, nil
		}
		select {
		case <-wctx.Done():
			return pids, fmt.Errorf("migrate sessions left by an earlier run still alive after %s (pid %v)", wait, pids)
		case <-tick.C:
		}
	}
}
