package pgbackup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/zdcd/zdcd/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newDumper returns a Dumper of a fresh database, its tools those of the throwaway cluster.
func newDumper(t *testing.T) (*Dumper, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	return &Dumper{
		ConnString: pgtest.NewDatabase(t),
		Dir:        filepath.Join(t.TempDir(), "backups"),
		BinDir:     pgtest.Shared(t).BinDir,
		Env:        []string{"PATH=/usr/bin:/bin", "LC_ALL=C"},
		Log:        &log,
	}, &log
}

func connect(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func mustExec(t *testing.T, c *pgx.Conn, sql string) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// snapshot renders what a restore must bring back: schemas, tables with their columns, every
// row, constraints, indexes, sequences' positions, large objects, and public's owner and ACL.
func snapshot(t *testing.T, dbURL string) string {
	t.Helper()
	ctx := context.Background()
	c := connect(t, dbURL)
	var b strings.Builder
	lines := func(sql string) []string {
		rows, err := c.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return out
	}
	for _, l := range lines(`SELECT nspname || ' owner=' || pg_get_userbyid(nspowner) || ' acl=' || coalesce(nspacl::text, '-')
		|| ' comment=' || coalesce(obj_description(oid, 'pg_namespace'), '-')
		FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema')
		AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp%' ORDER BY 1`) {
		fmt.Fprintln(&b, "schema", l)
	}
	tables := lines(`SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
	for _, tbl := range tables {
		fmt.Fprintln(&b, "table", tbl)
		for _, col := range lines(`SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
			FROM pg_attribute a WHERE a.attrelid = '` + tbl + `'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`) {
			fmt.Fprintln(&b, "  column", col)
		}
		for _, row := range lines(`SELECT t::text FROM ` + tbl + ` t ORDER BY 1`) {
			fmt.Fprintln(&b, "  row", row)
		}
	}
	for _, l := range lines(`SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
		WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) ORDER BY 1`) {
		fmt.Fprintln(&b, "constraint", l)
	}
	for _, l := range lines(`SELECT indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`) {
		fmt.Fprintln(&b, "index", l)
	}
	for _, l := range lines(`SELECT format('%I.%I %s', schemaname, sequencename, coalesce(last_value::text, '-')) FROM pg_sequences ORDER BY 1`) {
		fmt.Fprintln(&b, "sequence", l)
	}
	for _, l := range lines(`SELECT oid::text || ' ' || encode(lo_get(oid), 'escape') FROM pg_largeobject_metadata ORDER BY oid`) {
		fmt.Fprintln(&b, "large object", l)
	}
	return b.String()
}

// seed fills a database with what a Django app has: tables with rows, a sequence, an index, a
// foreign key, a second schema, a view, a large object.
func seed(t *testing.T, c *pgx.Conn) {
	t.Helper()
	mustExec(t, c, `CREATE TABLE author (id bigserial PRIMARY KEY, name text NOT NULL, email text UNIQUE);
		CREATE TABLE book (id bigserial PRIMARY KEY, author_id bigint NOT NULL REFERENCES author, title text, pages int);
		CREATE INDEX book_title ON book (title);
		INSERT INTO author (name, email) VALUES ('Le Guin', 'ulg@example.com'), ('Pratchett', 'tp@example.com');
		INSERT INTO book (author_id, title, pages) VALUES (1, 'The Dispossessed', 387), (2, 'Small Gods', 284), (2, 'Mort', 272);
		CREATE SCHEMA reporting;
		CREATE TABLE reporting.daily (day date PRIMARY KEY, sales numeric(10, 2));
		INSERT INTO reporting.daily VALUES ('2026-11-21', 12.50);
		CREATE VIEW reporting.books_per_author AS SELECT author_id, count(*) FROM book GROUP BY author_id;
		SELECT lo_from_bytea(424242, 'large object bytes');`)
}

func TestCaptureThenRestoreBringsBackTheDatabaseAsCaptured(t *testing.T) {
	ctx := context.Background()
	d, log := newDumper(t)
	c := connect(t, d.ConnString)
	seed(t, c)
	before := snapshot(t, d.ConnString)

	b, err := d.Capture(ctx, "v42")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.ID, "zdcd-") || !strings.HasSuffix(b.ID, "-v42.dump") || b.Path != filepath.Join(d.Dir, b.ID) {
		t.Errorf("backup = %+v", b)
	}
	if st, err := os.Stat(b.Path); err != nil || st.Size() != b.Size || b.Size == 0 || st.Mode().Perm() != 0o600 {
		t.Errorf("dump file: %v, %v (backup says %d bytes)", st, err, b.Size)
	}
	if st, err := os.Stat(d.Dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("backup directory: %v, %v: want mode 0700", st, err)
	}
	if entries, _ := os.ReadDir(d.Dir); len(entries) != 1 {
		t.Errorf("backup directory holds %d entries, want the dump only", len(entries))
	}

	// What a failed migration (and a user) might have done since.
	mustExec(t, c, `INSERT INTO author (name) VALUES ('Banks');
		DELETE FROM book WHERE title = 'Mort';
		UPDATE reporting.daily SET sales = 0;
		CREATE TABLE shop_coupon (id serial PRIMARY KEY, code text);
		INSERT INTO shop_coupon (code) VALUES ('XMAS');
		CREATE SCHEMA scratch;
		CREATE TABLE scratch.t (x int);
		DROP VIEW reporting.books_per_author;
		ALTER TABLE book DROP COLUMN pages;
		ALTER TABLE author ADD COLUMN born date;
		DROP INDEX book_title;
		SELECT lo_unlink(424242);
		SELECT lo_from_bytea(515151, 'new');
		DROP SCHEMA public CASCADE;
		CREATE SCHEMA public;
		CREATE TABLE public.author (id int);`)
	if snapshot(t, d.ConnString) == before {
		t.Fatal("the mutations changed nothing: the test proves nothing")
	}

	if err := d.Restore(ctx, b); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, d.ConnString); after != before {
		t.Errorf("after restore:\n%s\nwant, as captured:\n%s", after, before)
	}
	// public is as CREATE DATABASE makes it.
	fresh := snapshot(t, pgtest.NewDatabase(t))
	if got := snapshot(t, d.ConnString); !strings.Contains(got, firstLine(fresh)) {
		t.Errorf("public after restore: %q, want as in a fresh database: %q", firstLine(got), firstLine(fresh))
	}
	// The sequences go on where they were: a new row does not collide.
	mustExec(t, c, `INSERT INTO author (name) VALUES ('Jemisin')`)

	// Restoring again is idempotent.
	if err := d.Restore(ctx, Backup{ID: b.ID}); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, d.ConnString); after != before {
		t.Errorf("after a second restore:\n%s\nwant:\n%s", after, before)
	}
	if !strings.Contains(log.String(), "restored "+b.ID) {
		t.Errorf("log = %q", log.String())
	}
}

// A restore that fails half-way in psql — the data went in, then a constraint does not hold —
// leaves the database as it was before the restore, not empty and not half restored.
func TestRestoreFailingInPsqlLeavesTheDatabaseAsItWas(t *testing.T) {
	ctx := context.Background()
	d, _ := newDumper(t)
	c := connect(t, d.ConnString)
	seed(t, c)
	// A row breaking book's foreign key, slipped in with the constraint's triggers off: the
	// dump holds it, and re-creating the (valid) foreign key after the data fails.
	mustExec(t, c, `ALTER TABLE book DISABLE TRIGGER ALL;
		INSERT INTO book (author_id, title) VALUES (999, 'orphan');
		ALTER TABLE book ENABLE TRIGGER ALL;`)
	b, err := d.Capture(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, c, `INSERT INTO author (name) VALUES ('Banks'); CREATE TABLE new_table (x int); CREATE SCHEMA new_schema;
		ALTER TABLE book DROP COLUMN pages`)
	before := snapshot(t, d.ConnString)

	err = d.Restore(ctx, b)
	t.Logf("error: %v", err)
	if err == nil {
		t.Fatal("restore of a dump whose foreign key cannot be re-created succeeded")
	}
	if !strings.Contains(err.Error(), "psql") || !strings.Contains(err.Error(), "foreign key") || strings.Contains(err.Error(), "WARNING") {
		t.Errorf("error = %v, want psql's error about the foreign key", err)
	}
	if after := snapshot(t, d.ConnString); after != before {
		t.Errorf("after a failed restore:\n%s\nwant, as before it:\n%s", after, before)
	}
}

// A dump that pg_restore cannot read to its end (truncated) is not committed half-way: psql has
// run the start of the script when pg_restore fails, and is killed before it can commit.
func TestRestoreOfATruncatedDumpLeavesTheDatabaseAsItWas(t *testing.T) {
	ctx := context.Background()
	d, _ := newDumper(t)
	c := connect(t, d.ConnString)
	seed(t, c)
	// Enough data that the script psql has received when pg_restore fails is well past the
	// prelude and the CREATE TABLEs (more than the held-back end of the script).
	mustExec(t, c, `CREATE TABLE zz_events (id int PRIMARY KEY, payload text);
		INSERT INTO zz_events SELECT i, md5(i::text) FROM generate_series(1, 200000) i`)
	b, err := d.Capture(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	// Truncate the dump inside zz_events' data, the largest and last data block.
	if err := os.Truncate(b.Path, b.Size*3/4); err != nil {
		t.Fatal(err)
	}
	mustExec(t, c, `DELETE FROM zz_events WHERE id > 10; CREATE TABLE after_capture (x int); INSERT INTO author (name) VALUES ('Banks')`)
	before := snapshot(t, d.ConnString)

	err = d.Restore(ctx, b)
	t.Logf("error: %v", err)
	if err == nil {
		t.Fatal("restore of a truncated dump succeeded")
	}
	if !strings.Contains(err.Error(), "pg_restore") {
		t.Errorf("error = %v, want pg_restore's", err)
	}
	if after := snapshot(t, d.ConnString); after != before {
		t.Errorf("after a failed restore:\n%.3000s\nwant, as before it:\n%.3000s", after, before)
	}
}

// Cancelling the context kills psql mid-restore; its transaction is rolled back.
func TestCancelledRestoreLeavesTheDatabaseAsItWas(t *testing.T) {
	d, _ := newDumper(t)
	c := connect(t, d.ConnString)
	seed(t, c)
	b, err := d.Capture(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, c, `CREATE TABLE after_capture (x int)`)
	before := snapshot(t, d.ConnString)

	// Another session holds a lock on book: the prelude's DROP SCHEMA public waits for it.
	blocker := connect(t, d.ConnString)
	mustExec(t, blocker, `BEGIN; LOCK TABLE book IN ACCESS SHARE MODE`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Restore(ctx, b) }()
	waitForLockWait(t, c, "psql")
	cancel()
	err = <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	mustExec(t, blocker, `ROLLBACK`)
	if after := snapshot(t, d.ConnString); after != before {
		t.Errorf("after a cancelled restore:\n%s\nwant:\n%s", after, before)
	}
}

// waitForLockWait polls, bounded, until a backend of application app waits on a lock.
func waitForLockWait(t *testing.T, c *pgx.Conn, app string) {
	t.Helper()
	for i := 0; i < 2000; i++ {
		var n int
		if err := c.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock'`, app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s session ever waited on the lock", app)
}

// A capture that fails or is cancelled leaves no file in the backup directory.
func TestFailedCaptureLeavesNoFile(t *testing.T) {
	t.Run("cancelled mid-dump", func(t *testing.T) {
		d, _ := newDumper(t)
		c := connect(t, d.ConnString)
		seed(t, c)
		blocker := connect(t, d.ConnString)
		mustExec(t, blocker, `BEGIN; LOCK TABLE book IN ACCESS EXCLUSIVE MODE`)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := d.Capture(ctx, "v1")
			done <- err
		}()
		waitForLockWait(t, c, "pg_dump")
		// pg_dump is running and has its output file open.
		if entries, _ := os.ReadDir(d.Dir); len(entries) != 1 || !strings.Contains(entries[0].Name(), ".partial-") {
			t.Errorf("while dumping, the directory holds %v, want one partial file", entries)
		}
		cancel()
		err := <-done
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
		mustExec(t, blocker, `ROLLBACK`)
		if entries, _ := os.ReadDir(d.Dir); len(entries) != 0 {
			t.Errorf("after a cancelled capture the directory holds %v", entries)
		}
	})
	t.Run("server gone", func(t *testing.T) {
		d, _ := newDumper(t)
		d.ConnString = deadURL(t)
		d.ServerVersion = 150000 // so that pg_dump itself runs and fails
		if _, err := d.Capture(context.Background(), "v1"); err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Fatalf("error = %v, want pg_dump's", err)
		}
		if entries, _ := os.ReadDir(d.Dir); len(entries) != 0 {
			t.Errorf("after a failed capture the directory holds %v", entries)
		}
	})
}

