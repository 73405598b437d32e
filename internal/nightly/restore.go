package nightly

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/zdcd/zdcd/internal/heroku"
)

// HerokuBackups is the part of the Heroku Postgres backups client the nightly restore uses
// (*heroku.Client).
type HerokuBackups interface {
	DatabaseAddon(ctx context.Context, app, configVar string) (heroku.Addon, error)
	TransferInfo(ctx context.Context, db heroku.Addon, id string, verbose bool) (heroku.Transfer, error)
	Restore(ctx context.Context, db heroku.Addon, backupURL string, progress io.Writer) (heroku.Transfer, error)
}

var _ HerokuBackups = (*heroku.Client)(nil)

// NewHerokuRestorer restores, by name ("b005"), backups of the add-on behind configVar of app.
func NewHerokuRestorer(c HerokuBackups, app, configVar string, progress io.Writer) Restorer {
	return &herokuRestorer{c: c, app: app, configVar: configVar, progress: progress}
}

type herokuRestorer struct {
	c         HerokuBackups
	app       string
	configVar string
	progress  io.Writer
}

// Restore finds the backup's transfer (its number is the name's digits) for its URL, and
// restores it.
func (h *herokuRestorer) Restore(ctx context.Context, backupID string) error {
	num, err := backupNumber(backupID)
	if err != nil {
		return err
	}
	db, err := h.c.DatabaseAddon(ctx, h.app, h.configVar)
	if err != nil {
		return err
	}
	t, err := h.c.TransferInfo(ctx, db, strconv.Itoa(num), false)
	if err != nil {
		return fmt.Errorf("find backup %s: %w", backupID, err)
	}
	if !t.IsBackup() || !t.Succeeded || t.ToURL == "" {
		return fmt.Errorf("backup %s is not a successful backup (%s)", backupID, t.State())
	}
	_, err = h.c.Restore(ctx, db, t.ToURL, h.progress)
	return err
}

func (h *herokuRestorer) RestoreCommand(backupID string) string {
	return fmt.Sprintf("heroku pg:backups:restore %s %s --app %s --confirm %s", backupID, h.configVar, h.app, h.app)
}

// backupNumber reads "b005" (or "a005", a scheduled backup) as 5.
func backupNumber(name string) (int, error) {
	digits := strings.TrimLeft(name, "abcr")
	n, err := strconv.Atoi(digits)
	if err != nil || digits == name || n <= 0 {
		return 0, fmt.Errorf("backup %q is not a Heroku backup name such as b005", name)
	}
	return n, nil
}
