package analysis

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// Allow is one ZDCD_ALLOW entry: a migration, or one rule in a migration (Rule "").
type Allow struct {
	App, Migration, Rule string
	// By is who approved it (default ByAllowList); Reason is the reviewer's reason, if recorded.
	// Approvals recorded by `zdcd-release approve` come from the ledger with By = ByLedger.
	By, Reason string
}

func (a Allow) String() string {
	s := a.App + "." + a.Migration
	if a.Rule != "" {
		s += ":" + a.Rule
	}
	return s
}

// Approval says who approved an unsafe finding. An approved finding is still reported, and no
// longer blocks the release.
type Approval struct {
	// By is ZDCD_ALLOW, "migration" (the zdcd_exempt attribute of the Migration class) or
	// "SQL comment" (a `-- zdcd:exempt <rule>: <reason>` comment in RunSQL).
	By string `json:"by"`
	// Entry is what approved it: the ZDCD_ALLOW entry, or the exemption as written.
	Entry string `json:"entry"`
	// Reason is the reviewer's reason (exemptions must give one).
	Reason string `json:"reason,omitempty"`
}

// Approvers.
const (
	ByAllowList = "ZDCD_ALLOW"
	ByLedger    = "zdcd-release approve"
	// ByNightlyWindow is an approval `zdcd-release nightly` recorded for the one re-release of a
	// refused slug it triggers.
	ByNightlyWindow = "zdcd-release nightly"
	ByMigration     = "migration"
	BySQLComment    = "SQL comment"
)

// InvalidExemption is reported for an exemption that names no known rule or gives no reason.
const InvalidExemption = "invalid-exemption"

// ExemptAttribute is the Migration class attribute holding reviewed exemptions:
//
//	zdcd_exempt = {"drop-column": "legacy_code unused since release 42; reviewed by alice"}
const ExemptAttribute = "zdcd_exempt"

// exemptMarker starts an exemption comment in SQL: `-- zdcd:exempt drop-column: reason`.
const exemptMarker = "zdcd:exempt"

// exemption is one parsed exemption.
type exemption struct {
	rule, reason, entry string
}

// parseExemptComment reads `zdcd:exempt <rule>: <reason>` (or `<rule> <reason>`); ok=false when
// the comment is not an exemption.
func parseExemptComment(text string) (e exemption, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(text), exemptMarker)
	if !found {
		return exemption{}, false
	}
	rest = strings.TrimSpace(rest)
	rule, reason, _ := strings.Cut(rest, " ")
	rule = strings.TrimSuffix(rule, ":")
	if r, after, cut := strings.Cut(rule, ":"); cut {
		rule, reason = r, after+" "+reason
	}
	return exemption{rule: rule, reason: strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(reason), ":")), entry: "-- " + strings.TrimSpace(text)}, true
}

// sqlExemptions lists the exemption comments in the strings an operation sends.
func sqlExemptions(comments []sqlparse.Comment) []exemption {
	var out []exemption
	for _, c := range comments {
		if e, ok := parseExemptComment(c.Text); ok {
			out = append(out, e)
		}
	}
	return out
}