// deadURL is a database URL, with a password, of a port nothing listens on.
func deadURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return "postgres://zdcd:s3cr3t-Pa55word@127.0.0.1:" + strconv.Itoa(port) + "/app?sslmode=disable"
}

// The password is in no error and no log line, whatever fails; and never on a command line.
func TestPasswordNeverShown(t *testing.T) {
	ctx := context.Background()
	cluster := pgtest.Shared(t)
	good, _ := newDumper(t)
	backup, err := good.Capture(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	wrongDB := cluster.URL("no_such_database")

	// A pg_dump and a psql that print their arguments and environment, then fail; a pg_restore
	// that succeeds.
	fake := t.TempDir()
	argsFile := filepath.Join(fake, "args")
	for _, name := range []string{"pg_dump", "pg_restore", "psql"} {
		script := "#!/bin/sh\ncase \"$1\" in --version) echo \"" + name + " (PostgreSQL) 15.4\"; exit 0;; esac\n" +
			"echo \"$@\" >> " + argsFile + "\necho \"" + name + ": error: args $* password $PGPASSWORD\" >&2\nexit 1\n"
		if name == "pg_restore" {
			script = "#!/bin/sh\necho \"$@\" >> " + argsFile + "\necho 'SELECT 1;'\n"
		}
		if err := os.WriteFile(filepath.Join(fake, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name     string
		url      string
		binDir   string
		version  int
		restore  bool
		password string
	}{
		{name: "capture, server gone, version given", url: deadURL(t), version: 150000, password: "s3cr3t-Pa55word"},
		{name: "capture, server gone, version queried", url: deadURL(t), password: "s3cr3t-Pa55word"},
		{name: "capture, no such database", url: wrongDB, password: cluster.Password},
		{name: "capture, pg_dump prints the password", url: good.ConnString, binDir: fake, version: 150000, password: cluster.Password},
		{name: "capture, password in a parameter", url: strings.Replace(deadURL(t), "zdcd:s3cr3t-Pa55word@", "zdcd@", 1) + "&password=s3cr3t-Pa55word",
			binDir: fake, version: 150000, password: "s3cr3t-Pa55word"},
		{name: "restore, server gone", url: deadURL(t), restore: true, password: "s3cr3t-Pa55word"},
		{name: "restore, no such database", url: wrongDB, restore: true, password: cluster.Password},
		{name: "restore, tools print the password", url: good.ConnString, binDir: fake, restore: true, password: cluster.Password},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = os.Remove(argsFile)
			d, log := newDumper(t)
			d.ConnString, d.ServerVersion = tt.url, tt.version
			if tt.binDir != "" {
				d.BinDir = tt.binDir
			}
			if tt.restore {
				err = d.Restore(ctx, backup)
			} else {
				_, err = d.Capture(ctx, "v1")
			}
			t.Logf("error: %v", err)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), tt.password) || strings.Contains(log.String(), tt.password) {
				t.Errorf("the password is shown:\nerror: %v\nlog: %s", err, log)
			}
			if tt.binDir != "" {
				if !strings.Contains(err.Error(), "password ********") {
					t.Errorf("error = %v, want the tool's stderr, scrubbed", err)
				}
				args, _ := os.ReadFile(argsFile)
				if len(args) == 0 || strings.Contains(string(args), tt.password) {
					t.Errorf("command lines %q: want some, without the password", args)
				}
			}
			if entries, _ := os.ReadDir(d.Dir); len(entries) != 0 {
				t.Errorf("after a failure the directory holds %v", entries)
			}
		})
	}
}

