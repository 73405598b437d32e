package migrate

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/childenv"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/database"
)

// The session guard (sitecustomize.py, whose comment says how and why) sets lock_timeout,
// statement_timeout and application_name from inside every Python process of the migrate command,
// on every new PostgreSQL connection, and reports the values it reads back on stderr. The gate
// makes that report a precondition: while the command starts, zdcd holds an ACCESS EXCLUSIVE lock
// on django_migrations, which `migrate` reads before it runs any migration (the app's traffic
// never touches that table). The first report with the expected values releases it; a report with
// other values, or a session waiting for django_migrations that did not report (the guard was not
// loaded: `python -I`/`-S`/`-E`, a wrapper that resets PYTHONPATH, Django imported from a path set
// only later), stops the command before its first DDL: ErrSessionUnverified. So does a report
// whose settings module is not the plan's, or whose session of the migrated alias reached another
// database than zdcd's (checkTarget); only a good report of the migrated alias opens the gate.
// The same gate holds the pre-flight probe (probe.go), which runs before anything is touched.
//
// Limits, stated in docs/release.md: a first deploy (no django_migrations yet) cannot be gated —
// its sessions are still set and checked when the guard loads, and it has no traffic to block; a
// command that changes the schema without reading django_migrations first (not Django's migrate)
// is not gated; a receiver of connection_created registered by the app that changes these
// settings again after the guard's is not seen.

//go:embed sitecustomize.py
var sessionGuardPy []byte

// sessionMarker starts the guard's report line.
const sessionMarker = "ZDCD-SESSION "

// unverifiedGrace is how long a session may wait at the gate without a report before the
// command is stopped: the report is written before the session's first query, so this only
// absorbs the scheduling of zdcd's output reader on a loaded machine.
const unverifiedGrace = time.Second

// gateApplicationName is the application_name of the session that holds the gate.
const gateApplicationName = "zdcd-gate"

// ErrSessionUnverified: the migrate command's session settings were not verified as set; the
// command was stopped before it ran any migration.
var ErrSessionUnverified = errors.New("the migrate command's session settings could not be verified")

// SessionReport is what the guard read back in one of the command's sessions.
type SessionReport struct {
	PID   int    `json:"pid"`
	Alias string `json:"alias,omitempty"`
	// Before holds each setting's value and source (pg_settings) when the session opened,
	// After its value after the guard's set_config.
	Before map[string][]string `json:"before,omitempty"`
	After  map[string]string   `json:"after,omitempty"`
	OK     bool                `json:"ok"`
	Error  string              `json:"error,omitempty"`
	// Settings is django.conf.settings.SETTINGS_MODULE in the command's Python process ("" under
	// settings.configure()); Database the database.Identity of the database the session reached.
	Settings string `json:"settings,omitempty"`
	Database string `json:"database,omitempty"`
	// Pooling says why the session goes through a transaction or statement pooler (probe mode
	// only, for the migrated alias; sitecustomize.py's _pooling).
	Pooling string `json:"pooling,omitempty"`
}

// sessionDir writes the guard to a new temporary directory; the caller removes it.
func sessionDir() (string, error) {
	dir, err := os.MkdirTemp("", "zdcd-session-")
	if err != nil {
		return "", fmt.Errorf("session guard: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sitecustomize.py"), sessionGuardPy, 0o644); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("session guard: %w", err)
	}
	return dir, nil
}

// sessionWant are the values the guard sets, as pg_settings shows them (milliseconds).
func (r *Runner) sessionWant(lockTimeout time.Duration) map[string]string {
	return map[string]string{
		"lock_timeout":      strconv.FormatInt(lockTimeout.Milliseconds(), 10),
		"statement_timeout": strconv.FormatInt(r.StatementTimeout.Milliseconds(), 10),
		"application_name":  ApplicationName,
	}
}

