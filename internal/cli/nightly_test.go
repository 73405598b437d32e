package cli

import (
	"fmt"
	"github.com/zdcd/zdcd/internal/journal"
	"strings"
	"testing"
	"time"
)

// Outside its window the nightly job touches nothing, not even the database (here unreachable):
// one line, exit 0. Without Heroku credentials it is a configuration error.
func TestNightlyOutsideWindowAndMisconfigured(t *testing.T) {
	later := time.Now().UTC().Add(6 * time.Hour)
	window := fmt.Sprintf("%s-%s UTC", later.Format("15:04"), later.Add(time.Hour).Format("15:04"))
	dir := t.TempDir()
	unreachable := "postgres://zdcd:pw@127.0.0.1:1/shop"
	env := append(baseEnv(dir, unreachable), "HEROKU_API_KEY=0123456789abcdef", "HEROKU_APP_NAME=shop", "ZDCD_NIGHTLY_WINDOW="+window)

	r := runCLI(t, dir, env, "nightly")
	if r.code != journal.ExitOK || !strings.HasPrefix(r.stdout, "Outside the nightly window (ZDCD_NIGHTLY_WINDOW="+window+"; ") || r.stderr != "" {
		t.Fatalf("want exit 0 and the outside-the-window line:\n%s", r)
	}

	r = runCLI(t, dir, append(baseEnv(dir, unreachable), "ZDCD_NIGHTLY_WINDOW="+window), "nightly")
	if r.code != journal.ExitUsage || !strings.Contains(r.stderr, "HEROKU_API_KEY is not set") {
		t.Fatalf("without an API key: want exit 2 naming HEROKU_API_KEY:\n%s", r)
	}
}

// --trace refuses a scratch URL naming the configuration's database before connecting anywhere.
func TestCheckTraceRefusesProductionURL(t *testing.T) {
	dir := t.TempDir()
	prod := "postgres://zdcd:pw@127.0.0.1:1/shop"
	r := runCLI(t, dir, baseEnv(dir, prod), "check", "--trace", "--trace-url", "postgres://other:pw2@127.0.0.1:1/shop")
	if r.code != journal.ExitUsage || !strings.Contains(r.stderr, "--trace-url names the same database as DATABASE_URL (127.0.0.1:1/shop)") {
		t.Fatalf("want exit 2 naming the same database:\n%s", r)
	}
	if strings.Contains(r.stderr, "pw2") {
		t.Errorf("the error line shows the scratch URL's password:\n%s", r.stderr)
	}
}