func TestCaptureRefusesAnOlderPgDump(t *testing.T) {
	d, _ := newDumper(t)
	d.ServerVersion = 990001 // PostgreSQL 99
	_, err := d.Capture(context.Background(), "v1")
	t.Logf("error: %v", err)
	if !errors.Is(err, ErrToolTooOld) {
		t.Fatalf("error = %v, want ErrToolTooOld", err)
	}
	msg := err.Error()
	for _, want := range []string{"pg_dump", "version 15", "PostgreSQL 99", "postgresql-client-99", "ZDCD_PG_BINDIR"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error %q is not one line", msg)
	}
	if entries, _ := os.ReadDir(d.Dir); len(entries) != 0 {
		t.Errorf("a refused capture left %v", entries)
	}
}

func TestVersions(t *testing.T) {
	tests := []struct {
		out       string
		dumpMajor int
		server    int
		ok        bool
	}{
		{out: "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n", dumpMajor: 1500, server: 150004, ok: true},
		{out: "pg_dump (PostgreSQL) 16.2", dumpMajor: 1600, server: 150004, ok: true},
		{out: "pg_dump (PostgreSQL) 14.11", dumpMajor: 1400, server: 150004, ok: false},
		{out: "pg_dump (PostgreSQL) 17devel", dumpMajor: 1700, server: 170000, ok: true},
		{out: "pg_dump (PostgreSQL) 9.6.24", dumpMajor: 906, server: 100001, ok: false},
		{out: "pg_dump (PostgreSQL) 10.23", dumpMajor: 1000, server: 90624, ok: true},
	}
	for _, tt := range tests {
		got, err := parseToolVersion(tt.out)
		if err != nil || got != tt.dumpMajor {
			t.Errorf("parseToolVersion(%q) = %d, %v, want %d", tt.out, got, err, tt.dumpMajor)
		}
		if err := checkDumpVersion("pg_dump", got, tt.server); (err == nil) != tt.ok {
			t.Errorf("checkDumpVersion(%d, %d) = %v, want ok=%v", got, tt.server, err, tt.ok)
		}
	}
	if err := checkDumpVersion("/usr/bin/pg_dump", 906, 150004); err == nil || !strings.Contains(err.Error(), "version 9.6 but the server is PostgreSQL 15") {
		t.Errorf("checkDumpVersion = %v", err)
	}
	if _, err := parseToolVersion("something else"); err == nil {
		t.Error("parseToolVersion accepted garbage")
	}
}