// sessionEnv is env with the guard first on PYTHONPATH and its parameters: the values to set, and
// the settings module and database (identity, "" when unknown) the command must use.
func (r *Runner) sessionEnv(env []string, dir, nonce string, lockTimeout time.Duration, identity string) []string {
	path := dir
	if old := childenv.Value(env, "PYTHONPATH"); old != "" {
		path += string(os.PathListSeparator) + old
	}
	want := r.sessionWant(lockTimeout)
	env = childenv.Set(env, "PYTHONPATH", path)
	env = childenv.Set(env, "ZDCD_SESSION_NONCE", nonce)
	env = childenv.Set(env, "ZDCD_SESSION_LOCK_TIMEOUT", want["lock_timeout"])
	env = childenv.Set(env, "ZDCD_SESSION_STATEMENT_TIMEOUT", want["statement_timeout"])
	env = childenv.Set(env, "ZDCD_SESSION_APPLICATION_NAME", want["application_name"])
	if r.Settings != "" {
		// The module the plan was computed with. Django reads DJANGO_SETTINGS_MODULE from the
		// environment when settings are first used (LazySettings._setup,
		// https://github.com/django/django/blob/stable/3.2.x/django/conf/__init__.py), and
		// manage.py's os.environ.setdefault leaves a set value alone; what can still change it
		// — a --settings option, which ManagementUtility.execute applies by assigning
		// os.environ["DJANGO_SETTINGS_MODULE"] before settings are read (handle_default_options,
		// https://github.com/django/django/blob/stable/3.2.x/django/core/management/base.py), a
		// wrapper that exports another one, a manage.py that assigns instead of setdefault — is
		// caught by the guard's report of settings.SETTINGS_MODULE (gate.check).
		env = childenv.Set(env, "DJANGO_SETTINGS_MODULE", r.Settings)
		env = childenv.Set(env, "ZDCD_SESSION_SETTINGS", r.Settings)
	}
	env = childenv.Set(env, "ZDCD_SESSION_ALIAS", r.alias())
	env = childenv.Set(env, "ZDCD_SESSION_IDENTITY_QUERY", database.IdentityQuery)
	if identity != "" {
		env = childenv.Set(env, "ZDCD_SESSION_DATABASE", identity)
	}
	return env
}

// alias is the DATABASES key migrate applies the plan to.
func (r *Runner) alias() string {
	if r.Alias != "" {
		return r.Alias
	}
	return config.DefaultDatabaseAlias
}

func newNonce() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// gate holds django_migrations for one attempt until a session of the command is verified.
type gate struct {
	r     *Runner
	nonce string
	want  map[string]string
	conn  *pgx.Conn // nil: nothing to hold (no django_migrations yet), or released
	tx    pgx.Tx
	// identity is the database.Identity of zdcd's database, which the command's session for the
	// migrate alias must reach.
	identity string
	// exists: django_migrations exists (the gate was held).
	exists bool
	// probe: a pre-flight (probe.go): a good report of the migrate alias stops the command
	// instead of releasing the gate.
	probe bool

	reports chan SessionReport

	mu       sync.Mutex
	verified map[int]bool
	// waiters are the sessions seen waiting at the gate without a report.
	waiters []int
	first   *SessionReport
	refused error
}

// openGate takes the lock. With no django_migrations table the gate is open from the start.
func (r *Runner) openGate(ctx context.Context, nonce string, lockTimeout time.Duration, probe bool) (*gate, error) {
	g := &gate{r: r, nonce: nonce, want: r.sessionWant(lockTimeout), probe: probe, reports: make(chan SessionReport, 16), verified: map[int]bool{}}
	cfg, err := pgx.ParseConfig(r.ConnString)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	cfg.RuntimeParams["application_name"] = gateApplicationName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	if g.identity, err = database.Identity(ctx, conn); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("gate: %w", err)
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('django_migrations') IS NOT NULL").Scan(&exists); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("gate: %w", err)
	}
	if !exists {
		conn.Close(context.Background())
		if !probe {
			r.logf("no django_migrations table yet (first deploy): the session settings are set and checked by the guard, not gated")
		}
		return g, nil
	}
	g.exists = true
	tx, err := conn.Begin(ctx)
	if err == nil {
		_, err = tx.Exec(ctx, "SET LOCAL lock_timeout = '10s'")
	}
	if err == nil {
		_, err = tx.Exec(ctx, "LOCK TABLE django_migrations IN ACCESS EXCLUSIVE MODE")
	}
	if err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("gate: hold django_migrations until the migrate command's session is verified: %w", err)
	}
	g.conn, g.tx = conn, tx
	return g, nil
}

