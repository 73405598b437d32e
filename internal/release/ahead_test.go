package release

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/judge"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/plan"
)

// aheadLedger is the ledger as judgeAhead uses it; any other call panics (nil embedded Ledger).
type aheadLedger struct {
	Ledger
	prov       []ledger.Provenance
	last       map[int]int
	steps      []ledger.Step
	outcome    ledger.Outcome
	errText    string
	superseded []int64
}

func (l *aheadLedger) Provenance(_ context.Context, keys []plan.MigrationKey) ([]ledger.Provenance, error) {
	var out []ledger.Provenance
	for _, k := range keys {
		p := ledger.Provenance{Key: k}
		for _, q := range l.prov {
			if q.Key == k {
				p = q
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func (l *aheadLedger) LastSucceededBefore(_ context.Context, v int) (int, error) {
	return l.last[v], nil
}

func (l *aheadLedger) RecordStep(_ context.Context, _ int64, s ledger.Step) error {
	l.steps = append(l.steps, s)
	return nil
}

func (l *aheadLedger) FinishRun(_ context.Context, _ int64, o ledger.Outcome, _ int, errText string) error {
	l.outcome, l.errText = o, errText
	return nil
}

func (l *aheadLedger) MarkSuperseded(_ context.Context, id, _ int64, _ string) error {
	l.superseded = append(l.superseded, id)
	return nil
}

// TestFlowJudgeAhead: what the release phase does with each verdict, and the release it points
// to: a Heroku rollback's target when it predates the migrations, else the ledger's last
// succeeded release before the first of them, else a generic instruction.
func TestFlowJudgeAhead(t *testing.T) {
	vip := plan.MigrationKey{App: "accounts", Name: "0004_customer_is_vip"}
	phone := plan.MigrationKey{App: "accounts", Name: "0003_phone"}
	run := func(id int64, v int) *ledger.Run {
		return &ledger.Run{ID: id, RunInfo: ledger.RunInfo{ReleaseVersion: v}}
	}
	unsafe := analysis.Finding{Rule: "add-required-column", Severity: analysis.Unsafe, Message: "old INSERTs\n fail"}
	incompatible := ledger.Provenance{Key: vip, AppliedBy: run(12, 7), Planned: &ledger.Migration{App: vip.App, Name: vip.Name, Findings: []analysis.Finding{unsafe}}, PlannedIn: 12}
	compatible := ledger.Provenance{Key: phone, AppliedBy: run(9, 6), Planned: &ledger.Migration{App: phone.App, Name: phone.Name}, PlannedIn: 9}
	ahead := func(ks ...plan.MigrationKey) []plan.Ahead {
		var out []plan.Ahead
		for _, k := range ks {
			out = append(out, plan.Ahead{App: k.App, Name: k.Name, AppInstalled: true, AfterCode: true})
		}
		return out
	}
	tests := []struct {
		name        string
		ahead       []plan.Ahead
		prov        []ledger.Provenance
		description string
		refused     bool
		want        []string
		fir         bool
	}{
		{"compatible", ahead(phone), []ledger.Provenance{compatible}, "Rollback to v5", false,
			[]string{"Schema ahead of code, but compatible: accounts.0003_phone (applied by v6 (run 9))"}, false},
		{"unknown", ahead(phone), nil, "", false,
			[]string{"warning: the database has 1 applied migration(s) this code does not contain and no plan in the ledger judged", "accounts.0003_phone"}, false},
		{"left behind", []plan.Ahead{{App: "legacy", Name: "0001_initial"}}, nil, "", false,
			[]string{"1 applied migration(s) are no longer in the code", "legacy.0001_initial"}, false},
		{"heroku rollback target", ahead(phone, vip), []ledger.Provenance{compatible, incompatible}, "Rollback to v5", true,
			[]string{"accounts.0004_customer_is_vip applied by v7 (run 12): add-required-column — old INSERTs fail",
				"accounts.0003_phone applied by v6 (run 9): compatible", "`zdcd-release rollback --to v5`", "v9 (Rollback to v5)"}, false},
		{"target after the migration: the ledger's", ahead(vip), []ledger.Provenance{incompatible}, "Rollback to v8", true,
			[]string{"`zdcd-release rollback --to v6`"}, false},
		{"config change: the ledger's", ahead(vip), []ledger.Provenance{incompatible}, "Set FOO config var", true,
			[]string{"`zdcd-release rollback --to v6`"}, false},
		{"no release known", ahead(vip), []ledger.Provenance{{Key: vip, Planned: incompatible.Planned, PlannedIn: 3}}, "", true,
			[]string{"accounts.0004_customer_is_vip applied by an unrecorded run", "`zdcd-release rollback --to vN`, N the last release"}, false},
		{name: "fir: no zdcd-release rollback, which needs maintenance mode", ahead: ahead(vip), prov: []ledger.Provenance{incompatible},
			description: "Rollback to v5", refused: true, fir: true,
			want: []string{"on Fir, `zdcd-release rollback` cannot restore the database", "fix forward"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &aheadLedger{prov: tt.prov, last: map[int]int{7: 6}}
			var out bytes.Buffer
			f := &Flow{Ledger: l, Out: &out, Description: tt.description, Info: ledger.RunInfo{ReleaseVersion: 9}, runID: 40}
			if tt.fir {
				f.Generation = heroku.Generation{Name: heroku.GenerationFir}
			}
			a := &judge.Judged{Plan: &plan.Plan{Ahead: tt.ahead}, Result: &analysis.Result{Safe: true}}
			err := f.judgeAhead(context.Background(), a)
			var e *journal.Error
			if tt.refused != (err != nil) || (err != nil && (!errors.As(err, &e) || e.Code != journal.ExitRefused)) {
				t.Fatalf("err = %v, want refused %v\n%s", err, tt.refused, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if tt.fir && strings.Contains(out.String()+l.errText, "rollback --to") {
				t.Errorf("on Fir the way forward names zdcd-release rollback --to, which would refuse:\n%s", out.String())
			}
			if tt.refused {
				if l.outcome != ledger.OutcomeRefused || !strings.Contains(l.errText, "accounts.0004_customer_is_vip applied by") ||
					!strings.Contains(l.errText, "add-required-column") || !reflect.DeepEqual(l.superseded, []int64{40}) {
					t.Errorf("recorded %q %q, superseded %v", l.outcome, l.errText, l.superseded)
				}
			} else if l.outcome != "" || len(l.superseded) != 0 {
				t.Errorf("a release let through recorded %q, superseded %v", l.outcome, l.superseded)
			}
			if len(l.steps) != 1 || l.steps[0].Name != "schema-ahead" || l.steps[0].OK == tt.refused {
				t.Errorf("steps %+v", l.steps)
			}
		})
	}
}