func TestFindTools(t *testing.T) {
	mk := func(dir string, names ...string) string {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	root := t.TempDir()
	all := []string{"pg_dump", "pg_restore", "psql"}
	lib := filepath.Join(root, "lib")
	mk(filepath.Join(lib, "9.6", "bin"), all...)
	mk(filepath.Join(lib, "16", "bin"), "pg_dump", "pg_restore", "psql")
	mk(filepath.Join(lib, "17", "bin"), "psql") // newest, but only psql
	onPath := mk(filepath.Join(root, "path"), "pg_dump")
	pinned := mk(filepath.Join(root, "pinned"), all...)
	partial := mk(filepath.Join(root, "partial"), "pg_dump", "psql")

	tests := []struct {
		name    string
		binDir  string
		env     []string
		want    Tools
		wantErr string
	}{
		{name: "ZDCD_PG_BINDIR", env: []string{"ZDCD_PG_BINDIR=" + pinned, "PATH=" + onPath},
			want: Tools{filepath.Join(pinned, "pg_dump"), filepath.Join(pinned, "pg_restore"), filepath.Join(pinned, "psql")}},
		{name: "ZDCD_PG_BINDIR missing a tool", env: []string{"ZDCD_PG_BINDIR=" + partial, "PATH=" + onPath}, wantErr: "pg_restore not found in " + partial},
		{name: "BinDir wins over ZDCD_PG_BINDIR", binDir: pinned, env: []string{"ZDCD_PG_BINDIR=" + partial},
			want: Tools{filepath.Join(pinned, "pg_dump"), filepath.Join(pinned, "pg_restore"), filepath.Join(pinned, "psql")}},
		{name: "PATH, then the newest lib directory having the tool", env: []string{"PATH=" + onPath},
			want: Tools{filepath.Join(onPath, "pg_dump"), filepath.Join(lib, "16", "bin", "pg_restore"), filepath.Join(lib, "17", "bin", "psql")}},
		{name: "nowhere", env: []string{"PATH=" + onPath}, wantErr: "pg_restore not found on PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			libDir := lib
			if tt.name == "nowhere" {
				libDir = filepath.Join(root, "none")
			}
			got, err := findTools(tt.binDir, tt.env, libDir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("findTools = %+v, %v, want %+v", got, err, tt.want)
			}
		})
	}
}

