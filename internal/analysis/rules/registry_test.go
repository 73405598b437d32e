package rules

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
)

var kebab = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// Every rule, and every finding the analyser reports itself, has a unique kebab-case name and a
// docs page; every rule has a table test that makes it fire and a neighbour that does not.
func TestRegistry(t *testing.T) {
	names := map[string]bool{analysis.RuleCrashed: true, analysis.SQLNotRendered: true, analysis.SQLUnparseable: true}
	for _, r := range All() {
		if names[r.Name] {
			t.Errorf("duplicate rule name %q", r.Name)
		}
		names[r.Name] = true
		if r.Severity != analysis.Unsafe && r.Severity != analysis.Warning {
			t.Errorf("rule %s: severity %q", r.Name, r.Severity)
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
}
