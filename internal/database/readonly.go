package database

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ReadOnlyError says the database cannot be written through this connection: a hot standby, or
// default_transaction_read_only on (for the role, the database, the pair, the connection or the
// server). The release, nightly and rollback flows refuse it before anything (exit 2): every
// write they make (the ledger, the migrations) would fail, and the error PostgreSQL gives once
// the ledger exists ("cannot execute INSERT in a read-only transaction") reads like a busy ledger.
type ReadOnlyError struct {
	// Var names where the URL came from (DATABASE_URL).
	Var string
	// Cause says why, and Fix what to change.
	Cause, Fix string
}

func (e *ReadOnlyError) Error() string {
	return fmt.Sprintf("%s: the database is read-only: %s; %s. Nothing was changed", e.Var, e.Cause, e.Fix)
}

// CheckWritable returns a *ReadOnlyError when conn's session cannot write, nil when it can.
// varName names the URL's variable, for the message.
func CheckWritable(ctx context.Context, conn *pgx.Conn, varName string) error {
	var (
		standby            bool
		readOnly           string
		source, role, name string
	)
	err := conn.QueryRow(ctx, `SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only'),
		(SELECT source FROM pg_settings WHERE name = 'default_transaction_read_only'), current_user, current_database()`).
		Scan(&standby, &readOnly, &source, &role, &name)
	if err != nil {
		return fmt.Errorf("check that the database is writable: %w", err)
	}
	if standby {
		return &ReadOnlyError{Var: varName,
			Cause: "it is a hot standby (pg_is_in_recovery() is true)",
			Fix:   "point " + varName + " at the primary (on Heroku: the database's main URL, not a follower's)"}
	}
	if readOnly != "on" {
		return nil
	}
	r, d := pgx.Identifier{role}.Sanitize(), pgx.Identifier{name}.Sanitize()
	e := &ReadOnlyError{Var: varName}
	switch source {
	case "user":
		e.Cause = "default_transaction_read_only=on for role " + r
		e.Fix = "run the release as a role that can write, or ALTER ROLE " + r + " RESET default_transaction_read_only"
	case "database":
		e.Cause = "default_transaction_read_only=on for database " + d
		e.Fix = "ALTER DATABASE " + d + " RESET default_transaction_read_only"
	case "database user":
		e.Cause = "default_transaction_read_only=on for role " + r + " in database " + d
		e.Fix = "run the release as a role that can write, or ALTER ROLE " + r + " IN DATABASE " + d + " RESET default_transaction_read_only"
	case "client", "session":
		e.Cause = "default_transaction_read_only=on set by the connection (PGOPTIONS, or options in the URL)"
		e.Fix = "remove it from PGOPTIONS or from " + varName + "'s options"
	default:
		e.Cause = "default_transaction_read_only=on in the server's configuration (" + source + ")"
		e.Fix = "point " + varName + " at a database that accepts writes"
	}
	return e
}
