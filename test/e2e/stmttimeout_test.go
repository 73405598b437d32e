package e2e

import (
	"slices"
	"strings"
	"testing"
)

// A migration past ZDCD_STATEMENT_TIMEOUT fails (exit 3, nothing applied) with an error that says
// which variable to raise.
func TestReleaseStatementTimeoutNamesTheVariable(t *testing.T) {
	g := atGate(t)
	defer g.open()
	dbURL, dir, conn := g.dbURL, g.dir, g.conn
	before := appliedSet(t, conn)

	r := run(t, dir, releaseEnv(dbURL, t.TempDir(), "ZDCD_STATEMENT_TIMEOUT=1s"), "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 3 {
		t.Fatalf("want exit 3:\n%s", r)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if !strings.Contains(out, "ran past ZDCD_STATEMENT_TIMEOUT (1s)") || !strings.Contains(out, "raise ZDCD_STATEMENT_TIMEOUT") {
			t.Errorf("the error does not name ZDCD_STATEMENT_TIMEOUT:\n%s", r)
		}
	}
	if got := appliedSet(t, conn); !slices.Equal(got, before) {
		t.Errorf("applied set changed: %v", got)
	}
}
