// Package heroku is zdcd's client of the Heroku Platform API (through heroku-go v5) and of the
// Heroku Postgres backups API, with one API key (HEROKU.md 2–5).
//
// # Wiring
//
// New wires heroku-go as HEROKU.md 3.2 requires: heroku.Transport (Bearer token, User-Agent
// "zdcd-release/<version>", v3 Accept, Request-Id) outside, go-retryablehttp inside with its
// pass-through error handler so that Heroku's error answer survives as a heroku.Error, which the
// package returns as *APIError{Status, ID, Message}. Two heroku.Service share the transport: one
// at Config.PlatformAPIURL, one at Config.DataAPIURL.
//
// # Retries and non-idempotent calls
//
// Reads and absolute updates (maintenance, a quantity) are retried on 429, 500, 502, 503, 504
// and connection errors, with exponential backoff (Options.RetryWaitMin·2^n up to RetryWaitMax)
// or a 429/503's Retry-After capped at Options.RetryAfterMax. The four POSTs that create
// something — CreateRelease, Rollback, CaptureBackup (and Backup), Restore — are retried only on
// 429, 503 and dial errors, where Heroku cannot have acted. After an ambiguous failure (any other
// 5xx, a timeout or cut connection after sending) they list releases or transfers to find what
// Heroku created, and return it; see CreateRelease for the matching rule. If that check cannot
// run, the error wraps ErrOutcomeUnknown. Every operation is bounded by Config.APITimeout; each
// HTTP attempt by Options.RequestTimeout.
//
// # Backups and restores: time
//
// The wait for a backup or restore is not an operation of Config.APITimeout: a transfer of a few
// GB takes minutes to tens of minutes. Each poll is bounded by Config.APITimeout, the wait by the
// caller's context (the release's remaining budget, ZDCD_RELEASE_DEADLINE), or by
// Options.TransferTimeout (1h) when it has no deadline. A wait that ends while Heroku still runs
// the transfer returns a *StillRunningError with its live state and the commands to follow or
// cancel it: a transfer is never called failed while Heroku runs it. Progress lines go to the
// progress writer on each change of state and at most every Options.ProgressInterval.
//
// # The Data API's shapes
//
// The Data API is not the Platform API: its timestamps are "2018-03-03 21:07:42 +0000"
// (DataTimeLayout), capture and restore answer 201, succeeded is null until a transfer finishes
// and source_bytes may be null (HEROKU.md §5.3). testdata/dataapi holds fixtures in these shapes.
//
// # Secrets
//
// The API key never appears in an error, in Options.Log or in a progress writer: errors and lines
// are scrubbed of it, Authorization is never logged, and a backup's from_url and a restore's to_url
// (the database URL with its password) are dropped while decoding. Config var values returned by ConfigVars are secrets for the caller to keep.
//
// # Interfaces
//
// The packages that use Heroku declare the interfaces they need (STYLE.md), and check
// *heroku.Client against them at compile time. The shapes this package is built for:
//
//	// release: backup before migrating, and recovery.
//	type Backups interface {
//		DatabaseAddon(ctx context.Context, app, configVar string) (heroku.Addon, error)
//		Backup(ctx context.Context, db heroku.Addon, progress io.Writer) (heroku.Transfer, error)
//		Restore(ctx context.Context, db heroku.Addon, backupURL string, progress io.Writer) (heroku.Transfer, error)
//	}
//	type Maintenance interface {
//		SetMaintenance(ctx context.Context, app string, on bool) (heroku.App, error)
//		Formation(ctx context.Context, app string) ([]heroku.Formation, error)
//		Scale(ctx context.Context, app, processType string, quantity int) (heroku.Formation, error)
//	}
//
//	// nightly: re-release a refused slug, watch it, roll back.
//	type Releases interface {
//		Releases(ctx context.Context, app string, max int) ([]heroku.Release, error)
//		ReleaseInfo(ctx context.Context, app, release string) (heroku.Release, error)
//		CreateRelease(ctx context.Context, app, slugID, description string) (heroku.Release, error)
//		Rollback(ctx context.Context, app, target string) (heroku.Release, error)
//		Dynos(ctx context.Context, app string) ([]heroku.Dyno, error)
//	}
//
// AppInfo, ConfigVars, Transfers, TransferInfo, CaptureBackup and WaitTransfer serve checks and
// finer-grained flows. Generation reads the app's platform generation: Fir apps have no
// maintenance mode, and SetMaintenance's error on one wraps ErrMaintenanceUnsupported
// (generation.go).
package heroku
