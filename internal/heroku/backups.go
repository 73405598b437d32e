package heroku

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Transfer is a Heroku Postgres backups API transfer: a backup (pg_dump → gof3r), a restore
// (gof3r|htcat → pg_restore) or a copy (HEROKU.md 5.3).
type Transfer struct {
	UUID string
	Num  int
	// Name is the CLI's name: "b005" for a manual backup, "a005" scheduled, "r005" a restore,
	// "c005" a copy.
	Name     string
	FromType string
	ToType   string
	FromName string
	ToName   string
	// FromURL is a restore's source. It is not kept for backups, whose source is the database URL
	// (a secret).
	FromURL string
	// ToURL is a backup's location: what Restore takes.
	ToURL          string
	CreatedAt      time.Time
	StartedAt      *time.Time
	FinishedAt     *time.Time
	CanceledAt     *time.Time
	Succeeded      bool
	ProcessedBytes int64
	SourceBytes    int64
	Warnings       int
	Scheduled      bool
	// Logs come only with a verbose read (Transfer(…, true)) and with a failure.
	Logs []TransferLog
}

// TransferLog is one line of a transfer's log.
type TransferLog struct {
	CreatedAt time.Time
	Level     string
	Message   string
}

// Finished reports whether the transfer ended (successfully or not).
func (t Transfer) Finished() bool { return t.FinishedAt != nil }

// Failed reports whether the transfer ended without success: finished_at set and succeeded false
// (there is no error field).
func (t Transfer) Failed() bool { return t.FinishedAt != nil && !t.Succeeded }

// IsBackup reports whether the transfer is a backup (pg_dump to storage).
func (t Transfer) IsBackup() bool { return t.FromType == "pg_dump" && t.ToType == "gof3r" }

// IsRestore reports whether the transfer restores into a database from something else than a live
// database.
func (t Transfer) IsRestore() bool { return t.ToType == "pg_restore" && t.FromType != "pg_dump" }

// State is the CLI's status label: Pending, Running (processed N bytes), Completed, Failed,
// Canceled.
func (t Transfer) State() string {
	switch {
	case t.CanceledAt != nil:
		return "Canceled"
	case t.FinishedAt != nil && t.Succeeded && t.Warnings > 0:
		return fmt.Sprintf("Completed with %d warnings", t.Warnings)
	case t.FinishedAt != nil && t.Succeeded:
		return "Completed"
	case t.FinishedAt != nil:
		return "Failed"
	case t.StartedAt != nil:
		return fmt.Sprintf("Running (processed %s)", bytesize(t.ProcessedBytes))
	}
	return "Pending"
}

func bytesize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// TransferError is a transfer that finished without success, with the last lines of its log.
type TransferError struct {
	Transfer Transfer
	// Logs are the last (at most 5) messages of the transfer's log, as the CLI prints them.
	Logs []string
}

func (e *TransferError) Error() string {
	kind := "transfer"
	switch {
	case e.Transfer.IsBackup():
		kind = "backup"
	case e.Transfer.IsRestore():
		kind = "restore"
	}
	s := fmt.Sprintf("%s %s did not finish: %s", kind, e.Transfer.Name, strings.ToLower(e.Transfer.State()))
	if len(e.Logs) > 0 {
		s += ": " + strings.Join(e.Logs, "; ")
	}
	return s
}

// transfer is the wire form (HEROKU.md 5.3).
type transfer struct {
	UUID           string     `json:"uuid"`
	Num            int        `json:"num"`
	FromType       string     `json:"from_type"`
	ToType         string     `json:"to_type"`
	FromName       string     `json:"from_name"`
	ToName         string     `json:"to_name"`
	FromURL        string     `json:"from_url"`
	ToURL          string     `json:"to_url"`
	CreatedAt      time.Time  `json:"created_at"`
	StartedAt      *time.Time `json:"started_at"`
	FinishedAt     *time.Time `json:"finished_at"`
	CanceledAt     *time.Time `json:"canceled_at"`
	Succeeded      bool       `json:"succeeded"`
	ProcessedBytes int64      `json:"processed_bytes"`
	SourceBytes    int64      `json:"source_bytes"`
	Warnings       int        `json:"warnings"`
	Schedule       *struct {
		UUID string `json:"uuid"`
	} `json:"schedule"`
	Logs []struct {
		CreatedAt time.Time `json:"created_at"`
		Level     string    `json:"level"`
		Message   string    `json:"message"`
	} `json:"logs"`
}

func (w transfer) public() Transfer {
	t := Transfer{
		UUID: w.UUID, Num: w.Num, FromType: w.FromType, ToType: w.ToType,
		FromName: w.FromName, ToName: w.ToName, ToURL: w.ToURL,
		CreatedAt: w.CreatedAt, StartedAt: w.StartedAt, FinishedAt: w.FinishedAt, CanceledAt: w.CanceledAt,
		Succeeded: w.Succeeded, ProcessedBytes: w.ProcessedBytes, SourceBytes: w.SourceBytes,
		Warnings: w.Warnings, Scheduled: w.Schedule != nil,
	}
	if w.FromType != "pg_dump" {
		// A backup's from_url is the database URL with its password; a restore's is the dump.
		t.FromURL = w.FromURL
	}
	for _, l := range w.Logs {
		t.Logs = append(t.Logs, TransferLog{CreatedAt: l.CreatedAt, Level: l.Level, Message: l.Message})
	}
	t.Name = transferName(t)
	return t
}

