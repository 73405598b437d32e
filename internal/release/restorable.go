package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/zdcd/zdcd/internal/pgbackup"
)

// restorabilityChecker is a Backuper that can prove, before any migration, that this role could
// restore a backup it took (local pg_dump backups; Heroku restores run as Heroku's own role).
type restorabilityChecker interface {
	CheckRestorable(ctx context.Context, b Backup) error
	// Discard deletes a backup that is no use.
	Discard(b Backup) error
}

// proveRestorable checks the backup just taken can be restored by this role. When the plan holds
// a migration the old release may not survive, a restore may be the recovery: a backup that
// cannot be restored refuses the release before any migration (the error; the dump is deleted).
// Otherwise no failure of this plan needs a restore: a warning, and the release goes on.
func (f *Flow) proveRestorable(ctx context.Context, b Backup) error {
	rc, ok := f.Backups.(restorabilityChecker)
	if !ok {
		return nil
	}
	err := rc.CheckRestorable(ctx, b)
	if err == nil {
		return nil
	}
	if len(f.incompatible(f.pending)) == 0 || f.result.Initial {
		fmt.Fprintf(f.Out, "       warning: %v. This plan is backward compatible, so its recovery needs no restore; a plan the old release may not survive would be refused.\n", err)
		return nil
	}
	if derr := rc.Discard(b); derr != nil {
		fmt.Fprintf(f.Out, "       warning: could not delete the unusable backup: %v\n", derr)
	}
	return err
}

var _ restorabilityChecker = (*localBackuper)(nil)

func (l *localBackuper) CheckRestorable(ctx context.Context, b Backup) error {
	return l.d.CheckRestorable(ctx, pgbackup.Backup{ID: b.ID, Path: b.ref})
}

func (l *localBackuper) Discard(b Backup) error {
	if b.ref == "" || !strings.HasPrefix(filepath.Base(b.ref), "zdcd-") {
		return nil
	}
	return os.Remove(b.ref)
}
