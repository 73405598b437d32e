package heroku

import (
	"context"
	"errors"
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
	ToURL      string
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
	CanceledAt *time.Time
	// UpdatedAt is when Heroku last updated the transfer (nil when not sent).
	UpdatedAt *time.Time
	// Succeeded is false until the transfer finished (the wire's null) and when it failed.
	Succeeded      bool
	ProcessedBytes int64
	// SourceBytes is the size of what is transferred; 0 when Heroku does not say (null).
	SourceBytes int64
	Warnings    int
	Scheduled   bool
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

// transfer is the wire form (HEROKU.md §5.3, heroku/cli src/lib/pg/types.ts). Timestamps are
// in DataTimeLayout, not RFC 3339; succeeded is null until the transfer finishes; source_bytes may
// be null; a restore's to_url (and a backup's from_url) is the database URL with its password, so
// transferURL drops it while decoding.
type transfer struct {
	UUID           string      `json:"uuid"`
	Num            int         `json:"num"`
	FromType       string      `json:"from_type"`
	ToType         string      `json:"to_type"`
	FromName       string      `json:"from_name"`
	ToName         string      `json:"to_name"`
	FromURL        transferURL `json:"from_url"`
	ToURL          transferURL `json:"to_url"`
	CreatedAt      dataTime    `json:"created_at"`
	StartedAt      dataTime    `json:"started_at"`
	FinishedAt     dataTime    `json:"finished_at"`
	CanceledAt     dataTime    `json:"canceled_at"`
	UpdatedAt      dataTime    `json:"updated_at"`
	Succeeded      *bool       `json:"succeeded"`
	ProcessedBytes *int64      `json:"processed_bytes"`
	SourceBytes    *int64      `json:"source_bytes"`
	Warnings       *int        `json:"warnings"`
	Schedule       *struct {
		UUID string `json:"uuid"`
	} `json:"schedule"`
	Logs []struct {
		CreatedAt dataTime `json:"created_at"`
		Level     string   `json:"level"`
		Message   string   `json:"message"`
	} `json:"logs"`
}

// public checks and converts the wire form. Its error names the field and value that did not
// parse (never a URL: those are not quoted).
func (w transfer) public() (Transfer, error) {
	t := Transfer{
		UUID: w.UUID, Num: w.Num, FromType: w.FromType, ToType: w.ToType,
		FromName: w.FromName, ToName: w.ToName, ToURL: w.ToURL.url,
		Succeeded: w.Succeeded != nil && *w.Succeeded, Scheduled: w.Schedule != nil,
	}
	if w.ProcessedBytes != nil {
		t.ProcessedBytes = *w.ProcessedBytes
	}
	if w.SourceBytes != nil {
		t.SourceBytes = *w.SourceBytes
	}
	if w.Warnings != nil {
		t.Warnings = *w.Warnings
	}
	var err error
	fields := []struct {
		name string
		in   dataTime
		out  **time.Time
	}{
		{"started_at", w.StartedAt, &t.StartedAt},
		{"finished_at", w.FinishedAt, &t.FinishedAt},
		{"canceled_at", w.CanceledAt, &t.CanceledAt},
		{"updated_at", w.UpdatedAt, &t.UpdatedAt},
	}
	for _, f := range fields {
		if *f.out, err = f.in.time(f.name); err != nil {
			return Transfer{}, fmt.Errorf("transfer %d: %w", w.Num, err)
		}
	}
	created, err := w.CreatedAt.time("created_at")
	if err != nil {
		return Transfer{}, fmt.Errorf("transfer %d: %w", w.Num, err)
	}
	if created != nil {
		t.CreatedAt = *created
	}
	if w.FromType != "pg_dump" {
		// A backup's from_url is the database URL with its password (dropped at decode anyway); a
		// restore's is the dump.
		t.FromURL = w.FromURL.url
	}
	for i, l := range w.Logs {
		at, err := l.CreatedAt.time(fmt.Sprintf("logs[%d].created_at", i))
		if err != nil {
			return Transfer{}, fmt.Errorf("transfer %d: %w", w.Num, err)
		}
		tl := TransferLog{Level: l.Level, Message: l.Message}
		if at != nil {
			tl.CreatedAt = *at
		}
		t.Logs = append(t.Logs, tl)
	}
	t.Name = transferName(t)
	if t.IsRestore() || !t.IsBackup() {
		// Only a backup's to_url is a backup location; a restore's or a copy's is a database.
		t.ToURL = ""
	}
	return t, nil
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
		t, err := w.public()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
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
	return w.public()
}

// CaptureBackup starts a backup of the database (POST …/databases/{id}/backups, no body) and
// returns the transfer without waiting; WaitTransfer waits for it, Backup does both. Heroku
// answers 201 with the transfer (HEROKU.md §5.3); any 2xx is accepted.
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

// ErrTransferInProgress is in the chain of a capture Heroku refused because another transfer of
// the database runs (the daily scheduled backup, typically): "a transfer is currently in
// progress". The status code is UNCERTAIN (HEROKU.md §5.3: 422 likely); the client recognises a
// 4xx whose message says "in progress".
var ErrTransferInProgress = errors.New("another transfer of the database is in progress")

type inProgress struct{ error }

func (e inProgress) Unwrap() error        { return e.error }
func (e inProgress) Is(target error) bool { return target == ErrTransferInProgress }

// isInProgress reports whether err is Heroku refusing a capture while another transfer runs.
func isInProgress(err error) bool {
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status < 400 || apiErr.Status >= 500 {
		return false
	}
	return strings.Contains(strings.ToLower(apiErr.Message), "in progress")
}

// Backup captures a backup and waits for it, writing progress lines to progress (nil: none).
//
// Each API call (the POST, a poll) is bounded by Config.APITimeout; the wait for the transfer is
// bounded by ctx only: the release's remaining budget, since a capture of a database of a few GB
// takes minutes to tens of minutes. When ctx ends first, the error is a *StillRunningError: the
// backup is not failed, Heroku goes on with it. A backup that finishes without success is a
// *TransferError.
//
// When Heroku refuses the capture because another transfer runs (the daily scheduled backup),
// Backup says so on progress, waits for that transfer within ctx and captures again.
func (c *Client) Backup(ctx context.Context, db Addon, progress io.Writer) (Transfer, error) {
	refusals := 0
	for {
		pctx, cancel := c.bound(ctx)
		t, err := c.capture(pctx, db)
		cancel()
		if err == nil {
			return c.wait(ctx, db, t, progress)
		}
		if !isInProgress(err) {
			return Transfer{}, err
		}
		err = inProgress{err}
		refusals++
		running, lerr := c.runningTransfer(ctx, db)
		switch {
		case lerr != nil:
			return Transfer{}, fmt.Errorf("%w; then listing transfers failed: %v", err, lerr)
		case running == nil:
			// Refused, yet nothing runs any more: it just finished. Retry after a poll interval,
			// a bounded number of times.
			if refusals > c.opts.PollFailures {
				return Transfer{}, err
			}
			c.say(progress, "capture refused (%s); no running transfer listed, retrying", apiMessage(err))
			if !c.pause(ctx) {
				return Transfer{}, fmt.Errorf("%w (the release's time budget ended)", err)
			}
			continue
		}
		c.say(progress, "waiting for %s %s to finish (%s) before capturing: Heroku runs one transfer of a database at a time",
			running.Kind(), running.Name, running.Status())
		if _, werr := c.wait(ctx, db, *running, progress); werr != nil {
			var still *StillRunningError
			if errors.As(werr, &still) {
				still.Blocking = true
				return Transfer{}, still
			}
			var terr *TransferError
			if !errors.As(werr, &terr) {
				return Transfer{}, fmt.Errorf("capture backup of %s: %w", db.Name, werr)
			}
			// The other transfer failing does not stop ours.
		}
	}
}

// apiMessage is the message of the *APIError in err's chain.
func apiMessage(err error) string {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Message
	}
	return err.Error()
}

