package database

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/zdcd/zdcd/internal/config"
)

// zdcd needs a session of its own on the server: its release lock is a session advisory lock, the
// ledger and the catalog reads use prepared statements (pgx's statement cache), and the migrate
// command's lock_timeout is a session setting held across statements while Django takes ACCESS
// EXCLUSIVE locks. A pooler in transaction (or statement) mode hands each transaction of a client
// to whichever server connection is free, so none of that holds: the lock is taken on one server
// session and the next statement runs on another, and pgx's prepared statements collide ("prepared
// statement stmtcache_… already exists"). PgBouncer's own table of what each mode supports:
// https://www.pgbouncer.org/features.html. zdcd therefore refuses such a URL before it touches
// anything, with the fix (a direct URL); a session pooler keeps one server connection per client
// and works.

// PoolerError says the URL reaches a connection pooler zdcd cannot work through. Its message is
// one line: what was seen and what to change, never the URL or its password.
type PoolerError struct {
	// Var names where the URL came from (DATABASE_URL, or a flag such as --trace-url).
	Var string
	// Mode is "transaction" or "statement" when the probe saw the pooling, "" when the pooler
	// refused the connection's startup parameters or had no server connection for a second client.
	Mode string
	// Evidence says what showed it.
	Evidence string
}

func (e *PoolerError) Error() string {
	what := "a connection pooler (PgBouncer)"
	if e.Mode != "" {
		what += " in " + e.Mode + " pooling mode"
	}
	fix := "point ZDCD_DATABASE_VAR at the database's direct URL (on Heroku: ZDCD_DATABASE_VAR=DATABASE_URL, " +
		"not DATABASE_CONNECTION_POOL_URL); migrate must connect directly too (docs/configuration.md, Connection poolers)"
	switch {
	case strings.HasPrefix(e.Var, "-"):
		fix = "pass " + e.Var + " the database's direct URL, not a pooler's"
	case e.Var == "DATABASE_URL":
		// DATABASE_URL itself goes through the pooler: the add-on's own HEROKU_POSTGRESQL_<COLOR>_URL
		// is the direct URL of the same database.
		fix = "point ZDCD_DATABASE_VAR at a variable holding the database's direct URL (on Heroku: its HEROKU_POSTGRESQL_<COLOR>_URL); " +
			"migrate must connect directly too (docs/configuration.md, Connection poolers)"
	}
	return fmt.Sprintf("the URL in %s reaches %s (%s): zdcd and Django's migrate need a database session of their own "+
		"(the release lock, lock_timeout, prepared statements); %s. Nothing was changed", source(e.Var), what, e.Evidence, fix)
}

// source names where a URL came from: $DATABASE_URL, or the flag.
func source(varName string) string {
	if strings.HasPrefix(varName, "-") {
		return varName
	}
	return "$" + varName
}

// startupRefused returns a *PoolerError when err is PgBouncer refusing a startup parameter it
// does not know (the options that carry PGOPTIONS or the URL's options): it answers
// "unsupported startup parameter: options" (or, from 1.20 with track_extra_parameters, "…in
// options: statement_timeout") unless the parameter is listed in ignore_startup_parameters
// (https://www.pgbouncer.org/config.html#ignore_startup_parameters). PostgreSQL itself never
// says this: it answers "unrecognized configuration parameter".
func startupRefused(err error, varName, password string) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || !strings.Contains(pgErr.Message, "unsupported startup parameter") {
		return nil
	}
	msg := strings.ReplaceAll(config.NewRedactor(password).Redact(pgErr.Message), "\n", " ")
	return &PoolerError{Var: varName, Evidence: fmt.Sprintf("it refused the connection: %q", msg)}
}

// ProbeApplicationName is the application_name of the probe's second, short-lived connection.
const ProbeApplicationName = "zdcd-probe"

// Pooling is what ProbePooling saw.
type Pooling struct {
	// Mode is "direct" when each client kept a server session of its own (a direct connection,
	// or a session pooler), "transaction" or "statement" when clients shared server sessions,
	// "full" when a second client could not get a server session at all (a pooler whose pool is
	// used up: zdcd, Django and migrate need several sessions at once).
	Mode string
	// Evidence says what showed it.
	Evidence string
}

func (p Pooling) String() string {
	switch p.Mode {
	case "direct":
		return "direct"
	case "full":
		return "pooling, no free server connection"
	}
	return p.Mode + " pooling"
}

// Probe bounds. A direct server answers the probe's statements at once; the bounds only matter
// through a pooler whose server connections are all busy.
const (
	// probeServerWait bounds how long the second client may wait for a server session while the
	// first is idle. A direct server gives every connected client its own backend, so it never
	// waits; a pooler with no free server connection makes it queue.
	probeServerWait = 5 * time.Second
	// probeHold is how long the first client's statement may wait while the second holds its
	// transaction open before the probe ends that transaction (a pool of one server connection
	// makes it wait for the second's).
	probeHold = 500 * time.Millisecond
	// probeTimeout bounds the whole probe.
	probeTimeout = 30 * time.Second
	// probeRounds is how many times the first client reads its backend while the second holds
	// its transaction: under a transaction pooler with other clients' traffic it may get its old
	// server connection back once by chance, rarely every time.
	probeRounds = 3
)

