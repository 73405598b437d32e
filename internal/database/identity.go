package database

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// IdentityQuery names the database a session reaches as the server sees it: the database's name
// and OID and the server's start time (in microseconds since the epoch, so that the text does not
// depend on the session's TimeZone or DateStyle, which Django sets and zdcd does not). Two
// sessions with the same identity reach the same database, whatever their URLs say (localhost or
// 127.0.0.1, a host alias, a connection pooler in front of it).
//
// It is the one definition of the identity: zdcd's own sessions run it through Identity, and the
// migrate command's session guard (migrate/sitecustomize.py) gets this very text to run in the
// Django process, so that both sides compare like with like.
const IdentityQuery = `SELECT current_database() || '/' || d.oid::text || '/' || (extract(epoch FROM pg_postmaster_start_time()) * 1000000)::bigint::text
	FROM pg_database d WHERE d.datname = current_database()`

// Identity is IdentityQuery's answer on conn.
func Identity(ctx context.Context, conn *pgx.Conn) (string, error) {
	var id string
	if err := conn.QueryRow(ctx, IdentityQuery).Scan(&id); err != nil {
		return "", fmt.Errorf("identify the database: %w", err)
	}
	return id, nil
}
