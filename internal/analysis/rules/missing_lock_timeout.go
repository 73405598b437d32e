package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// MissingLockTimeout: a lock that blocks the application's writes (SHARE or stronger) requested
// with no lock_timeout in force. Waiting for it is unbounded, and while it waits every later query
// on the table queues behind it.
//
// zdcd's executor gives every migration session a short lock_timeout as a connection option
// (PGOPTIONS), so a Django migration only loses it by turning it off itself: SET lock_timeout = 0,
// or to 30 seconds or more (requests queued that long hit Heroku's 30-second router timeout).
// RESET and SET ... TO DEFAULT go back to the connection's value, zdcd's, and are fine. A session
// SET still off when the migration ends also counts: it stays off for every later migration of the
// same `migrate` run.
//
// A plain .sql file (lint) is run by another tool, which sets no lock_timeout: there the file must
// set one itself before its first such lock, and RESET / DEFAULT turn it back off (PostgreSQL's
// default is 0). set_config() called from a SELECT is not followed.
var MissingLockTimeout = analysis.Rule{
	Name:         "missing-lock-timeout",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "a lock that blocks writes is requested with lock_timeout turned off: the wait, and the queue behind it, are unbounded",
	Migration:    missingLockTimeout,
}

// lockTimeoutLong is the lock_timeout from which a wait counts as unbounded for a web app.
const lockTimeoutLong = 30 * time.Second

func missingLockTimeout(p *analysis.Pass) {
	plainSQL := len(p.Ops) > 0 && p.Ops[0].Class == "SQL"
	ids := lockTxIDs(p)
	// sessionOff is the statement that turned lock_timeout off for the session (nil: on);
	// sessionDefaultOff means PostgreSQL's default of 0 is in force (plain SQL files). localOff and
	// localDefaultOff are the same for SET LOCAL, in force while localSet, until the transaction ends.
	var sessionOff *analysis.Stmt
	sessionDefaultOff := plainSQL
	var localOff *analysis.Stmt
	localSet, localDefaultOff := false, false
	reported := map[*analysis.Stmt]bool{}
	defaultReported := false
	for i, st := range p.Stmts {
		if i > 0 && ids[i] != ids[i-1] {
			localSet, localOff, localDefaultOff = false, nil, false
		}
		if s, ok := st.Statement.(*sqlparse.Set); ok && (s.Name == "lock_timeout" || (s.Reset && (s.Name == "" || s.Name == "all"))) {
			off, toDefault := lockTimeoutOff(s)
			switch {
			case s.Local && st.InTransaction:
				localSet, localOff, localDefaultOff = true, nil, false
				if off {
					localOff = st
				} else if toDefault && plainSQL {
					localDefaultOff = true
				}
			case s.Local:
				// SET LOCAL outside a transaction block does nothing.
			default:
				localSet, localOff, localDefaultOff = false, nil, false
				sessionOff, sessionDefaultOff = nil, false
				if off {
					sessionOff = st
				} else if toDefault && plainSQL {
					sessionDefaultOff = true
				}
			}
			continue
		}
		table := lockBlockingTable(p, st)
		if table == "" {
			continue
		}
		by, defaultOff := sessionOff, sessionDefaultOff
		if localSet {
			by, defaultOff = localOff, localDefaultOff
		}
		switch {
		case by != nil && !reported[by]:
			reported[by] = true
			p.ReportStmt(st,
				fmt.Sprintf("%s waits for its %s lock on %s with lock_timeout turned off by %s (%s): if a long query or transaction holds %s, "+
					"this statement waits for as long as that lasts, and every later query on %s queues behind it — the application stalls, with no timeout to end it.",
					lockShort(st.Info().Text), lockStrongest(st, table), table, lockShort(by.Info().Text), lockWhere(by), table, table),
				lockTimeoutFix(plainSQL))
		case by == nil && defaultOff && !defaultReported:
			defaultReported = true
			p.ReportStmt(st,
				fmt.Sprintf("%s waits for its %s lock on %s with no lock_timeout set before it in this file: PostgreSQL's default is to wait forever, "+
					"and while it waits every later query on %s queues behind it.", lockShort(st.Info().Text), lockStrongest(st, table), table, table),
				lockTimeoutFix(plainSQL))
		}
	}
	if sessionOff != nil && !plainSQL && !reported[sessionOff] {
		p.ReportStmt(sessionOff,
			fmt.Sprintf("%s turns lock_timeout off for the rest of the database session, and nothing in this migration turns it back on: "+
				"Django runs every later migration of this `migrate` run in the same session, so their locks would wait without limit, and the application's queries would queue behind them.",
				lockShort(sessionOff.Info().Text)),
			lockTimeoutFix(false))
	}
}

// lockTimeoutOff classifies a SET / RESET of lock_timeout: off (0, or 30 seconds or more), or back
// to the session's default (RESET, DEFAULT).
func lockTimeoutOff(s *sqlparse.Set) (off, toDefault bool) {
	if s.Reset || strings.EqualFold(s.Value, "DEFAULT") {
		return false, true
	}
	d, ok := lockParseTimeout(s.Value)
	if !ok {
		return false, false
	}
	return d == 0 || d >= lockTimeoutLong, false
}

// lockParseTimeout reads a lock_timeout value: a number of milliseconds, or a number with a unit
// (us, ms, s, min, h, d).
func lockParseTimeout(v string) (time.Duration, bool) {
	v = strings.TrimSpace(strings.ToLower(v))
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	n, err := strconv.ParseFloat(v[:i], 64)
	if err != nil {
		return 0, false
	}
	units := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond, "s": time.Second,
		"min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}
	u, ok := units[strings.TrimSpace(v[i:])]
	if !ok {
		return 0, false
	}
	return time.Duration(n * float64(u)), true
}

// lockBlockingTable returns an existing table on which st requests a lock that blocks the
// application's writes (SHARE or stronger), "" when none.
func lockBlockingTable(p *analysis.Pass, st *analysis.Stmt) string {
	best := ""
	var mode analysis.LockMode
	for _, e := range st.Effects {
		if e.Mode.BlocksWrites() && !p.Created(e.Table) && e.Mode > mode {
			best, mode = e.Table, e.Mode
		}
	}
	return best
}

func lockStrongest(st *analysis.Stmt, table string) analysis.LockMode {
	var m analysis.LockMode
	for _, e := range st.Effects {
		if e.Table == table && e.Mode > m {
			m = e.Mode
		}
	}
	return m
}

func lockTimeoutFix(plainSQL bool) string {
	if plainSQL {
		return strings.Join([]string{
			"Start the file with SET lock_timeout = '2s'; (or SET LOCAL inside its transaction) so a blocked lock gives up quickly instead of stalling the application, and retry the migration when it times out.",
			"Add SET statement_timeout too, to bound the statement itself (and transaction_timeout on PostgreSQL 17+).",
		}, "\n")
	}
	return strings.Join([]string{
		"Do not turn lock_timeout off in a migration: zdcd runs every migration with a short lock_timeout (ZDCD_LOCK_TIMEOUT) and retries it when a lock times out.",
		"If a statement really must wait (CREATE INDEX CONCURRENTLY waiting for old transactions), give it its own migration with `atomic = False` and restore the timeout right after it: RunSQL(\"SET lock_timeout = 0\"), the statement, then RunSQL(\"RESET lock_timeout\") — or use SET LOCAL inside an atomic migration, which ends with its transaction.",
	}, "\n")
}
