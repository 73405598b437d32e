package ledger

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/pgtest"
)

// OpenExisting reads a ledger without creating one: a database without a ledger stays without.
func TestOpenExisting(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, ok, err := OpenExisting(ctx, conn, Options{}); ok || err != nil {
		t.Fatalf("no ledger yet: ok=%v err=%v", ok, err)
	}
	var schemas int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", Schema).Scan(&schemas); err != nil || schemas != 0 {
		t.Fatalf("OpenExisting created the schema (%d, %v)", schemas, err)
	}
	if _, err := Open(ctx, conn); err != nil {
		t.Fatal(err)
	}
	p, ok, err := OpenExisting(ctx, conn, Options{})
	if !ok || err != nil || p.SchemaVersion() != LatestVersion() {
		t.Fatalf("existing ledger: ok=%v err=%v", ok, err)
	}
	if runs, err := p.History(ctx, 10); err != nil || len(runs) != 0 {
		t.Fatalf("history of an empty ledger: %v, %v", runs, err)
	}
}
