package pgbackup

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Restorability (zdcd-release release, local backups): a backup the connecting role cannot
// restore is no backup. Restore drops every user schema and recreates what the dump holds, as
// this role, so CheckRestorable proves before any migration that the role can do each part of it,
// reading the dump's table of contents (pg_restore --list) and the role's privileges:
//
//   - a superuser can restore anything;
//   - otherwise the role must have CREATE on the database (the dump's CREATE SCHEMA), own (or
//     have the privileges of the owner of) every user schema the prelude drops and every large
//     object it unlinks, and be able to create again every extension of the dump that the prelude
//     drops with its schema: one marked trusted (PostgreSQL 13+), not one a provider installed as
//     superuser (pg_buffercache, pg_stat_statements …);
//   - entries only a superuser can create (event triggers, procedural languages other than
//     plpgsql, subscriptions) are refused.
//
// A rehearsal (restoring into the live database in a transaction rolled back) would prove more
// but takes ACCESS EXCLUSIVE locks on every table for the length of a restore, under live
// traffic; a scratch database needs CREATEDB, which Heroku roles lack. This check takes no lock.

// ErrNotRestorable is wrapped by CheckRestorable's error.
var ErrNotRestorable = errors.New("the backup could not be restored by this role")

// CheckRestorable returns an error wrapping ErrNotRestorable, saying what would fail and what to
// change, when the role of ConnString could not restore b; nil when it could.
func (d *Dumper) CheckRestorable(ctx context.Context, b Backup) error {
	target, err := parseConn(d.ConnString)
	if err != nil {
		return fmt.Errorf("check backup %s: %w", b.ID, err)
	}
	tools, err := FindTools(d.BinDir, d.Env)
	if err != nil {
		return fmt.Errorf("check backup %s: %w", b.ID, err)
	}
	stderr := newTail()
	cmd := exec.CommandContext(ctx, tools.PgRestore, "--list", b.Path)
	cmd.Env = d.Env
	cmd.Stderr = stderr
	cmd.WaitDelay = waitDelay
	out, err := cmd.Output()
	if err != nil {
		return target.scrub("check backup "+b.ID+": pg_restore --list: ", withContext(ctx, err), stderr.lines(5))
	}
	toc := parseTOC(out)

	c, err := pgx.Connect(ctx, d.ConnString)
	if err != nil {
		return target.scrub("check backup "+b.ID+": ", err)
	}
	defer c.Close(context.Background())
	problems, role, err := restoreProblems(ctx, c, toc)
	if err != nil {
		return target.scrub("check backup "+b.ID+": ", err)
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: role %s %s; run the release as a role that can restore it (the database owner, with the provider's extensions in a schema it keeps, or a superuser), or set ZDCD_BACKUP=never and back up another way",
		ErrNotRestorable, role, strings.Join(problems, "; "))
}

// tocEntry is one line of pg_restore --list: its description (EXTENSION, EVENT TRIGGER, …) and
// name.
type tocEntry struct{ desc, name string }

// tocDescs are the descriptions CheckRestorable looks at, longest first.
var tocDescs = []string{"PROCEDURAL LANGUAGE", "EVENT TRIGGER", "SUBSCRIPTION", "EXTENSION"}

// parseTOC reads pg_restore --list: "id; tableoid oid DESC schema name owner" lines, ";" comments.
func parseTOC(out []byte) []tocEntry {
	var entries []tocEntry
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, ";") {
			continue
		}
		_, rest, ok := strings.Cut(line, "; ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 3 {
			continue
		}
		rest = strings.Join(f[2:], " ")
		for _, desc := range tocDescs {
			if after, ok := strings.CutPrefix(rest, desc+" "); ok {
				// schema (or "-"), name, owner
				g := strings.Fields(after)
				name := ""
				if len(g) >= 2 {
					name = g[1]
				}
				entries = append(entries, tocEntry{desc: desc, name: name})
				break
			}
		}
	}
	return entries
}

// restoreProblems lists what the connecting role could not do in a restore of toc.
func restoreProblems(ctx context.Context, c *pgx.Conn, toc []tocEntry) ([]string, string, error) {
	var (
		role      string
		super     bool
		createDB  bool
		serverNum int
	)
	if err := c.QueryRow(ctx, `SELECT current_user, rolsuper, has_database_privilege(current_database(), 'CREATE'),
		current_setting('server_version_num')::int FROM pg_roles WHERE rolname = current_user`).Scan(&role, &super, &createDB, &serverNum); err != nil {
		return nil, "", err
	}
	role = pgx.Identifier{role}.Sanitize()
	if super {
		return nil, role, nil
	}
	var problems []string
	if !createDB {
		problems = append(problems, "lacks CREATE on the database (the restore recreates its schemas)")
	}
	rows, err := c.Query(ctx, `SELECT nspname FROM pg_catalog.pg_namespace
		WHERE nspname NOT IN ('pg_catalog', 'information_schema')
		  AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp%'
		  AND NOT pg_has_role(current_user, nspowner, 'USAGE')
		ORDER BY nspname`)
	if err != nil {
		return nil, "", err
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, "", err
	}
	if len(schemas) > 0 {
		problems = append(problems, "does not own schema "+strings.Join(schemas, ", ")+" (the restore drops and recreates it)")
	}
	var los int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_catalog.pg_largeobject_metadata WHERE NOT pg_has_role(current_user, lomowner, 'USAGE')`).Scan(&los); err != nil {
		return nil, "", err
	}
	if los > 0 {
		problems = append(problems, fmt.Sprintf("does not own %d large object(s) (the restore unlinks them)", los))
	}
	for _, e := range toc {
		switch e.desc {
		case "EXTENSION":
			// An extension kept by the prelude (in pg_catalog, as plpgsql) is not created again.
			var inCatalog, trusted bool
			q := `SELECT coalesce((SELECT n.nspname = 'pg_catalog' FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace WHERE x.extname = $1), false), false`
			if serverNum >= 130000 {
				q = `SELECT coalesce((SELECT n.nspname = 'pg_catalog' FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace WHERE x.extname = $1), false),
					coalesce((SELECT bool_or(trusted) FROM pg_available_extension_versions WHERE name = $1), false)`
			}
			if err := c.QueryRow(ctx, q, e.name).Scan(&inCatalog, &trusted); err != nil {
				return nil, "", err
			}
			if !inCatalog && !trusted {
				problems = append(problems, "cannot create extension "+e.name+" again (not trusted: only a superuser can; the restore drops it with its schema)")
			}
		case "PROCEDURAL LANGUAGE":
			if e.name != "plpgsql" {
				problems = append(problems, "cannot create procedural language "+e.name+" (superuser only)")
			}
		default:
			problems = append(problems, "cannot create "+strings.ToLower(e.desc)+" "+e.name+" (superuser only)")
		}
	}
	return problems, role, nil
}
