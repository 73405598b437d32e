package ledger

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Schema is the PostgreSQL schema holding the ledger. It is never public: Django's migrations own
// public, and nothing of zdcd may appear in Django's namespace (or Django's in ours).
//
// It is not called "zdcd": PostgreSQL's default search_path is "$user", public, so for a role
// named zdcd (this repository's own test clusters use one) a schema "zdcd" becomes the first
// schema of the search path the moment it exists, and every table Django's migrate creates from
// then on lands in the ledger's schema instead of public. No role is called zdcd_ledger; Open also
// refuses to run if the connection's current schema is the ledger's (see CollisionError).
const Schema = "zdcd_ledger"

// Advisory lock guarding ledger schema upgrades, taken per upgrade transaction
// (pg_advisory_xact_lock). It uses the two-int4 key space, which PostgreSQL keeps apart from the
// single-bigint one, so it can never collide with a bigint release lock; the first key spells
// "zdcd".
const (
	lockClass  = 0x7a646364
	lockSchema = 1
)

// versionDigests is the ledger version that added plan digests and approvals bound to them
// (0002_plan_digests.sql). Readers of an older ledger (OpenExisting does not upgrade) do without.
const versionDigests = 2

//go:embed schema/*.sql
var schemaFS embed.FS

// schemaMigration is one embedded ledger migration, schema/NNNN_name.sql.
type schemaMigration struct {
	Version int
	Name    string
	SQL     string
}

// schemaMigrations returns the embedded migrations in version order.
func schemaMigrations() ([]schemaMigration, error) {
	entries, err := fs.Glob(schemaFS, "schema/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []schemaMigration
	for _, p := range entries {
		base := strings.TrimSuffix(strings.TrimPrefix(p, "schema/"), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("ledger migration %s: name must be NNNN_name.sql", p)
		}
		b, err := schemaFS.ReadFile(p)
		if err != nil {
			return nil, err
		}
		ms = append(ms, schemaMigration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("ledger migrations must be numbered 1, 2, 3...: found %04d_%s at position %d", m.Version, m.Name, i+1)
		}
	}
	return ms, nil
}

// LatestVersion is the ledger schema version this binary creates.
func LatestVersion() int {
	ms, err := schemaMigrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// PermissionError says the role cannot create the ledger (no CREATE on the database to create
// the zdcd schema, or no USAGE/CREATE on an existing zdcd schema). Its message names the fix.
type PermissionError struct {
	Role     string
	Database string
	// SchemaExists is true when the zdcd schema exists but the role cannot use it.
	SchemaExists bool
	Err          error
}

func (e *PermissionError) Error() string {
	role, db := pgx.Identifier{e.Role}.Sanitize(), pgx.Identifier{e.Database}.Sanitize()
	if e.SchemaExists {
		return fmt.Sprintf("the ledger schema %q exists but role %s cannot use it: run `GRANT USAGE, CREATE ON SCHEMA %s TO %s` as its owner",
			Schema, e.Role, Schema, role)
	}
	return fmt.Sprintf("role %s cannot create the ledger schema %q in database %s: run `GRANT CREATE ON DATABASE %s TO %s` "+
		"(or, as a privileged role, `CREATE SCHEMA %s AUTHORIZATION %s`)", e.Role, Schema, e.Database, db, role, Schema, role)
}

func (e *PermissionError) Unwrap() error { return e.Err }

// ensureSchema creates or upgrades the ledger schema. Each pending ledger migration runs in its
// own transaction holding the upgrade advisory lock, and re-checks the version under the lock,
// so concurrent callers apply each migration exactly once and re-running is a no-op. The common
// case (already up to date) costs one query and takes no lock.
func (p *Postgres) ensureSchema(ctx context.Context) error {
	ms, err := schemaMigrations()
	if err != nil {
		return err
	}
	if err := p.checkCollision(ctx); err != nil {
		return err
	}
	if v, err := p.readVersion(ctx, p.conn); err == nil && v >= len(ms) {
		p.version = v
		return nil
	}
	for {
		done := false
		err := p.tx(ctx, p.opts.UpgradeLockTimeout, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1::int4, $2::int4)", lockClass, lockSchema); err != nil {
				return fmt.Errorf("wait for the ledger upgrade lock: %w", err)
			}
			if err := p.bootstrap(ctx, tx); err != nil {
				return err
			}
			v, err := p.readVersion(ctx, tx)
			if err != nil {
				return err
			}
			p.version = v
			if v >= len(ms) {
				// Up to date, or newer than this binary (a rollback to an older zdcd): ledger
				// migrations only expand, so an older binary still writes correctly.
				done = true
				return nil
			}
			m := ms[v]
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("ledger migration %04d_%s: %w", m.Version, m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO zdcd_ledger.schema_version (version, name, applied_at) VALUES ($1, $2, $3)",
				m.Version, m.Name, p.now()); err != nil {
				return fmt.Errorf("record ledger migration %04d_%s: %w", m.Version, m.Name, err)
			}
			p.version = m.Version
			return nil
		})
		if err != nil {
			return p.permission(ctx, err)
		}
		if done {
			return p.checkCollision(ctx)
		}
	}
}