func TestBackupID(t *testing.T) {
	at := time.Date(2026, 11, 22, 11, 15, 0, 0, time.FixedZone("CET", 3600))
	tests := map[string]string{
		"v42":            "zdcd-20261122T101500Z-v42.dump",
		"":               "zdcd-20261122T101500Z.dump",
		"../etc/pass wd": "zdcd-20261122T101500Z-etc-pass-wd.dump",
	}
	for label, want := range tests {
		if got := backupID(at, label); got != want {
			t.Errorf("backupID(%q) = %q, want %q", label, got, want)
		}
	}
}

// Two captures in the same second with the same label do not overwrite each other.
func TestCaptureNeverOverwrites(t *testing.T) {
	d, _ := newDumper(t)
	at := time.Date(2026, 11, 22, 10, 15, 0, 0, time.UTC)
	d.Now = func() time.Time { return at }
	a, err := d.Capture(context.Background(), "v1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Capture(context.Background(), "v1")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "zdcd-20261122T101500Z-v1.dump" || b.ID != "zdcd-20261122T101500Z-v1-2.dump" {
		t.Errorf("ids = %s, %s", a.ID, b.ID)
	}
}

func TestParseConn(t *testing.T) {
	// A password parameter overrides the userinfo's, as in libpq.
	c, err := parseConn("postgres://u:old@h:5432/db?sslmode=require&password=p%40ss")
	if err != nil {
		t.Fatal(err)
	}
	if c.password != "p@ss" || c.noPassword != "host='h' port='5432' dbname='db' user='u' sslmode='require'" {
		t.Errorf("parseConn = %+v", c)
	}
	if got := c.scrubString("x p@ss p%40ss"); got != "x ******** ********" {
		t.Errorf("scrub = %q", got)
	}
	// Both socket spellings, IPv6 and options reach the tools as libpq keywords.
	for in, want := range map[string]string{
		"postgres://u:pw@%2Frun%2Fpg:5433/db":                        "host='/run/pg' port='5433' dbname='db' user='u'",
		"postgres:///db?host=/run/pg&user=u":                         "host='/run/pg' port='5432' dbname='db' user='u'",
		"postgresql://u@[::1]:5432/d%27b":                            `host='::1' port='5432' dbname='d\'b' user='u'`,
		"postgres://u@h/db?options=-c%20statement_timeout%3D30000":   "host='h' port='5432' dbname='db' user='u' options='-c statement_timeout=30000'",
		"postgres://u:pw@h/db?sslpassword=k3y-secret&sslmode=verify": "host='h' port='5432' dbname='db' user='u' sslmode='verify'",
	} {
		c, err := parseConn(in)
		if err != nil || c.noPassword != want {
			t.Errorf("parseConn(%s) = %q, %v; want %q", in, c.noPassword, err, want)
		}
	}
	if _, err := parseConn("host=h password=hunter2"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("parseConn of a key=value string: %v", err)
	}
	u, _ := url.Parse("postgres://h/db")
	if c, err := parseConn(u.String()); err != nil || c.password != "" || len(c.env([]string{"A=1"})) != 1 {
		t.Errorf("no password: %+v, %v", c, err)
	}
}
