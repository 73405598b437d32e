package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestOperationNotAllowlisted(t *testing.T) {
	nullable := &plan.Field{Name: "nickname", Null: true}
	tests := []struct {
		name string
		op   plan.Operation
		fire bool
	}{
		{"CreateModel", plan.Operation{Class: "CreateModel"}, false},
		{"AlterModelOptions", plan.Operation{Class: "AlterModelOptions"}, false},
		{"AddField nullable without default", plan.Operation{Class: "AddField", NewField: nullable}, false},
		{"AddField ManyToMany", plan.Operation{Class: "AddField", NewField: &plan.Field{Name: "tags", ManyToMany: true}}, false},
		{"AddField NOT NULL", plan.Operation{Class: "AddField", NewField: &plan.Field{Name: "status"}}, true},
		{"AddField nullable with default", plan.Operation{Class: "AddField", NewField: &plan.Field{Name: "status", Null: true, Default: &plan.Default{Repr: "'new'"}}}, true},
		{"AddField with db_default", plan.Operation{Class: "AddField", NewField: &plan.Field{Name: "status", Null: true, DBDefault: &plan.Default{Repr: "'new'"}}}, true},
		{"AddField without field description", plan.Operation{Class: "AddField"}, true},
		{"RemoveField", plan.Operation{Class: "RemoveField"}, true},
		{"RunPython", plan.Operation{Class: "RunPython"}, true},
		{"RunSQL", plan.Operation{Class: "RunSQL"}, true},
		{"custom operation", plan.Operation{Class: "MyOperation"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &plan.Plan{Migrations: []plan.Migration{{App: "shop", Name: "0002", Operations: []plan.Operation{tt.op}}}}
			res := analysis.Analyze(p, analysis.Context{}, []analysis.Rule{OperationNotAllowlisted})
			fired := len(res.Migrations[0].Findings) > 0
			if fired != tt.fire {
				t.Fatalf("fired = %v, want %v: %+v", fired, tt.fire, res.Migrations[0].Findings)
			}
			if fired {
				f := res.Migrations[0].Findings[0]
				if f.Rule != "operation-not-allowlisted" || f.Severity != analysis.Unsafe || f.Message == "" || f.Fix == "" {
					t.Fatalf("incomplete finding %+v", f)
				}
			}
		})
	}
}