// runningTransfer returns the newest unfinished transfer of the database's billing app, nil when
// none runs.
func (c *Client) runningTransfer(ctx context.Context, db Addon) (*Transfer, error) {
	lctx, cancel := c.bound(ctx)
	defer cancel()
	list, err := c.transfers(withClass(lctx, idempotent), db)
	if err != nil {
		return nil, c.fail("list transfers of "+db.billingApp(), err)
	}
	var found *Transfer
	for i := range list {
		t := list[i]
		if !t.Finished() && t.CanceledAt == nil && (found == nil || t.Num > found.Num) {
			found = &list[i]
		}
	}
	return found, nil
}

// pause waits one poll interval; false when ctx ended first.
func (c *Client) pause(ctx context.Context) bool {
	timer := time.NewTimer(c.opts.PollInterval)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// say writes one progress line, indented as the release log's details (7 spaces).
func (c *Client) say(progress io.Writer, format string, args ...any) {
	if progress != nil {
		fmt.Fprint(progress, c.redact(fmt.Sprintf("       "+format+"\n", args...)))
	}
}

// Restore restores the database from a backup URL (a backup's ToURL), overwriting it entirely,
// and waits for the restore, writing progress lines to progress (nil: none). The POST (Heroku
// answers 201) is bounded by Config.APITimeout, the wait by ctx only, as in Backup: a restore
// still running when ctx ends is a *StillRunningError, never a failure. An ambiguous failure of
// the POST is resolved as in CaptureBackup, with a restore from the same URL.
//
// The restore transfer's to_url is the target database URL with its password (HEROKU.md §5.3): it
// is dropped while decoding, and never reaches a Transfer, an error or a progress line.
func (c *Client) Restore(ctx context.Context, db Addon, backupURL string, progress io.Writer) (Transfer, error) {
	op := "restore " + db.Name
	if backupURL == "" {
		return Transfer{}, fmt.Errorf("%s: no backup URL", op)
	}
	isOurs := func(t Transfer) bool { return t.IsRestore() && (t.FromURL == "" || t.FromURL == backupURL) }
	body := struct {
		BackupURL string `json:"backup_url"`
	}{backupURL}
	pctx, cancel := c.bound(ctx)
	t, err := c.postTransfer(pctx, op, db, isOurs, func(ctx context.Context, w *transfer) error {
		return c.data.Post(ctx, w, "/client/v11/databases/"+url.PathEscape(db.ID)+"/restores", body)
	})
	cancel()
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
		t, err := w.public()
		if err != nil {
			return Transfer{}, fmt.Errorf("%s: %w", op, err)
		}
		return t, nil
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
// 5.4): every Options.PollInterval, each poll bounded by Config.APITimeout, tolerating up to
// Options.PollFailures failed polls in a row for at most Config.APITimeout (a 401 or 403 fails at
// once), writing progress lines to progress (nil: none) on each change of state and at most every
// Options.ProgressInterval in between. The wait is bounded by ctx: a transfer still running when
// ctx ends is a *StillRunningError. A transfer that finishes without success is a
// *TransferError carrying the last lines of its log.
func (c *Client) WaitTransfer(ctx context.Context, db Addon, t Transfer, progress io.Writer) (Transfer, error) {
	return c.wait(ctx, db, t, progress)
}

func (c *Client) wait(ctx context.Context, db Addon, t Transfer, progress io.Writer) (Transfer, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.TransferTimeout)
		defer cancel()
	}
	id := t.UUID
	if id == "" {
		id = strconv.Itoa(t.Num)
	}
	op := fmt.Sprintf("wait for %s of %s", t.Name, db.Name)
	pr := progressReport{now: c.opts.Now, start: c.opts.Now(), every: c.opts.ProgressInterval}
	failures := 0
	var failingSince time.Time
	var lastErr error
	for {
		if line, ok := pr.line(t); ok && !t.Finished() {
			c.say(progress, "%s", line)
		}
		if t.Finished() || t.CanceledAt != nil {
			break
		}
		if !c.pause(ctx) {
			still := &StillRunningError{Transfer: t, App: db.billingApp(), Elapsed: pr.elapsed(t)}
			if lastErr != nil {
				still.LastPoll = c.fail("poll", lastErr)
			}
			c.say(progress, "%s", still.Status())
			return t, still
		}
		pctx, cancel := c.bound(ctx)
		next, err := c.transferInfo(withClass(pctx, idempotent), db, id, false)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				continue // reported at the top of the loop
			}
			if s := StatusOf(c.cause(err)); s == http.StatusUnauthorized || s == http.StatusForbidden {
				return t, c.fail(op, err)
			}
			if failures == 0 {
				failingSince = c.opts.Now()
			}
			failures++
			lastErr = err
			if failures > c.opts.PollFailures || (c.timeout > 0 && c.opts.Now().Sub(failingSince) > c.timeout) {
				return t, c.fail(fmt.Sprintf("%s: %d polls failed in a row over %s (the transfer's outcome is unknown: `heroku pg:backups:info %s --app %s`)",
					op, failures, c.opts.Now().Sub(failingSince).Round(time.Millisecond), t.Name, db.billingApp()), err)
			}
			continue
		}
		failures, lastErr = 0, nil
		t = next
	}
	c.say(progress, "%s", pr.final(t))
	if t.Succeeded && t.CanceledAt == nil {
		return t, nil
	}
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
