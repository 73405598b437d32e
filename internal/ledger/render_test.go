package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestRenderHistoryAndRun(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	p := open(t, conn, newClock())

	var buf bytes.Buffer
	if err := WriteHistoryText(&buf, nil); err != nil || !strings.Contains(buf.String(), "No runs") {
		t.Fatalf("empty history: %q, %v", buf.String(), err)
	}

	refused := refuse(t, p, 7, "s7")
	id, err := p.StartRun(ctx, RunInfo{Command: CommandRelease, AppName: "shop-prod", ReleaseVersion: 8, SlugID: "s8"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.RecordPlan(ctx, id, sampleResult()); err != nil {
		t.Fatal(err)
	}
	if err := p.RecordStep(ctx, id, Step{Name: "migrate", OK: false, Detail: "lock timeout\\nretrying"}); err != nil {
		t.Fatal(err)
	}
	if err := p.RecordApplied(ctx, id, nil, []plan.MigrationKey{{App: "shop", Name: "0006_add_sku"}}); err != nil {
		t.Fatal(err)
	}
	if err := p.FinishRun(ctx, id, OutcomeApplied, 0, ""); err != nil {
		t.Fatal(err)
	}

	h, err := p.History(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := WriteHistoryText(&buf, h); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{"RUN", "v8", "applied", "3 (1 unsafe)", "refused (superseded)", "v7"} {
		if !strings.Contains(text, want) {
			t.Errorf("history text lacks %q:\n%s", want, text)
		}
	}

	buf.Reset()
	if err := WriteHistoryJSON(&buf, h); err != nil {
		t.Fatal(err)
	}
	var decoded []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	if len(decoded) != 2 || decoded[0]["command"] != "release" || decoded[0]["release_version"] != float64(8) ||
		decoded[0]["outcome"] != "applied" || decoded[1]["superseded_by"] != float64(id) || decoded[1]["id"] != float64(refused) {
		t.Fatalf("history JSON = %s", buf.String())
	}

	d, err := p.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := WriteRunText(&buf, d); err != nil {
		t.Fatal(err)
	}
	text = buf.String()
	for _, want := range []string{"Run 2: release of shop-prod release v8 (slug s8)", "verdict   unsafe", "outcome   applied (exit 0)",
		"shop.0007_remove_price  UNSAFE", "[unsafe] remove-field in RemoveField (line 12)",
		"approved by ZDCD_ALLOW: auth2.0002_rename:rename-column (no reader left)", "+ shop.0006_add_sku", "migrate", "FAILED"} {
		if !strings.Contains(text, want) {
			t.Errorf("run text lacks %q:\n%s", want, text)
		}
	}
	buf.Reset()
	if err := WriteRunJSON(&buf, d); err != nil {
		t.Fatal(err)
	}
	var back Detail
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.ID != id || len(back.Migrations) != 3 || back.Migrations[2].Findings[0].Approval == nil || len(back.After) != 1 {
		t.Fatalf("run JSON does not round-trip: %s", buf.String())
	}
}
