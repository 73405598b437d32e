package rules

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
)

var kebab = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// Every rule, and every finding the analyser reports itself, has a unique kebab-case name and a
// docs page; every rule has a table test that makes it fire and a neighbour that does not.
func TestRegistry(t *testing.T) {
	names := map[string]bool{analysis.RuleCrashed: true, analysis.SQLNotRendered: true, analysis.SQLUnparseable: true, analysis.InvalidExemption: true}
	for _, r := range All() {
		if names[r.Name] {
			t.Errorf("duplicate rule name %q", r.Name)
		}
		names[r.Name] = true
		if r.Severity != analysis.Unsafe && r.Severity != analysis.Warning {
			t.Errorf("rule %s: severity %q", r.Name, r.Severity)
		}
		if r.Summary == "" {
			t.Errorf("rule %s has no Summary (explain lists it)", r.Name)
		}
		if r.Operation == nil && r.Statement == nil && r.Migration == nil {
			t.Errorf("rule %s has no hook", r.Name)
		}
	}
	for name := range names {
		if !kebab.MatchString(name) {
			t.Errorf("rule name %q is not kebab-case", name)
		}
		if _, err := os.Stat(filepath.Join("..", "..", "..", "docs", "rules", name+".md")); err != nil {
			t.Errorf("rule %s has no docs/rules/%s.md", name, name)
		}
	}
	pages, _ := filepath.Glob(filepath.Join("..", "..", "..", "docs", "rules", "*.md"))
	for _, page := range pages {
		if name := strings.TrimSuffix(filepath.Base(page), ".md"); !names[name] {
			t.Errorf("docs/rules/%s.md documents no registered rule", name)
		}
	}
}

// The README's table lists every rule (regenerate it from `zdcd-release explain`).
func TestREADMEListsEveryRule(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{analysis.RuleCrashed, analysis.SQLNotRendered, analysis.SQLUnparseable, analysis.InvalidExemption}
	for _, r := range All() {
		names = append(names, r.Name)
	}
	for _, name := range names {
		if !strings.Contains(string(readme), "[`"+name+"`](docs/rules/"+name+".md)") {
			t.Errorf("README.md's rule table lacks %s", name)
		}
	}
}

// The rules whose hazard ends with the migration's run (Rule.WhileRunning): the schema-ahead
// judgement and `zdcd-release rollback` let older code run on what they left. Marking a rule so
// is a decision about compatibility, made here on purpose: a rule whose finding can mean older
// code breaks afterwards (a constraint older writes may violate, SET NOT NULL, a type change)
// must stay unmarked.
func TestWhileRunningRules(t *testing.T) {
	want := []string{
		"add-column-rewrite-generated", "add-column-volatile-default", "concurrently-in-transaction",
		"ddl-on-hot-table", "explicit-tx-control", "fk-missing-index", "identifier-too-long",
		"index-build-in-locked-tx", "index-create-blocking", "index-drop-blocking", "missing-lock-timeout",
		"non-atomic-non-idempotent", "primary-key-blocking", "reindex-blocking", "statements-after-ael",
		"table-rewrite-maintenance", "type-change-revalidates-check", "unique-constraint-blocking",
		"validate-in-same-tx",
	}
	var got []string
	for _, r := range All() {
		if r.WhileRunning {
			got = append(got, r.Name)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("rules marked WhileRunning:\n got  %v\n want %v", got, want)
	}
}