// line takes a line of the command's output that starts with sessionMarker; it returns false for
// a line that is not a report of this attempt (shown as output).
func (g *gate) line(s string) bool {
	rest, ok := strings.CutPrefix(s, sessionMarker+g.nonce+" ")
	if !ok {
		return false
	}
	var rep SessionReport
	if err := json.Unmarshal([]byte(rest), &rep); err != nil {
		rep = SessionReport{Error: "unreadable report: " + err.Error()}
	}
	g.reports <- rep
	return true
}

// check is why rep does not show the wanted values ("" when it does).
func (g *gate) check(rep SessionReport) string {
	if rep.Error != "" {
		return fmt.Sprintf("the guard could not set them in session pid=%d: %s", rep.PID, rep.Error)
	}
	var bad []string
	for _, name := range []string{"lock_timeout", "statement_timeout", "application_name"} {
		got, ok := rep.After[name]
		if !ok || got != g.want[name] {
			bad = append(bad, fmt.Sprintf("%s is %s, not %s", name, showSetting(name, got), showSetting(name, g.want[name])))
		}
	}
	if len(bad) == 0 {
		if rep.Pooling != "" {
			return fmt.Sprintf("the migrate command's connection for DATABASES[%q] goes through a connection pooler (%s), where the session's lock_timeout and statement_timeout, and migrate's own locks, do not hold from one transaction to the next: "+
				"make DATABASES[%q] use the database's direct URL during the release phase (on Heroku DATABASE_URL, not DATABASE_CONNECTION_POOL_URL; docs/configuration.md, Connection poolers)", rep.Alias, rep.Pooling, rep.Alias)
		}
		return g.checkTarget(rep)
	}
	return fmt.Sprintf("in session pid=%d after zdcd's SET: %s (something in the session changes them back: a connection_created receiver of the app, or a pooler in transaction mode; connect the migrate command to the database directly)", rep.PID, strings.Join(bad, ", "))
}

// checkTarget is why rep's process or session is not the one zdcd judged the plan for ("" when it
// is): the settings module the plan was computed with (Runner.Settings, when known), and, for the
// migrate alias, zdcd's own database (gate.identity).
func (g *gate) checkTarget(rep SessionReport) string {
	if want := g.r.Settings; want != "" && rep.Settings != want {
		got := strconv.Quote(rep.Settings)
		if rep.Settings == "" {
			got = "none (settings.configure())"
		}
		return fmt.Sprintf("the migrate command runs Django with the settings module %s, but zdcd computed and judged the plan with %q: "+
			"something in the command replaces DJANGO_SETTINGS_MODULE (a --settings option, a wrapper script that exports another one, a manage.py that assigns os.environ[\"DJANGO_SETTINGS_MODULE\"] instead of setdefault); "+
			"make ZDCD_MIGRATE_COMMAND leave it alone, or set the DJANGO_SETTINGS_MODULE config var to the module migrate must use", got, want)
	}
	if g.identity != "" && rep.Alias == g.r.alias() && rep.Database != g.identity {
		return fmt.Sprintf("the migrate command's session for DATABASES[%q] reached %s, but %s (the database zdcd judged the plan on and backs up) is %s: "+
			"make the settings' DATABASES[%q] read %s (or set ZDCD_DATABASE_VAR / ZDCD_DATABASE_ALIAS), and check that no wrapper changes the database URL",
			rep.Alias, describeIdentity(rep.Database), g.r.databaseVar(), describeIdentity(g.identity), rep.Alias, g.r.databaseVar())
	}
	return ""
}

