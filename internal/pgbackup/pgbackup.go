// Package pgbackup captures and restores a PostgreSQL database with pg_dump, pg_restore and psql,
// into and from a local directory: the backup `zdcd-release release` takes when it is not on
// Heroku (no API key; ZDCD_BACKUP_DIR), and the restore that recovers from a failed migration.
//
// Decisions:
//
//   - A capture is written under a temporary name in Dir (".zdcd-….partial-*"), fsynced, renamed
//     to its final name, and the directory fsynced. A file named zdcd-*.dump is therefore always
//     a complete dump: a pg_dump that fails, is killed, or a machine that crashes leaves at most a
//     partial file (removed on failure), never one that looks like a backup.
//   - The password never leaves the ConnString: the children get the URL without it
//     (--dbname=…, --no-password) and the password in PGPASSWORD, never on a command line (which
//     ps shows). Every error and log line is scrubbed of it, including the children's stderr.
//   - pg_dump refuses to dump a newer server, and its message is cryptic; so its major version is
//     compared first and the error says both versions and the fix.
//   - A restore is atomic: the database ends exactly as the dump, or as it was. One psql session
//     (--single-transaction, ON_ERROR_STOP) runs a prelude then the SQL script pg_restore prints
//     for the dump, streamed through (never held whole in memory). pg_restore itself cannot do
//     this: its --clean drops only the objects the dump has, so a table or schema a failed
//     migration created would survive, and dropping them first in another transaction would
//     leave an empty database when the restore then fails.
//   - The prelude resets the database to what CREATE DATABASE makes: it drops every user schema
//     (CASCADE, taking tables, types, functions, extensions in them), unlinks every large object
//     (they live outside schemas and the dump recreates them by OID), and recreates public as the
//     server version creates it (PostgreSQL 15+: owned by pg_database_owner, USAGE for PUBLIC;
//     before: CREATE and USAGE for PUBLIC). pg_dump never emits CREATE SCHEMA public (it exists
//     in every database) but emits CREATE SCHEMA for every other schema, so the two never clash.
//     The schema list is read first over a separate connection; objects outside schemas (roles,
//     event triggers, publications, extensions installed in pg_catalog) are not reset.
//   - pg_restore is run with --single-transaction too: without it, its script wraps large
//     objects in their own BEGIN/COMMIT, which would commit psql's transaction half-way. Its
//     script then ends with COMMIT; the last 64 KiB of the script are held back until pg_restore
//     has exited successfully, and psql is killed (its transaction rolled back) otherwise — a
//     pg_restore that dies half-way (a truncated dump) must not let psql commit what it got.
//   - --no-owner --no-acl: the roles of the database dumped need not exist where it is restored.
//   - Cancelling the context kills the children (and the open transaction is rolled back).
package pgbackup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/zdcd/zdcd/internal/childenv"
	"github.com/zdcd/zdcd/internal/config"
)

// Dumper captures backups of one database into a directory and restores them.
type Dumper struct {
	// ConnString is a postgres:// URL (may contain a password).
	ConnString string
	// Dir is where dumps go, created 0700 if missing. Required.
	Dir string
	// BinDir, when set, is where pg_dump, pg_restore and psql are taken from (see FindTools).
	BinDir string
	// Env is the environment of the child processes (PATH, ZDCD_PG_BINDIR, LANG …); the
	// process's own environment is never read.
	Env []string
	// Log receives progress lines; may be nil.
	Log io.Writer
	// ServerVersion is the server's server_version_num (150004), when the caller knows it;
	// 0 means Capture queries it.
	ServerVersion int
	// Now is the clock naming backups and timing them; nil means time.Now.
	Now func() time.Time
}

// Backup is one captured dump.
type Backup struct {
	// ID is the file's base name, e.g. zdcd-20261122T101500Z-v42.dump.
	ID   string
	Path string
	Size int64
	Took time.Duration
}

// holdBack is how much of the end of pg_restore's script waits for pg_restore's success.
const holdBack = 64 << 10

