package cli

import (
	"github.com/zdcd/zdcd/internal/journal"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/rules"
)

func TestExplain(t *testing.T) {
	r := runCLI(t, t.TempDir(), nil, "explain")
	if r.code != journal.ExitOK {
		t.Fatalf("explain:\n%s", r)
	}
	for _, rule := range rules.All() {
		if !strings.Contains(r.stdout, rule.Name+" ") {
			t.Errorf("explain does not list %s", rule.Name)
		}
	}

	r = runCLI(t, t.TempDir(), nil, "explain", "add-required-column")
	if r.code != journal.ExitOK || !strings.Contains(r.stdout, "add-required-column") || strings.Count(r.stdout, "\n") < 10 {
		t.Fatalf("explain add-required-column: want its page:\n%s", r)
	}

	r = runCLI(t, t.TempDir(), nil, "explain", "add-required-colum")
	if r.code != journal.ExitUsage || !strings.Contains(r.stderr, `unknown rule "add-required-colum"`) {
		t.Fatalf("explain of an unknown rule: want exit 2 naming it:\n%s", r)
	}
}
