// Package database is zdcd's connection to the application's PostgreSQL database (pgx): what the
// server is, and which Django migrations it has applied.
package database

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/plan"
)

// DefaultConnectTimeout bounds a connection attempt when the URL sets no connect_timeout.
const DefaultConnectTimeout = 10 * time.Second

// ConnectError says the database could not be reached or refused us. Its message names where we
// tried to connect (never the password) and why.
type ConnectError struct {
	// Target is "host:port/dbname".
	Target string
	// Var is the variable the URL came from ("DATABASE_URL").
	Var    string
	Reason string
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("cannot connect to the database at %s (from %s): %s", e.Target, e.Var, e.Reason)
}

// DB is an open connection.
type DB struct {
	Conn *pgx.Conn
}

// ApplicationName is the application_name of zdcd-release's own sessions.
const ApplicationName = "zdcd-release"

// Connect opens a connection. connString is a postgres:// URL; varName names where it came from,
// for error messages. A URL that reaches a connection pooler zdcd cannot work through (one that
// refuses the startup parameters, or pools by transaction or statement) is a *PoolerError.
func Connect(ctx context.Context, connString, varName string) (*DB, error) {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		// pgx's parse errors can quote the URL, password included: never pass them on.
		return nil, &ConnectError{Target: "?", Var: varName, Reason: "the URL cannot be parsed by the PostgreSQL driver"}
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	// zdcd's own sessions are identifiable in pg_stat_activity (the release lock's holder, the
	// app's DBA) unless the URL names an application_name itself.
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = ApplicationName
	}
	target := fmt.Sprintf("%s/%s", net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)), cfg.Database)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		if pe := startupRefused(err, varName, cfg.Password); pe != nil {
			return nil, pe
		}
		return nil, &ConnectError{Target: target, Var: varName, Reason: reason(err, cfg.Password)}
	}
	// Every command that reads or writes the database connects here first: a URL that reaches a
	// transaction pooler is refused now, before anything is read or changed (pooler.go).
	if err := checkPooler(ctx, conn, cfg, varName); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return &DB{Conn: conn}, nil
}

// reason reduces a pgx connect error to its cause, in one line, without the password.
func reason(err error, password string) string {
	var pgErr *pgconn.PgError
	var msg string
	switch {
	case errors.As(err, &pgErr):
		msg = pgErr.Message
		if pgErr.Code == "28P01" || pgErr.Code == "28000" {
			msg += ": check the user and password in the URL"
		}
		if pgErr.Code == "3D000" {
			msg += ": check the database name in the URL"
		}
	case errors.Is(err, context.DeadlineExceeded):
		msg = "timed out: is the host reachable, and the port right?"
	default:
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Err != nil {
			msg = opErr.Err.Error()
			var dnsErr *net.DNSError
			if errors.As(err, &dnsErr) {
				msg = "host not found: " + dnsErr.Name
			}
		} else {
			msg = err.Error()
			// pgconn prefixes "failed to connect to `user=... database=...`: "; keep the cause.
			if i := strings.LastIndex(msg, ": "); i >= 0 {
				msg = msg[i+2:]
			}
		}
	}
	msg = config.NewRedactor(password).Redact(msg)
	return strings.ReplaceAll(msg, "\n", " ")
}

// Close closes the connection.
func (db *DB) Close(ctx context.Context) error { return db.Conn.Close(ctx) }

// ServerVersion returns server_version_num (150004 for 15.4).
func (db *DB) ServerVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.Conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&v); err != nil {
		return 0, fmt.Errorf("read server_version_num: %w", err)
	}
	return v, nil
}

// AppliedMigrations returns the rows of django_migrations (found through search_path, as Django
// finds it), sorted. A database where Django never ran has none.
func (db *DB) AppliedMigrations(ctx context.Context) ([]plan.MigrationKey, error) {
	var exists bool
	if err := db.Conn.QueryRow(ctx, "SELECT to_regclass('django_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return nil, fmt.Errorf("look for django_migrations: %w", err)
	}
	if !exists {
		return []plan.MigrationKey{}, nil
	}
	rows, err := db.Conn.Query(ctx, "SELECT app, name FROM django_migrations")
	if err != nil {
		return nil, fmt.Errorf("read django_migrations: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (plan.MigrationKey, error) {
		var k plan.MigrationKey
		err := r.Scan(&k.App, &k.Name)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("read django_migrations: %w", err)
	}
	SortKeys(keys)
	return keys, nil
}

// SortKeys sorts migration keys by app, then name.
func SortKeys(keys []plan.MigrationKey) {
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].App != keys[j].App {
			return keys[i].App < keys[j].App
		}
		return keys[i].Name < keys[j].Name
	})
}
