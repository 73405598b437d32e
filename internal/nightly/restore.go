package nightly

import (
	"context"

	"github.com/zdcd/zdcd/internal/release"
)

// NewRestorer restores backups by name (a ledger's backup_id) through the release phase's
// backups: the same lookup and restore, Heroku's or pg_dump's.
func NewRestorer(b release.Backuper) Restorer { return restorer{b} }

type restorer struct{ b release.Backuper }

func (r restorer) Restore(ctx context.Context, backupID string) error {
	bk, err := r.b.Find(ctx, backupID)
	if err != nil {
		return err
	}
	return r.b.Restore(ctx, bk)
}

func (r restorer) RestoreCommand(backupID string) string {
	return r.b.RestoreCommand(release.Backup{ID: backupID})
}