// describeIdentity names a database by its database.Identity: its name, OID and the server's start.
func describeIdentity(id string) string {
	if id == "" {
		return "an unknown database"
	}
	parts := strings.Split(id, "/")
	if len(parts) < 3 {
		return strconv.Quote(id)
	}
	name := strings.Join(parts[:len(parts)-2], "/")
	oid, started := parts[len(parts)-2], parts[len(parts)-1]
	if us, err := strconv.ParseInt(started, 10, 64); err == nil {
		started = time.UnixMicro(us).UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("database %q (oid %s, on a server started %s)", name, oid, started)
}

// databaseVar names zdcd's database URL variable.
func (r *Runner) databaseVar() string {
	if r.DatabaseVar != "" {
		return r.DatabaseVar
	}
	return "DATABASE_URL"
}

// watch runs while the command does: it takes the reports, releases the gate on the first good
// one, and calls stop (which kills the command) on a bad one or on a session waiting at the gate
// that never reported. It returns when done is closed.
func (g *gate) watch(done <-chan struct{}, stop func()) {
	tick := time.NewTicker(g.r.poll())
	defer tick.Stop()
	suspects := map[int]time.Time{} // unverified waiters, since when they were seen waiting
	refuse := func(reason string) {
		g.mu.Lock()
		first := g.refused == nil
		if first {
			g.refused = fmt.Errorf("%w: %s", ErrSessionUnverified, reason)
		}
		g.mu.Unlock()
		if first {
			g.r.logf("stopping the migrate command before its first migration: %s", reason)
			stop()
		}
	}
	take := func(rep SessionReport) {
		if why := g.check(rep); why != "" {
			refuse(why)
			return
		}
		// Only a session of the migrate alias, on zdcd's database, lets the command on: one of
		// another alias (the app's second database) is verified but does not open the gate.
		target := rep.Alias == g.r.alias()
		if !g.probe {
			g.r.logf("%s", g.describe(rep))
		}
		g.mu.Lock()
		g.verified[rep.PID] = true
		if g.first == nil && target {
			g.first = &rep
		}
		g.mu.Unlock()
		switch {
		case target && g.probe:
			stop() // the guard has exited; nothing else of the command may run
		case target:
			g.release()
		}
	}
	for {
		select {
		case <-done:
			// The command's output was read to its end before done was closed, but select picks
			// among ready cases at random: take the reports still queued before returning, or a
			// report written just before the process exited (the probe's, always) would be lost.
			for {
				select {
				case rep := <-g.reports:
					take(rep)
				default:
					return
				}
			}
		case rep := <-g.reports:
			take(rep)
		case <-tick.C:
			if g.conn == nil {
				continue
			}
			qctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			rows, err := g.tx.Query(qctx, `SELECT l.pid FROM pg_locks l
				WHERE l.relation = 'django_migrations'::regclass AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
				  AND NOT l.granted`)
			var pids []int
			if err == nil {
				pids, err = pgx.CollectRows(rows, pgx.RowTo[int])
			}
			cancel()
			if err != nil {
				refuse("the gate's session failed: " + err.Error())
				continue
			}
			next := map[int]time.Time{}
			now := g.r.now()
			g.mu.Lock()
			for _, pid := range pids {
				if !g.verified[pid] {
					next[pid] = now
					if since, ok := suspects[pid]; ok {
						next[pid] = since
					}
				}
			}
			g.mu.Unlock()
			for pid := range next {
				if _, ok := suspects[pid]; !ok {
					g.mu.Lock()
					g.waiters = append(g.waiters, pid)
					g.mu.Unlock()
				}
			}
			for pid, since := range next {
				// Seen waiting at two polls, a second apart at least, without a report: the
				// report, written before the session's first query, would have arrived.
				if now.Sub(since) >= unverifiedGrace {
					refuse(unguarded(fmt.Sprintf("pid=%d", pid)))
				}
			}
			suspects = next
		}
	}
}

// unguarded is the reason for stopping a command whose sessions (which) did not report.
func unguarded(which string) string {
	return fmt.Sprintf("a database session of the migrate command (%s) did not run zdcd's session guard, so its lock_timeout and statement_timeout cannot be known; "+
		"the guard is loaded from PYTHONPATH (sitecustomize) by the Python that runs Django: run `python manage.py migrate` (ZDCD_MIGRATE_COMMAND) without -I, -S or -E and without a wrapper that resets PYTHONPATH", which)
}

// failedAtGate is the error of a command that failed while the gate was still held, after one of
// its sessions waited there without a report, or with a lock timeout (which, while
// django_migrations is held, can only be the wait at the gate): its sessions were not verified.
// Nil otherwise: a failure before any session (an import error) stays what it is.
func (g *gate) failedAtGate(lockTimedOut bool) error {
	if g.conn == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiters) == 0 && !lockTimedOut {
		return nil
	}
	which := "it timed out waiting for django_migrations"
	if len(g.waiters) > 0 {
		which = fmt.Sprintf("pid=%v", g.waiters)
	}
	return fmt.Errorf("%w: %s", ErrSessionUnverified, unguarded(which))
}

