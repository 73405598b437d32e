package analysis

import (
	"encoding/json"
	"testing"

	"github.com/zdcd/zdcd/internal/plan"
)

// dropper reports every DROP statement as unsafe.
var dropper = Rule{Name: "drop-thing", Severity: Unsafe, Statement: func(p *Pass, st *Stmt) {
	if st.Info().Tag == "DROP TABLE" {
		p.ReportStmt(st, "drops", "don't")
	}
}}

func TestApprovals(t *testing.T) {
	known := func(name string) bool { return name == "drop-thing" }
	mig := func(sql string, attrs map[string]string) plan.Plan {
		m := plan.Migration{App: "shop", Name: "0002_drop", Atomic: true, ClassLine: 5,
			Operations: []plan.Operation{{Class: "RunSQL", Line: 9, SQL: []plan.Statement{{SQL: sql}}}}}
		if attrs != nil {
			m.Attributes = map[string]json.RawMessage{}
			for k, v := range attrs {
				m.Attributes[k] = json.RawMessage(v)
			}
		}
		return plan.Plan{Migrations: []plan.Migration{m}}
	}
	tests := []struct {
		name    string
		sql     string
		attrs   map[string]string
		allow   []Allow
		safe    bool
		by      string
		invalid bool
	}{
		{name: "unapproved", sql: "DROP TABLE t", safe: false},
		{name: "ZDCD_ALLOW the migration", sql: "DROP TABLE t", allow: []Allow{{App: "shop", Migration: "0002_drop", Rule: ""}}, safe: true, by: ByAllowList},
		{name: "ZDCD_ALLOW the rule", sql: "DROP TABLE t", allow: []Allow{{App: "shop", Migration: "0002_drop", Rule: "drop-thing"}}, safe: true, by: ByAllowList},
		{name: "ZDCD_ALLOW another rule", sql: "DROP TABLE t", allow: []Allow{{App: "shop", Migration: "0002_drop", Rule: "other"}}, safe: false},
		{name: "ZDCD_ALLOW another migration", sql: "DROP TABLE t", allow: []Allow{{App: "shop", Migration: "0003_x", Rule: ""}}, safe: false},
		{name: "migration attribute", sql: "DROP TABLE t", attrs: map[string]string{ExemptAttribute: `{"drop-thing": "unused since v42; reviewed by alice"}`}, safe: true, by: ByMigration},
		{name: "attribute naming an unknown rule", sql: "DROP TABLE t", attrs: map[string]string{ExemptAttribute: `{"drop-thng": "typo"}`}, safe: false, invalid: true},
		{name: "attribute without reason", sql: "DROP TABLE t", attrs: map[string]string{ExemptAttribute: `{"drop-thing": " "}`}, safe: false, invalid: true},
		{name: "attribute not a dict", sql: "DROP TABLE t", attrs: map[string]string{ExemptAttribute: `["drop-thing"]`}, safe: false, invalid: true},
		{name: "SQL comment", sql: "-- zdcd:exempt drop-thing: empty since the import was retired\nDROP TABLE t", safe: true, by: BySQLComment},
		{name: "SQL comment naming an unknown rule", sql: "-- zdcd:exempt drop-thng: typo\nDROP TABLE t", safe: false, invalid: true},
		{name: "SQL comment without reason", sql: "-- zdcd:exempt drop-thing\nDROP TABLE t", safe: false, invalid: true},
		{name: "ordinary comment", sql: "-- drop-thing is fine\nDROP TABLE t", safe: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl := mig(tt.sql, tt.attrs)
			res := Analyze(&pl, Context{Allow: tt.allow, KnownRule: known}, []Rule{dropper})
			m := res.Migrations[0]
			if m.Safe != tt.safe || res.Safe != tt.safe {
				t.Fatalf("safe = %v, want %v: %+v", m.Safe, tt.safe, m.Findings)
			}
			var drop, invalid *Finding
			for i := range m.Findings {
				switch m.Findings[i].Rule {
				case "drop-thing":
					drop = &m.Findings[i]
				case InvalidExemption:
					invalid = &m.Findings[i]
				}
			}
			if drop == nil {
				t.Fatal("an approved finding must still be reported")
			}
			if tt.by == "" && drop.Approval != nil || tt.by != "" && (drop.Approval == nil || drop.Approval.By != tt.by) {
				t.Fatalf("approval = %+v, want by %q", drop.Approval, tt.by)
			}
			if (invalid != nil) != tt.invalid {
				t.Fatalf("invalid-exemption finding: %+v, want %v", invalid, tt.invalid)
			}
		})
	}
}
