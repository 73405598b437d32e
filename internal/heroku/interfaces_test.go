package heroku_test

import (
	"context"
	"io"

	"github.com/zdcd/zdcd/internal/heroku"
)

// The interfaces the package doc promises release and nightly can declare; kept here so that the
// doc and the methods cannot drift apart.
type (
	backups interface {
		DatabaseAddon(ctx context.Context, app, configVar string) (heroku.Addon, error)
		Backup(ctx context.Context, db heroku.Addon, progress io.Writer) (heroku.Transfer, error)
		Restore(ctx context.Context, db heroku.Addon, backupURL string, progress io.Writer) (heroku.Transfer, error)
	}
	maintenance interface {
		SetMaintenance(ctx context.Context, app string, on bool) (heroku.App, error)
		Formation(ctx context.Context, app string) ([]heroku.Formation, error)
		Scale(ctx context.Context, app, processType string, quantity int) (heroku.Formation, error)
	}
	releases interface {
		Releases(ctx context.Context, app string, max int) ([]heroku.Release, error)
		ReleaseInfo(ctx context.Context, app, release string) (heroku.Release, error)
		CreateRelease(ctx context.Context, app, slugID, description string) (heroku.Release, error)
		Rollback(ctx context.Context, app, target string) (heroku.Release, error)
		Dynos(ctx context.Context, app string) ([]heroku.Dyno, error)
	}
)

var (
	_ backups     = (*heroku.Client)(nil)
	_ maintenance = (*heroku.Client)(nil)
	_ releases    = (*heroku.Client)(nil)
)