// transferName is the CLI's prefix() plus the zero-padded number.
func transferName(t Transfer) string {
	prefix := "c"
	switch {
	case t.IsBackup() && t.Scheduled:
		prefix = "a"
	case t.IsBackup():
		prefix = "b"
	case t.IsRestore():
		prefix = "r"
	}
	return fmt.Sprintf("%s%03d", prefix, t.Num)
}

func transfersPath(app string) string {
	return "/client/v11/apps/" + url.PathEscape(app) + "/transfers"
}

// Transfers lists the transfers (backups, restores, copies) of a database's billing app.
func (c *Client) Transfers(ctx context.Context, db Addon) ([]Transfer, error) {
	var out []Transfer
	err := c.call(ctx, "list transfers of "+db.billingApp(), func(ctx context.Context) (err error) {
		out, err = c.transfers(ctx, db)
		return err
	})
	return out, err
}

func (c *Client) transfers(ctx context.Context, db Addon) ([]Transfer, error) {
	var list []transfer
	if err := c.data.Get(ctx, &list, transfersPath(db.billingApp()), nil, nil); err != nil {
		return nil, err
	}
	out := make([]Transfer, 0, len(list))
	for _, w := range list {
		out = append(out, w.public())
	}
	return out, nil
}

// TransferInfo reads one transfer by uuid or number; verbose adds its logs.
func (c *Client) TransferInfo(ctx context.Context, db Addon, id string, verbose bool) (Transfer, error) {
	var out Transfer
	err := c.call(ctx, fmt.Sprintf("get transfer %s of %s", id, db.billingApp()), func(ctx context.Context) (err error) {
		out, err = c.transferInfo(ctx, db, id, verbose)
		return err
	})
	return out, err
}

func (c *Client) transferInfo(ctx context.Context, db Addon, id string, verbose bool) (Transfer, error) {
	var w transfer
	path := transfersPath(db.billingApp()) + "/" + url.PathEscape(id)
	if verbose {
		path += "?verbose=true"
	}
	if err := c.data.Get(ctx, &w, path, nil, nil); err != nil {
		return Transfer{}, err
	}
	return w.public(), nil
}

// CaptureBackup starts a backup of the database (POST …/databases/{id}/backups, no body) and
// returns the transfer without waiting; WaitTransfer waits for it, Backup does both.
//
// The POST is not retried on an ambiguous failure; the transfers of the billing app are then
// listed, and a manual backup numbered above the newest transfer before the POST is taken as the
// one Heroku started (the lowest such number). With several databases billed to one app, a
// capture of another database started at the same moment could be taken for it: the backups API
// does not say which database a transfer read.
func (c *Client) CaptureBackup(ctx context.Context, db Addon) (Transfer, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	return c.capture(ctx, db)
}

func (c *Client) capture(ctx context.Context, db Addon) (Transfer, error) {
	op := "capture backup of " + db.Name
	return c.postTransfer(ctx, op, db, Transfer.IsBackup, func(ctx context.Context, w *transfer) error {
		return c.data.Post(ctx, w, "/client/v11/databases/"+url.PathEscape(db.ID)+"/backups", nil)
	})
}

// Backup captures a backup and waits for it, writing progress lines to progress (nil: none). The
// whole is bounded by Config.APITimeout. A backup that finishes without success is a
// *TransferError.
func (c *Client) Backup(ctx context.Context, db Addon, progress io.Writer) (Transfer, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	t, err := c.capture(ctx, db)
	if err != nil {
		return Transfer{}, err
	}
	return c.wait(ctx, db, t, progress)
}

// Restore restores the database from a backup URL (a backup's ToURL), overwriting it entirely,
// and waits for the restore, writing progress lines to progress (nil: none). The whole is bounded
// by Config.APITimeout. An ambiguous failure of the POST is resolved as in CaptureBackup, with a
// restore from the same URL.
func (c *Client) Restore(ctx context.Context, db Addon, backupURL string, progress io.Writer) (Transfer, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	op := "restore " + db.Name
	if backupURL == "" {
		return Transfer{}, fmt.Errorf("%s: no backup URL", op)
	}
	isOurs := func(t Transfer) bool { return t.IsRestore() && (t.FromURL == "" || t.FromURL == backupURL) }
	body := struct {
		BackupURL string `json:"backup_url"`
	}{backupURL}
	t, err := c.postTransfer(ctx, op, db, isOurs, func(ctx context.Context, w *transfer) error {
		return c.data.Post(ctx, w, "/client/v11/databases/"+url.PathEscape(db.ID)+"/restores", body)
	})
	if err != nil {
		return Transfer{}, err
	}
	return c.wait(ctx, db, t, progress)
}