// Capture dumps the database into a new file of Dir named after the time and label (a release
// name such as v42; characters other than letters, digits, '.', '_' and '-' become '-').
func (d *Dumper) Capture(ctx context.Context, label string) (Backup, error) {
	start := d.now()
	if d.Dir == "" {
		return Backup{}, errors.New("capture backup: no backup directory configured")
	}
	target, err := parseConn(d.ConnString)
	if err != nil {
		return Backup{}, fmt.Errorf("capture backup: %w", err)
	}
	tools, err := FindTools(d.BinDir, d.Env)
	if err != nil {
		return Backup{}, fmt.Errorf("capture backup: %w", err)
	}
	if err := os.MkdirAll(d.Dir, 0o700); err != nil {
		return Backup{}, fmt.Errorf("capture backup: create backup directory: %w", err)
	}
	serverNum := d.ServerVersion
	if serverNum == 0 {
		if serverNum, err = d.queryServerVersion(ctx); err != nil {
			return Backup{}, target.scrub("capture backup: read the server version: ", err)
		}
	}
	dumpMajor, err := toolMajor(ctx, tools.PgDump, d.Env)
	if err != nil {
		return Backup{}, target.scrub("capture backup: ", err)
	}
	if err := checkDumpVersion(tools.PgDump, dumpMajor, serverNum); err != nil {
		return Backup{}, fmt.Errorf("capture backup: %w", err)
	}

	id := backupID(start, label)
	tmp, err := os.CreateTemp(d.Dir, "."+strings.TrimSuffix(id, ".dump")+".partial-*")
	if err != nil {
		return Backup{}, fmt.Errorf("capture backup: %w", err)
	}
	tmpPath := tmp.Name()
	_ = tmp.Close()
	keep := false
	defer func() {
		if !keep {
			_ = os.Remove(tmpPath)
		}
	}()

	d.logf("       pg_dump of %s into %s", target.redacted, d.Dir)
	stderr := newTail()
	cmd := exec.CommandContext(ctx, tools.PgDump, "--format=custom", "--file="+tmpPath, "--no-password", "--dbname="+target.noPassword)
	cmd.Env = target.env(d.Env)
	cmd.Stderr = stderr
	cmd.WaitDelay = waitDelay
	if err := cmd.Run(); err != nil {
		return Backup{}, target.scrub("capture backup: pg_dump: ", withContext(ctx, err), stderr.lines(5))
	}

	final, err := publish(tmpPath, d.Dir, id)
	if err != nil {
		return Backup{}, fmt.Errorf("capture backup: %w", err)
	}
	keep = true
	st, err := os.Stat(final)
	if err != nil {
		return Backup{}, fmt.Errorf("capture backup: %w", err)
	}
	b := Backup{ID: filepath.Base(final), Path: final, Size: st.Size(), Took: d.now().Sub(start)}
	d.logf("       backup %s: %d bytes in %s", b.ID, b.Size, b.Took.Round(time.Millisecond))
	return b, nil
}

// Restore replaces the database's contents by the dump b, in one transaction: on any failure
// (or cancellation) the database is left as it was.
func (d *Dumper) Restore(ctx context.Context, b Backup) error {
	path := b.Path
	if path == "" && b.ID != "" {
		path = filepath.Join(d.Dir, b.ID)
	}
	if path == "" {
		return errors.New("restore backup: no backup file given")
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("restore backup: %w", err)
	}
	target, err := parseConn(d.ConnString)
	if err != nil {
		return fmt.Errorf("restore backup %s: %w", filepath.Base(path), err)
	}
	tools, err := FindTools(d.BinDir, d.Env)
	if err != nil {
		return fmt.Errorf("restore backup %s: %w", filepath.Base(path), err)
	}
	serverNum, schemas, err := d.inspect(ctx)
	if err != nil {
		return target.scrub("restore backup "+filepath.Base(path)+": inspect the database: ", err)
	}
	d.logf("       restoring %s into %s (dropping schemas: %s)", filepath.Base(path), target.redacted, strings.Join(schemas, ", "))
	start := d.now()
	if err := d.restore(ctx, tools, target, path, prelude(serverNum, schemas)); err != nil {
		return target.scrub("restore backup "+filepath.Base(path)+": ", err)
	}
	d.logf("       restored %s in %s", filepath.Base(path), d.now().Sub(start).Round(time.Millisecond))
	return nil
}

