package release

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/zdcd/zdcd/internal/heroku"
)

// Backup is a backup taken before migrating.
type Backup struct {
	// ID names it for people and the ledger: "b005" on Heroku, the dump's file name locally.
	ID string
	// Location is where it is, never a signed URL: "heroku:<add-on>", or the dump's path.
	Location string
	// ref is what Restore needs (a Heroku backup's URL, a dump's path).
	ref string
}

// Backuper captures a backup of the app's database and restores it.
type Backuper interface {
	// Capture takes a backup and waits until it is complete.
	Capture(ctx context.Context) (Backup, error)
	// Restore overwrites the database with the backup and waits until it is done.
	Restore(ctx context.Context, b Backup) error
	// RestoreCommand is the command a human runs to restore b by hand.
	RestoreCommand(b Backup) string
	// Describe says where backups go, for the log.
	Describe() string
	// Find returns an earlier backup by its ID (a ledger's backup_id), for a restore later: the
	// nightly window's and rollback's.
	Find(ctx context.Context, id string) (Backup, error)
}

// HerokuBackups is the part of the Heroku Postgres backups client the release uses
// (*heroku.Client).
type HerokuBackups interface {
	DatabaseAddon(ctx context.Context, app, configVar string) (heroku.Addon, error)
	Backup(ctx context.Context, db heroku.Addon, progress io.Writer) (heroku.Transfer, error)
	Restore(ctx context.Context, db heroku.Addon, backupURL string, progress io.Writer) (heroku.Transfer, error)
	TransferInfo(ctx context.Context, db heroku.Addon, id string, verbose bool) (heroku.Transfer, error)
}

var _ HerokuBackups = (*heroku.Client)(nil)

// NewHerokuBackuper backs up with Heroku Postgres backups (pg:backups:capture): the add-on behind
// configVar (DATABASE_URL) of app, resolved at the first capture.
func NewHerokuBackuper(c HerokuBackups, app, configVar string, progress io.Writer) Backuper {
	return &herokuBackuper{c: c, app: app, configVar: configVar, progress: progress}
}

type herokuBackuper struct {
	c         HerokuBackups
	app       string
	configVar string
	progress  io.Writer
	addon     *heroku.Addon
}

func (h *herokuBackuper) resolve(ctx context.Context) (heroku.Addon, error) {
	if h.addon != nil {
		return *h.addon, nil
	}
	// The client's errors say what they were doing already.
	a, err := h.c.DatabaseAddon(ctx, h.app, h.configVar)
	if err != nil {
		return heroku.Addon{}, err
	}
	h.addon = &a
	return a, nil
}

func (h *herokuBackuper) Capture(ctx context.Context) (Backup, error) {
	a, err := h.resolve(ctx)
	if err != nil {
		return Backup{}, err
	}
	t, err := h.c.Backup(ctx, a, h.progress)
	if err != nil {
		return Backup{}, err
	}
	return Backup{ID: t.Name, Location: "heroku:" + a.Name, ref: t.ToURL}, nil
}

func (h *herokuBackuper) Restore(ctx context.Context, b Backup) error {
	a, err := h.resolve(ctx)
	if err != nil {
		return err
	}
	_, err = h.c.Restore(ctx, a, b.ref, h.progress)
	return err
}

func (h *herokuBackuper) Find(ctx context.Context, id string) (Backup, error) {
	num, err := backupNumber(id)
	if err != nil {
		return Backup{}, err
	}
	a, err := h.resolve(ctx)
	if err != nil {
		return Backup{}, err
	}
	t, err := h.c.TransferInfo(ctx, a, strconv.Itoa(num), false)
	if err != nil {
		return Backup{}, fmt.Errorf("find backup %s (Heroku keeps a plan's limited number of backups: `heroku pg:backups --app %s`): %w", id, h.app, err)
	}
	if !t.IsBackup() || !t.Succeeded || t.ToURL == "" {
		return Backup{}, fmt.Errorf("backup %s of %s is not a successful backup (%s)", id, a.Name, t.State())
	}
	return Backup{ID: t.Name, Location: "heroku:" + a.Name, ref: t.ToURL}, nil
}

// backupNumber reads a Heroku backup's name, "b005" (or "a005", a scheduled one), as 5.
func backupNumber(name string) (int, error) {
	digits := strings.TrimLeft(name, "abcr")
	n, err := strconv.Atoi(digits)
	if err != nil || digits == name || n <= 0 {
		return 0, fmt.Errorf("backup %q is not a Heroku backup name such as b005", name)
	}
	return n, nil
}

func (h *herokuBackuper) RestoreCommand(b Backup) string {
	return fmt.Sprintf("heroku pg:backups:restore %s %s --app %s --confirm %s", b.ID, h.configVar, h.app, h.app)
}

func (h *herokuBackuper) Describe() string {
	return fmt.Sprintf("Heroku Postgres backups of %s's %s", h.app, h.configVar)
}