// migrationExemptions reads the zdcd_exempt attribute of a migration.
func migrationExemptions(m *plan.Migration) ([]exemption, error) {
	raw, ok := m.Attributes[ExemptAttribute]
	if !ok {
		return nil, nil
	}
	var byRule map[string]string
	if err := json.Unmarshal(raw, &byRule); err != nil {
		return nil, fmt.Errorf("%s must be a dict mapping rule names to reasons, like {\"drop-column\": \"reviewed: column unused since release 42\"}", ExemptAttribute)
	}
	var out []exemption
	for rule, reason := range byRule {
		out = append(out, exemption{rule: rule, reason: strings.TrimSpace(reason), entry: fmt.Sprintf("%s[%q]", ExemptAttribute, rule)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rule < out[j].rule })
	return out, nil
}

// approve marks the findings of a migration that a reviewed approval covers, and reports
// exemptions that cannot be honoured.
func approve(p *Pass, findings []Finding) []Finding {
	m := p.Migration
	var invalid []Finding
	bad := func(line int, msg string) {
		invalid = append(invalid, Finding{
			Rule: InvalidExemption, Severity: Unsafe, Operation: "Migration", Line: line, Message: msg,
			Fix: "Name an existing rule (`zdcd-release explain` lists them) and give the reviewer's reason, e.g. " +
				ExemptAttribute + ` = {"drop-column": "legacy_code unused since release 42; reviewed by alice"}` +
				" or, in RunSQL, `-- zdcd:exempt drop-column: reason`.",
		})
	}
	exempt, err := migrationExemptions(m)
	if err != nil {
		bad(m.ClassLine, err.Error())
	}
	valid := map[string]exemption{}
	for _, e := range exempt {
		switch {
		case p.KnownRule != nil && !p.KnownRule(e.rule):
			bad(m.ClassLine, fmt.Sprintf("%s names an unknown rule %q: the exemption approves nothing, and a typo here would hide a real problem.", e.entry, e.rule))
		case e.reason == "":
			bad(m.ClassLine, fmt.Sprintf("%s gives no reason: an exemption must say why the risk is acceptable.", e.entry))
		default:
			valid[e.rule] = e
		}
	}
	for i := range findings {
		f := &findings[i]
		if f.Severity != Unsafe || f.Approval != nil || f.Rule == InvalidExemption {
			continue
		}
		if e, ok := valid[f.Rule]; ok {
			f.Approval = &Approval{By: ByMigration, Entry: e.entry, Reason: e.reason}
			continue
		}
		for _, a := range p.Allow {
			if a.App == m.App && a.Migration == m.Name && (a.Rule == "" || a.Rule == f.Rule) {
				by := a.By
				if by == "" {
					by = ByAllowList
				}
				f.Approval = &Approval{By: by, Entry: a.String(), Reason: a.Reason}
				break
			}
		}
	}
	return append(findings, invalid...)
}

// sqlCommentApproval returns the approval a valid `-- zdcd:exempt` comment among comments gives
// rule, nil when none does.
func sqlCommentApproval(rule string, comments []sqlparse.Comment) *Approval {
	for _, e := range sqlExemptions(comments) {
		if e.rule == rule && e.reason != "" {
			return &Approval{By: BySQLComment, Entry: e.entry, Reason: e.reason}
		}
	}
	return nil
}

// checkSQLExemptions reports malformed exemption comments of an operation's SQL once.
func checkSQLExemptions(p *Pass, op *plan.Operation, comments []sqlparse.Comment) {
	for _, e := range sqlExemptions(comments) {
		var msg string
		switch {
		case p.KnownRule != nil && !p.KnownRule(e.rule):
			msg = fmt.Sprintf("%s names an unknown rule %q: the exemption approves nothing, and a typo here would hide a real problem.", e.entry, e.rule)
		case e.reason == "":
			msg = fmt.Sprintf("%s gives no reason: an exemption must say why the risk is acceptable.", e.entry)
		default:
			continue
		}
		*p.findings = append(*p.findings, Finding{
			Rule: InvalidExemption, Severity: Unsafe, Operation: op.Class, Line: op.Line, Message: msg,
			Fix: "Write `-- zdcd:exempt <rule>: <reason>` with a rule `zdcd-release explain` lists, and the reviewer's reason.",
		})
	}
}

// opComments are the comments of every string an operation sends (RunSQL's SQL as written).
func opComments(op *plan.Operation) []sqlparse.Comment {
	var out []sqlparse.Comment
	for _, s := range op.SQL {
		if !strings.Contains(s.SQL, exemptMarker) {
			continue
		}
		if script, err := sqlparse.Parse(s.SQL); err == nil {
			out = append(out, script.Comments...)
		}
	}
	return out
}