// restore streams prelude + pg_restore's script into one psql transaction.
func (d *Dumper) restore(ctx context.Context, tools Tools, target conn, path, prelude string) error {
	psqlCtx, killPsql := context.WithCancel(ctx)
	defer killPsql()
	psqlErr := newTail()
	psql := exec.CommandContext(psqlCtx, tools.Psql, "--no-psqlrc", "--single-transaction", "--set=ON_ERROR_STOP=1",
		"--quiet", "--no-password", "--file=-", "--dbname="+target.noPassword)
	psql.Env = target.env(d.Env)
	psql.Stdout = io.Discard
	psql.Stderr = psqlErr
	psql.WaitDelay = waitDelay
	psqlIn, err := psql.StdinPipe()
	if err != nil {
		return err
	}
	restoreCtx, killRestore := context.WithCancel(ctx)
	defer killRestore()
	restoreErr := newTail()
	pgRestore := exec.CommandContext(restoreCtx, tools.PgRestore, "--no-owner", "--no-acl", "--single-transaction", "--file=-", path)
	pgRestore.Env = d.Env
	pgRestore.Stderr = restoreErr
	pgRestore.WaitDelay = waitDelay
	script, err := pgRestore.StdoutPipe()
	if err != nil {
		return err
	}

	psqlFailed := func(err error) error {
		return fmt.Errorf("psql: %w%s (the transaction was rolled back: the database is as it was)", withContext(ctx, err), psqlErr.lines(5, nestedTxWarnings...))
	}
	if err := psql.Start(); err != nil {
		return fmt.Errorf("psql: %w", err)
	}
	if _, err := io.WriteString(psqlIn, prelude); err != nil {
		return psqlFailed(psql.Wait())
	}
	if err := pgRestore.Start(); err != nil {
		killPsql()
		_ = psql.Wait()
		return fmt.Errorf("pg_restore: %w", err)
	}
	held := &holdback{w: psqlIn, n: holdBack}
	_, copyErr := io.Copy(held, script)
	if copyErr != nil { // psql stopped reading: it failed, or ctx was cancelled
		killRestore()
		_ = pgRestore.Wait()
		err := psql.Wait()
		if err == nil {
			err = copyErr
		}
		return psqlFailed(err)
	}
	if err := pgRestore.Wait(); err != nil {
		// psql has not seen the end of the script: kill it, with its stdin still open, so
		// that it cannot commit; the server rolls its transaction back.
		killPsql()
		_ = psql.Wait()
		return fmt.Errorf("pg_restore: %w%s (nothing was committed: the database is as it was)", withContext(ctx, err), restoreErr.lines(5))
	}
	if err := held.flush(); err != nil {
		return psqlFailed(psql.Wait())
	}
	if err := psqlIn.Close(); err != nil {
		return psqlFailed(psql.Wait())
	}
	if err := psql.Wait(); err != nil {
		return psqlFailed(err)
	}
	return nil
}

// prelude is the SQL run before the dump's script, in its transaction: it makes the database
// look as CREATE DATABASE left it.
func prelude(serverNum int, schemas []string) string {
	var b strings.Builder
	b.WriteString("SET client_min_messages = warning;\n")
	for _, s := range schemas {
		b.WriteString("DROP SCHEMA " + pgx.Identifier{s}.Sanitize() + " CASCADE;\n")
	}
	b.WriteString("SELECT count(pg_catalog.lo_unlink(oid)) FROM pg_catalog.pg_largeobject_metadata;\n")
	if serverMajor(serverNum) >= 1500 {
		b.WriteString("CREATE SCHEMA public AUTHORIZATION pg_database_owner;\n")
		b.WriteString("GRANT USAGE ON SCHEMA public TO PUBLIC;\n")
	} else {
		b.WriteString("CREATE SCHEMA public;\n")
		b.WriteString("GRANT ALL ON SCHEMA public TO PUBLIC;\n")
	}
	b.WriteString("COMMENT ON SCHEMA public IS 'standard public schema';\n")
	return b.String()
}

// userSchemasQuery lists the schemas a restore drops: all but the system ones.
const userSchemasQuery = `SELECT nspname FROM pg_catalog.pg_namespace
	WHERE nspname NOT IN ('pg_catalog', 'information_schema')
	  AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp%'
	ORDER BY nspname`

// inspect reads the server version and the user schemas.
func (d *Dumper) inspect(ctx context.Context) (int, []string, error) {
	c, err := pgx.Connect(ctx, d.ConnString)
	if err != nil {
		return 0, nil, err
	}
	defer c.Close(context.Background())
	num, err := serverVersion(ctx, c)
	if err != nil {
		return 0, nil, err
	}
	rows, err := c.Query(ctx, userSchemasQuery)
	if err != nil {
		return 0, nil, err
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return num, schemas, err
}

func (d *Dumper) queryServerVersion(ctx context.Context) (int, error) {
	c, err := pgx.Connect(ctx, d.ConnString)
	if err != nil {
		return 0, err
	}
	defer c.Close(context.Background())
	return serverVersion(ctx, c)
}

func serverVersion(ctx context.Context, c *pgx.Conn) (int, error) {
	var s string
	if err := c.QueryRow(ctx, "SHOW server_version_num").Scan(&s); err != nil {
		return 0, err
	}
	return strconv.Atoi(s)
}

// publish renames the complete dump tmp to its final name in dir — never over an existing
// file — and makes both durable.
func publish(tmp, dir, id string) (string, error) {
	f, err := os.Open(tmp)
	if err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	base := strings.TrimSuffix(id, ".dump")
	final := filepath.Join(dir, id)
	for i := 2; ; i++ {
		if _, err := os.Lstat(final); errors.Is(err, os.ErrNotExist) {
			break
		}
		if i > 100 {
			return "", fmt.Errorf("%s already exists", final)
		}
		final = filepath.Join(dir, fmt.Sprintf("%s-%d.dump", base, i))
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", err
	}
	if df, err := os.Open(dir); err == nil {
		err = df.Sync()
		df.Close()
		if err != nil {
			return "", fmt.Errorf("fsync %s: %w", dir, err)
		}
	}
	return final, nil
}

var unsafeLabel = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// backupID names a backup: zdcd-20261122T101500Z-v42.dump.
func backupID(at time.Time, label string) string {
	id := "zdcd-" + at.UTC().Format("20060102T150405Z")
	if l := strings.Trim(unsafeLabel.ReplaceAllString(label, "-"), "-."); l != "" {
		id += "-" + l
	}
	return id + ".dump"
}

func (d *Dumper) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dumper) logf(format string, args ...any) {
	if d.Log == nil {
		return
	}
	target, _ := parseConn(d.ConnString)
	fmt.Fprintln(d.Log, target.scrubString(fmt.Sprintf(format, args...)))
}

