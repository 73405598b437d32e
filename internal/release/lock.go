package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// LockKey is the session advisory lock every release and nightly run holds while it plans,
// backs up and migrates: "zdcd" and "rele" in ASCII. It lives in the one-bigint key space; the
// ledger's schema upgrades lock in the two-int4 space, so the two never collide.
const LockKey int64 = 0x7a646364_72656c65

// ErrLockBusy means another release held the lock for longer than ZDCD_RELEASE_LOCK_WAIT.
var ErrLockBusy = errors.New("another zdcd-release run holds the release lock")

// Holder is the session holding the release lock, as pg_stat_activity shows it.
type Holder struct {
	PID             int
	ApplicationName string
	Since           time.Time
}

// AcquireLock takes the release lock on conn, waiting at most wait for a run holding it (0: not
// at all). Waiting is announced on log with the holder's pid. A run that gives up returns an
// error wrapping ErrLockBusy. The lock is released by ReleaseLock or when the session ends (a
// killed release dyno frees it with its connection).
func AcquireLock(ctx context.Context, conn *pgx.Conn, wait time.Duration, log io.Writer) error {
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", LockKey).Scan(&ok); err != nil {
		return fmt.Errorf("take the release lock: %w", err)
	}
	if ok {
		return nil
	}
	h, _ := lockHolder(ctx, conn)
	who := "another session"
	if h.PID != 0 {
		who = fmt.Sprintf("pid %d (%s, since %s)", h.PID, orDash(h.ApplicationName), h.Since.UTC().Format(time.RFC3339))
	}
	if wait <= 0 {
		return fmt.Errorf("%w: %s; ZDCD_RELEASE_LOCK_WAIT is 0, so this run does not wait: nothing was changed", ErrLockBusy, who)
	}
	fmt.Fprintf(log, "Another release is migrating: %s holds the release lock. Waiting up to %s for it.\n", who, wait)
	// lock_timeout bounds the wait for an advisory lock like any other: the server gives up
	// by itself, and a cancelled context cancels the query.
	if _, err := conn.Exec(ctx, fmt.Sprintf("SET lock_timeout = %d", wait.Milliseconds())); err != nil {
		return fmt.Errorf("take the release lock: %w", err)
	}
	_, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", LockKey)
	if _, rerr := conn.Exec(context.WithoutCancel(ctx), "RESET lock_timeout"); rerr != nil && err == nil {
		err = rerr
	}
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "55P03":
		return fmt.Errorf("%w: %s for more than ZDCD_RELEASE_LOCK_WAIT=%s; nothing was changed: retry the release (heroku releases:retry) once it has finished, or raise ZDCD_RELEASE_LOCK_WAIT", ErrLockBusy, who, wait)
	case err != nil:
		return fmt.Errorf("take the release lock: %w", err)
	}
	fmt.Fprintln(log, "Got the release lock.")
	return nil
}

// ReleaseLock gives the release lock back.
func ReleaseLock(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", LockKey)
	return err
}

// lockHolder finds the session holding the release lock. A bigint advisory key is stored as
// classid (high 32 bits) and objid (low 32 bits) with objsubid 1.
func lockHolder(ctx context.Context, conn *pgx.Conn) (Holder, error) {
	var h Holder
	var since *time.Time
	err := conn.QueryRow(ctx, `SELECT l.pid, coalesce(a.application_name, ''), coalesce(a.xact_start, a.backend_start)
		FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		  AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid
		  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		LIMIT 1`, int64(LockKey>>32), int64(LockKey&0xffffffff)).Scan(&h.PID, &h.ApplicationName, &since)
	if since != nil {
		h.Since = *since
	}
	return h, err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
