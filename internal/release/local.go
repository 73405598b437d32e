package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zdcd/zdcd/internal/pgbackup"
)

// NewLocalBackuper backs up with pg_dump into a directory (ZDCD_BACKUP_DIR): the release's
// backups when no Heroku credentials are configured. label names the dumps (the release, "v42").
func NewLocalBackuper(d *pgbackup.Dumper, label string) Backuper {
	return &localBackuper{d: d, label: label}
}

type localBackuper struct {
	d     *pgbackup.Dumper
	label string
}

func (l *localBackuper) Capture(ctx context.Context) (Backup, error) {
	b, err := l.d.Capture(ctx, l.label)
	if err != nil {
		return Backup{}, err
	}
	return Backup{ID: b.ID, Location: b.Path, ref: b.Path}, nil
}

func (l *localBackuper) Restore(ctx context.Context, b Backup) error {
	return l.d.Restore(ctx, pgbackup.Backup{ID: b.ID, Path: b.ref})
}

func (l *localBackuper) Find(ctx context.Context, id string) (Backup, error) {
	path := filepath.Join(l.d.Dir, filepath.Base(id))
	if _, err := os.Stat(path); err != nil {
		return Backup{}, fmt.Errorf("backup %s: %w", id, err)
	}
	return Backup{ID: id, Location: path, ref: path}, nil
}

func (l *localBackuper) RestoreCommand(b Backup) string {
	return fmt.Sprintf("pg_restore --no-owner --no-acl --file=- %s | psql --single-transaction -v ON_ERROR_STOP=1 \"$DATABASE_URL\"   # after dropping what the failed migration created", b.Location)
}

func (l *localBackuper) Describe() string {
	return "pg_dump to " + l.d.Dir
}