// bootstrap creates the schema and its version table when missing. CREATE SCHEMA needs CREATE on
// the database even with IF NOT EXISTS, so an existing schema (created for us by a DBA) is never
// re-created.
func (p *Postgres) bootstrap(ctx context.Context, tx pgx.Tx) error {
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", Schema).Scan(&exists); err != nil {
		return fmt.Errorf("look for the ledger schema: %w", err)
	}
	if !exists {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA zdcd_ledger"); err != nil {
			return fmt.Errorf("create the ledger schema: %w", err)
		}
		if _, err := tx.Exec(ctx, "COMMENT ON SCHEMA zdcd_ledger IS 'zdcd deploy ledger (zdcd-release history); managed by zdcd-release'"); err != nil {
			return fmt.Errorf("comment on the ledger schema: %w", err)
		}
	}
	_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS zdcd_ledger.schema_version (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL)`)
	if err != nil {
		return fmt.Errorf("create the ledger version table: %w", err)
	}
	return nil
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// CollisionError says the ledger's schema is the connection's current schema (the first schema
// of its search_path), where Django's migrate would create the app's tables.
type CollisionError struct {
	Role, SearchPath string
}

func (e *CollisionError) Error() string {
	return fmt.Sprintf("the ledger schema %q is the current schema of role %s (search_path %s): Django would create the app's tables in it; "+
		"set the role's search_path so that public (or the app's schema) comes first", Schema, e.Role, e.SearchPath)
}

// checkCollision refuses a connection whose current schema is the ledger's: a role named like
// the schema with "$user" in the search path, or a search_path naming the schema first. Checked
// on every Open, after creation too, since "$user" only resolves once the schema exists.
func (p *Postgres) checkCollision(ctx context.Context) error {
	var cur *string
	var role, path string
	if err := p.conn.QueryRow(ctx, "SELECT current_schema(), current_user, current_setting('search_path')").Scan(&cur, &role, &path); err != nil {
		return fmt.Errorf("read the current schema: %w", err)
	}
	if cur != nil && *cur == Schema {
		return &CollisionError{Role: role, SearchPath: path}
	}
	return nil
}

// readVersion returns the ledger schema version, 0 when the ledger does not exist yet.
func (p *Postgres) readVersion(ctx context.Context, q querier) (int, error) {
	var exists bool
	if err := q.QueryRow(ctx, "SELECT to_regclass('zdcd_ledger.schema_version') IS NOT NULL").Scan(&exists); err != nil {
		return 0, fmt.Errorf("look for the ledger version table: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := q.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM zdcd_ledger.schema_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read the ledger version: %w", err)
	}
	return v, nil
}

// permission turns an insufficient_privilege error into a *PermissionError naming the fix.
func (p *Postgres) permission(ctx context.Context, err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		return err
	}
	pe := &PermissionError{Err: err}
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = p.conn.QueryRow(qctx, "SELECT current_user, current_database(), EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", Schema).
		Scan(&pe.Role, &pe.Database, &pe.SchemaExists)
	return pe
}