// release lets the command's sessions read django_migrations.
func (g *gate) release() {
	if g.conn == nil {
		return
	}
	if err := g.tx.Commit(context.Background()); err != nil {
		g.r.logf("gate: %v", err)
	}
	g.conn.Close(context.Background())
	g.conn = nil
}

// close releases the gate if still held; the command has exited.
func (g *gate) close() {
	if g.conn != nil {
		g.tx.Rollback(context.Background())
		g.conn.Close(context.Background())
		g.conn = nil
	}
}

func (g *gate) err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refused
}

// describe is the log line of a verified session: the values read back, and what the SET
// overrode.
func (g *gate) describe(rep SessionReport) string {
	return fmt.Sprintf("session pid=%d verified, %s", rep.PID, g.effect(rep))
}

// effect says what is in effect in rep's session: the values read back, and what the SET
// overrode.
func (g *gate) effect(rep SessionReport) string {
	s := fmt.Sprintf("in effect (read back): lock_timeout=%s statement_timeout=%s application_name=%s",
		showSetting("lock_timeout", rep.After["lock_timeout"]), showSetting("statement_timeout", rep.After["statement_timeout"]), showSetting("application_name", rep.After["application_name"]))
	var over []string
	names := make([]string, 0, len(rep.Before))
	for n := range rep.Before {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b := rep.Before[n]
		if len(b) != 2 || b[0] == rep.After[n] || b[1] == "default" || n == "application_name" {
			continue
		}
		over = append(over, fmt.Sprintf("%s=%s from %s", n, showSetting(n, b[0]), sourceName(b[1])))
	}
	if len(over) > 0 {
		s += "; overridden at connect: " + strings.Join(over, ", ")
	}
	return s
}

// showSetting renders a pg_settings value: milliseconds as a duration.
func showSetting(name, v string) string {
	if name == "application_name" {
		return strconv.Quote(v)
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return strconv.Quote(v)
	}
	if ms == 0 {
		return "0 (none)"
	}
	return (time.Duration(ms) * time.Millisecond).String()
}

// sourceName says where pg_settings' source came from, in the app's words.
func sourceName(src string) string {
	switch src {
	case "client":
		return "the connection's startup options (Django OPTIONS[\"options\"], the URL's options, PGOPTIONS)"
	case "user", "database", "database user":
		return "ALTER ROLE/DATABASE … SET (" + src + ")"
	case "configuration file":
		return "postgresql.conf"
	}
	return src
}

// splitSession cuts a line of output at a session report: the text before it, and the report
// ("" when there is none).
func splitSession(line []byte) (before []byte, report string) {
	i := bytes.Index(line, []byte(sessionMarker))
	if i < 0 {
		return line, ""
	}
	return line[:i], string(line[i:])
}