// ProbePooling tells whether a's server session is a's own, or shared the way a transaction (or
// statement) pooler shares it. a is an open connection; cfg is its configuration, from which the
// probe opens a second client, b, closed before it returns. Both use the simple query protocol:
// the probe leaves no prepared statement on a server connection a pooler hands on.
//
// The probe: a reads pg_backend_pid(); b opens a transaction and reads its own; a reads its pid
// again (probeRounds times) while b's transaction is open.
//
//   - A direct server (and a session pooler) gives every client its own backend for its whole
//     life: b's pid differs from a's, and a's never changes. Nothing else can happen, so a direct
//     server never reads as pooled.
//   - A transaction pooler gives a client a server connection for one transaction and takes it
//     back after: a's is idle in the pool when b begins, and PgBouncer hands out the idle server
//     connection released last (LIFO, unless server_round_robin is on: src/objects.c,
//     change_server_state, SV_IDLE, https://github.com/pgbouncer/pgbouncer/blob/master/src/objects.c;
//     https://www.pgbouncer.org/faq.html), so b gets a's backend. If another client's release
//     came in between, b gets that one, and a's next statements run on whatever is free — not
//     always its old backend.
//   - With a pool of one server connection, a's next statement waits for b's transaction: after
//     probeHold the probe ends b's transaction and a then runs on b's (and a's) only backend —
//     b had already got a's pid.
//   - A statement pooler refuses b's transaction ("transaction blocks not allowed in statement
//     pooling mode", src/server.c).
//   - A pooler with no free server connection leaves b waiting: after probeServerWait that is
//     reported as pooling too (a direct server never makes a connected client wait for a
//     backend).
func ProbePooling(ctx context.Context, a *pgx.Conn, cfg *pgx.ConnConfig) (Pooling, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	simple := pgx.QueryExecModeSimpleProtocol
	backend := func(ctx context.Context, c *pgx.Conn) (int32, error) {
		var pid int32
		err := c.QueryRow(ctx, "SELECT pg_backend_pid()", simple).Scan(&pid)
		return pid, err
	}
	pidA, err := backend(ctx, a)
	if err != nil {
		return Pooling{}, fmt.Errorf("probe for a connection pooler: read the backend: %w", err)
	}

	bcfg := cfg.Copy()
	bcfg.DefaultQueryExecMode = simple
	// Named apart from zdcd's session, so pg_stat_activity (and the release lock's holder, if
	// anyone looks at that instant) never mistakes it for one.
	bcfg.RuntimeParams["application_name"] = ProbeApplicationName
	b, err := pgx.ConnectConfig(ctx, bcfg)
	if err != nil {
		if pe := startupRefused(err, "", cfg.Password); pe != nil {
			return Pooling{}, fmt.Errorf("probe for a connection pooler: %s", pe.(*PoolerError).Evidence)
		}
		return Pooling{}, fmt.Errorf("probe for a connection pooler: open a second connection: %s", reason(err, cfg.Password))
	}
	defer b.Close(context.WithoutCancel(ctx))

	bctx, bcancel := context.WithTimeout(ctx, probeServerWait)
	var pidB int32
	_, err = b.Exec(bctx, "BEGIN")
	if err == nil {
		pidB, err = backend(bctx, b)
	}
	bcancel()
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
	case errors.As(err, &pgErr) && strings.Contains(pgErr.Message, "statement pooling mode"):
		return Pooling{Mode: "statement", Evidence: fmt.Sprintf("it refused a transaction block: %q", pgErr.Message)}, nil
	case bctx.Err() != nil && ctx.Err() == nil:
		return Pooling{Mode: "full", Evidence: fmt.Sprintf("a second client waited more than %s for a server connection while the first sat idle", probeServerWait)}, nil
	default:
		return Pooling{}, fmt.Errorf("probe for a connection pooler: second connection: %w", err)
	}
	// rollback ends b's transaction once (a pool of one needs it ended for a to go on).
	open := true
	rollback := func() {
		if open {
			open = false
			b.Exec(ctx, "ROLLBACK")
		}
	}
	defer rollback()
	if pidB == pidA {
		return Pooling{Mode: "transaction", Evidence: "a second client was given the first one's server session while the first was idle"}, nil
	}

	for range probeRounds {
		type answer struct {
			pid int32
			err error
		}
		got := make(chan answer, 1)
		go func() {
			pid, err := backend(ctx, a)
			got <- answer{pid, err}
		}()
		var ans answer
		select {
		case ans = <-got:
		case <-time.After(probeHold):
			rollback()
			ans = <-got
		}
		if ans.err != nil {
			return Pooling{}, fmt.Errorf("probe for a connection pooler: read the backend again: %w", ans.err)
		}
		if ans.pid != pidA {
			return Pooling{Mode: "transaction", Evidence: "a client's server session changed between two statements"}, nil
		}
	}
	return Pooling{Mode: "direct", Evidence: "each client kept a server session of its own"}, nil
}

// checkPooler returns a *PoolerError when a's server session is shared (transaction or statement
// pooling), nil when it is a's own.
func checkPooler(ctx context.Context, a *pgx.Conn, cfg *pgx.ConnConfig, varName string) error {
	p, err := ProbePooling(ctx, a, cfg)
	if err != nil {
		return err
	}
	if p.Mode == "direct" {
		return nil
	}
	e := &PoolerError{Var: varName, Mode: p.Mode, Evidence: p.Evidence}
	if p.Mode == "full" {
		e.Mode = ""
	}
	return e
}