// postTransfer runs a transfer-creating POST like postRelease: note the newest transfer number,
// POST without blind retries, and after an ambiguous failure look for the transfer Heroku made.
func (c *Client) postTransfer(ctx context.Context, op string, db Addon, match func(Transfer) bool, post func(context.Context, *transfer) error) (Transfer, error) {
	before, err := c.transfers(withClass(ctx, idempotent), db)
	if err != nil {
		return Transfer{}, c.fail(op+": list transfers first", err)
	}
	base := 0
	for _, t := range before {
		if t.Num > base {
			base = t.Num
		}
	}
	var w transfer
	err = post(withClass(ctx, nonIdempotent), &w)
	if err == nil {
		if w.UUID == "" && w.Num == 0 {
			return Transfer{}, fmt.Errorf("%s: Heroku answered without a transfer", op)
		}
		return w.public(), nil
	}
	if !ambiguous(err) {
		return Transfer{}, notStarted{c.fail(op, err)}
	}
	rctx, rcancel := c.reconcileContext(ctx)
	defer rcancel()
	after, lerr := c.transfers(rctx, db)
	if lerr != nil {
		return Transfer{}, c.fail(op, fmt.Errorf("%w: %w; then listing transfers to check failed: %v", ErrOutcomeUnknown, c.cause(err), c.fail("list transfers", lerr)))
	}
	var found *Transfer
	for i := range after {
		t := after[i]
		if t.Num > base && match(t) && !t.Scheduled && (found == nil || t.Num < found.Num) {
			found = &after[i]
		}
	}
	if found == nil {
		return Transfer{}, notStarted{c.fail(op, fmt.Errorf("%w (no transfer newer than number %d matches, so Heroku did not start one)", c.cause(err), base))}
	}
	c.logf("%s: Heroku answered %s but started %s; using it", op, describe(err), found.Name)
	return *found, nil
}

// WaitTransfer polls a transfer until it finishes, as `heroku pg:backups:capture` does (HEROKU.md
// 5.4): every Options.PollInterval, tolerating up to Options.PollFailures failed polls (a 401 or
// 403 fails at once), writing a line to progress (nil: none) each time the state changes, and
// bounded by Config.APITimeout. A transfer that finishes without success is a *TransferError
// carrying the last lines of its log.
func (c *Client) WaitTransfer(ctx context.Context, db Addon, t Transfer, progress io.Writer) (Transfer, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	return c.wait(ctx, db, t, progress)
}

func (c *Client) wait(ctx context.Context, db Addon, t Transfer, progress io.Writer) (Transfer, error) {
	id := t.UUID
	if id == "" {
		id = strconv.Itoa(t.Num)
	}
	op := fmt.Sprintf("wait for %s of %s", t.Name, db.Name)
	say := func(format string, args ...interface{}) {
		if progress != nil {
			fmt.Fprint(progress, c.redact(fmt.Sprintf("       "+format+"\n", args...)))
		}
	}
	start := c.opts.Now()
	last := ""
	failures := 0
	var lastErr error
	for {
		if state := t.State(); state != last && !t.Finished() {
			say("%s: %s", t.Name, state)
			last = state
		}
		if t.Finished() || t.CanceledAt != nil {
			break
		}
		timer := time.NewTimer(c.opts.PollInterval)
		select {
		case <-ctx.Done():
			timer.Stop()
			msg := fmt.Sprintf("%s: still %s after %s", op, strings.ToLower(t.State()), c.opts.Now().Sub(start).Round(time.Millisecond))
			if lastErr != nil {
				msg += fmt.Sprintf(" (last poll failed: %v)", c.fail("poll", lastErr))
			}
			return t, fmt.Errorf("%s: %w", c.redact(msg), ctx.Err())
		case <-timer.C:
		}
		next, err := c.transferInfo(withClass(ctx, idempotent), db, id, false)
		if err != nil {
			if ctx.Err() != nil {
				continue // reported at the top of the loop
			}
			if s := StatusOf(c.cause(err)); s == http.StatusUnauthorized || s == http.StatusForbidden {
				return t, c.fail(op, err)
			}
			failures++
			lastErr = err
			if failures > c.opts.PollFailures {
				return t, c.fail(fmt.Sprintf("%s: %d polls failed", op, failures), err)
			}
			continue
		}
		t = next
	}
	if t.Succeeded && t.CanceledAt == nil {
		say("%s: %s", t.Name, t.State())
		return t, nil
	}
	say("%s: %s", t.Name, t.State())
	// The CLI re-reads the transfer verbosely for its logs; a failure to do so loses only them.
	rctx, rcancel := c.reconcileContext(ctx)
	defer rcancel()
	if v, err := c.transferInfo(rctx, db, id, true); err == nil {
		t.Logs = v.Logs
	}
	terr := &TransferError{Transfer: t}
	for i := max(0, len(t.Logs)-5); i < len(t.Logs); i++ {
		terr.Logs = append(terr.Logs, c.redact(t.Logs[i].Message))
	}
	return t, terr
}