// conn is a parsed ConnString.
type conn struct {
	noPassword string // the libpq conninfo without the password, for --dbname
	redacted   string // host:port/db, for messages
	password   string
	redactor   *config.Redactor
}

// parseConn reads a postgres:// URL with config.ParseDatabaseURL — the parser every command uses —
// into the libpq conninfo the children get (without the password) and the password they get in
// PGPASSWORD, so pg_dump and psql connect where zdcd's own connection does: a socket directory,
// in either spelling, an IPv6 host, options=-c … alike.
func parseConn(s string) (conn, error) {
	d, err := config.ParseDatabaseURL(s)
	if err != nil {
		// ParseDatabaseURL's message never quotes the URL.
		return conn{}, fmt.Errorf("the database URL is malformed: %v", err)
	}
	c := conn{password: d.Password.Reveal(), noPassword: d.Conninfo(), redactor: config.NewRedactor(d.Password.Reveal())}
	host := d.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	c.redacted = fmt.Sprintf("%s:%d/%s", host, d.Port, d.Database)
	return c, nil
}

// env is the children's environment: base with PGPASSWORD set to the URL's password, if any.
func (c conn) env(base []string) []string {
	if c.password == "" {
		return base
	}
	return childenv.Set(base, "PGPASSWORD", c.password)
}

func (c conn) scrubString(s string) string { return c.redactor.Redact(s) }

// scrub builds an error from prefix, err's text and extra, with the password removed. It
// unwraps only to a context error, so that no caller can reach the unscrubbed text.
func (c conn) scrub(prefix string, err error, extra ...string) error {
	e := &scrubbedError{msg: c.scrubString(prefix + err.Error() + strings.Join(extra, ""))}
	switch {
	case errors.Is(err, context.Canceled):
		e.ctxErr = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		e.ctxErr = context.DeadlineExceeded
	}
	return e
}

type scrubbedError struct {
	msg    string
	ctxErr error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.ctxErr }

// withContext prefers the context's error to the "signal: killed" of a child it killed.
func withContext(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

// tail keeps the last bytes written to it: a child's stderr, bounded.
type tail struct{ buf []byte }

const tailSize = 16 << 10

func newTail() *tail { return &tail{} }

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	return len(p), nil
}

// nestedTxWarnings are the harmless warnings of psql's transaction around pg_restore's: its BEGIN
// inside psql's, psql's COMMIT after its.
var nestedTxWarnings = []string{"WARNING:  there is already a transaction in progress", "WARNING:  there is no transaction in progress"}

// lines renders the last n non-empty lines as ": a | b", or "" when there are none, leaving out
// the lines that contain one of skip.
func (t *tail) lines(n int, skip ...string) string {
	var out []string
next:
	for _, l := range strings.Split(string(bytes.TrimSpace(t.buf)), "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		for _, s := range skip {
			if strings.Contains(l, s) {
				continue next
			}
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return ""
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return ": " + strings.Join(out, " | ")
}

// holdback passes bytes on to w except the last n, which flush writes.
type holdback struct {
	w   io.Writer
	n   int
	buf []byte
}

func (h *holdback) Write(p []byte) (int, error) {
	h.buf = append(h.buf, p...)
	if over := len(h.buf) - h.n; over > 0 {
		if _, err := h.w.Write(h.buf[:over]); err != nil {
			return 0, err
		}
		h.buf = append(h.buf[:0], h.buf[over:]...)
	}
	return len(p), nil
}

func (h *holdback) flush() error {
	_, err := h.w.Write(h.buf)
	h.buf = nil
	return err
}
