package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestHistory(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	env := baseEnv(dbURL)
	dir := t.TempDir()

	// No ledger yet: nothing to show, and reading creates nothing.
	r := run(t, dir, env, "history")
	if r.code != 0 || !strings.Contains(r.stdout, "No runs recorded") {
		t.Fatalf("empty history:\n%s", r)
	}
	r = run(t, dir, env, "history", "--format", "json")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("empty history as JSON:\n%s", r)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var schemas int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", ledger.Schema).Scan(&schemas); err != nil || schemas != 0 {
		t.Fatalf("history created the ledger schema (%d, %v)", schemas, err)
	}

	// A refused release, as the release phase records it.
	store, err := ledger.Open(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	id, err := store.StartRun(ctx, ledger.RunInfo{Command: ledger.CommandRelease, AppName: "myapp", ReleaseVersion: 42})
	if err != nil {
		t.Fatal(err)
	}
	res := &analysis.Result{Safe: false, ServerVersion: 150004, Migrations: []analysis.MigrationResult{{
		Migration: plan.Migration{App: "shop", Name: "0007_remove_price", File: "shop/migrations/0007_remove_price.py"},
		Findings:  []analysis.Finding{{Rule: "drop-column", Severity: analysis.Unsafe, Operation: "RemoveField", Line: 12, Message: "drops", Fix: "don't"}},
	}}}
	if err := store.RecordPlan(ctx, id, res); err != nil {
		t.Fatal(err)
	}
	if err := store.FinishRun(ctx, id, ledger.OutcomeRefused, 1, ""); err != nil {
		t.Fatal(err)
	}

	r = run(t, dir, env, "history")
	if r.code != 0 || !strings.Contains(r.stdout, "refused") || !strings.Contains(r.stdout, "42") {
		t.Fatalf("history:\n%s", r)
	}
	r = run(t, dir, env, "history", "--format", "json")
	var runs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || r.code != 0 || len(runs) != 1 || runs[0]["outcome"] != "refused" {
		t.Fatalf("history JSON (%v):\n%s", err, r)
	}
	r = run(t, dir, env, "history", "1")
	if r.code != 0 || !strings.Contains(r.stdout, "drop-column") || !strings.Contains(r.stdout, "shop.0007_remove_price") {
		t.Fatalf("one run:\n%s", r)
	}
	assertNoSecret(t, r, password(t, dbURL))

	for _, bad := range [][]string{{"history", "99"}, {"history", "--format", "xml"}, {"history", "abc"}} {
		r = run(t, dir, env, bad...)
		if r.code != 2 || r.stdout != "" || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: want exit 2 and one line:\n%s", bad, r)
		}
	}
}
