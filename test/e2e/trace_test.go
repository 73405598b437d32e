package e2e

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
)

// tracedReport is the JSON of `check --trace --format json`: the report with a "trace" key.
type tracedReport struct {
	Safe       bool              `json:"safe"`
	Migrations []json.RawMessage `json:"migrations"`
	Trace      *struct {
		Target          string `json:"target"`
		ServerVersion   int    `json:"server_version"`
		ScansObservable bool   `json:"scans_observable"`
		Migrations      []struct {
			App        string   `json:"app"`
			Name       string   `json:"name"`
			Status     string   `json:"status"`
			Reason     string   `json:"reason"`
			Notes      []string `json:"notes"`
			Statements []struct {
				SQL    string `json:"sql"`
				Error  string `json:"error"`
				Tables []struct {
					Table   string `json:"table"`
					Claimed *struct {
						Mode    string `json:"mode"`
						Rewrite bool   `json:"rewrite"`
						Scan    bool   `json:"scan"`
					} `json:"claimed"`
					Observed struct {
						Mode    string   `json:"mode"`
						Held    []string `json:"held"`
						Locks   []string `json:"locks"`
						Rewrite bool     `json:"rewrite"`
						Scan    bool     `json:"scan"`
					} `json:"observed"`
					Mismatches []string `json:"mismatches"`
				} `json:"tables"`
			} `json:"statements"`
		} `json:"migrations"`
	} `json:"trace"`
}

// The sample app's pending migrations traced on a scratch copy (here: another database migrated
// to the same baseline): every atomic migration is traced, the claims of the lock model hold on
// every statement, the non-atomic one is reported as not traced, and neither database changes.
func TestCheckTraceSampleApp(t *testing.T) {
	app := sampleApp(t)
	prod := pgtest.NewDatabase(t)
	scratch := pgtest.NewDatabase(t)
	migrateBaseline(t, app, prod)
	migrateBaseline(t, app, scratch)
	prodBefore, scratchBefore := snapshot(t, prod), snapshot(t, scratch)

	r := run(t, app, baseEnv(prod), "check", "--format", "json", "--trace", "--trace-url", scratch)
	if r.code != 1 {
		t.Fatalf("want exit 1 (the verdict: unsafe migrations pending):\n%s", r)
	}
	assertNoSecret(t, r, password(t, prod))
	var rep tracedReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r)
	}
	if rep.Trace == nil || len(rep.Trace.Migrations) != len(rep.Migrations) || len(rep.Migrations) == 0 {
		t.Fatalf("want a trace of every pending migration:\n%s", r.stdout)
	}
	u, _ := url.Parse(scratch)
	if rep.Trace.Target != u.Host+u.Path || !rep.Trace.ScansObservable || rep.Trace.ServerVersion < 100000 {
		t.Errorf("trace target %q (want %q), scans observable %v, server %d", rep.Trace.Target, u.Host+u.Path, rep.Trace.ScansObservable, rep.Trace.ServerVersion)
	}
	statements := 0
	for _, m := range rep.Trace.Migrations {
		key := m.App + "." + m.Name
		switch key {
		case "shop.0007_product_name_index_concurrently":
			if m.Status != "not-traced" || !strings.Contains(m.Reason, "atomic = False") {
				t.Errorf("%s: want not traced (atomic = False), got %s: %s", key, m.Status, m.Reason)
			}
			continue
		case "shop.0005_backfill_product_sku":
			if len(m.Notes) == 0 || !strings.Contains(m.Notes[0], "RunPython") {
				t.Errorf("%s: want a note that RunPython is not run, got %v", key, m.Notes)
			}
		}
		if m.Status != "traced" {
			t.Errorf("%s: %s: %s", key, m.Status, m.Reason)
		}
		for _, s := range m.Statements {
			statements++
			for _, tb := range s.Tables {
				if len(tb.Mismatches) > 0 {
					t.Errorf("%s: %s\n  %s: %v (observed %+v)", key, s.SQL, tb.Table, tb.Mismatches, tb.Observed)
				}
			}
		}
	}
	if statements < 10 {
		t.Errorf("only %d statements traced", statements)
	}
	// Spot checks of what the server did, as the sample app's README describes.
	find := func(key, sqlPart, table string) (mode string, rewrite, scan bool) {
		for _, m := range rep.Trace.Migrations {
			if m.App+"."+m.Name != key {
				continue
			}
			for _, s := range m.Statements {
				if !strings.Contains(s.SQL, sqlPart) {
					continue
				}
				for _, tb := range s.Tables {
					if tb.Table == table {
						// A mode the transaction held already (an earlier migration's) is not
						// taken again: what the table is under is the stronger of the two.
						mode := tb.Observed.Mode
						if mode == "no lock" && len(tb.Observed.Held) > 0 {
							mode = tb.Observed.Held[0]
						}
						return mode, tb.Observed.Rewrite, tb.Observed.Scan
					}
				}
			}
		}
		t.Errorf("%s: no statement with %q observed on %s", key, sqlPart, table)
		return "", false, false
	}
	if mode, _, _ := find("shop.0004_order_coupon_code", "CREATE INDEX", "shop_order"); mode != "SHARE" {
		t.Errorf("shop.0004's CREATE INDEX took %q on shop_order, want SHARE", mode)
	}
	if mode, rewrite, scan := find("shop.0006_alter_product_sku_not_null", "SET NOT NULL", "shop_product"); mode != "ACCESS EXCLUSIVE" || rewrite || !scan {
		t.Errorf("shop.0006's SET NOT NULL: %q rewrite=%v scan=%v, want ACCESS EXCLUSIVE with a scan and no rewrite", mode, rewrite, scan)
	}
	if mode, rewrite, _ := find("blog.0005_alter_post_title_length", "TYPE varchar(300)", "blog_post"); mode != "ACCESS EXCLUSIVE" || rewrite {
		t.Errorf("blog.0005's varchar(200) → varchar(300): %q rewrite=%v, want ACCESS EXCLUSIVE without a rewrite", mode, rewrite)
	}
	if after := snapshot(t, scratch); after != scratchBefore {
		t.Errorf("the trace changed the scratch database")
	}
	if after := snapshot(t, prod); after != prodBefore {
		t.Errorf("check --trace changed the production database")
	}
}

func TestCheckTraceText(t *testing.T) {
	app := sampleApp(t)
	prod := pgtest.NewDatabase(t)
	scratch := pgtest.NewDatabase(t)
	migrateBaseline(t, app, prod)
	migrateBaseline(t, app, scratch)
	r := run(t, app, baseEnv(prod), "check", "--trace", "--trace-url", scratch)
	if r.code != 1 {
		t.Fatalf("want exit 1:\n%s", r)
	}
	t.Logf("stdout:\n%s", r.stdout)
	assertNoSecret(t, r, password(t, prod))
	u, _ := url.Parse(scratch)
	for _, want := range []string{
		"-----> Trace on " + u.Host + u.Path + " (PostgreSQL ",
		"shop.0007_product_name_index_concurrently: not-traced: atomic = False",
		"shop.0004_order_coupon_code: traced",
		"claimed SHARE, scan",
		", 0 mismatches between zdcd's lock model and the server",
		"not observable",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	// The report comes first, unchanged.
	plain := run(t, app, baseEnv(prod), "check")
	if !strings.HasPrefix(r.stdout, plain.stdout) {
		t.Errorf("with --trace, the report is not printed first as without it")
	}
}

// Every refusal: exit 2, one line on stderr, nothing on stdout, no password, nothing changed.
func TestCheckTraceRefuses(t *testing.T) {
	app := sampleApp(t)
	prod := pgtest.NewDatabase(t)
	migrateBaseline(t, app, prod)
	fresh := pgtest.NewDatabase(t) // nothing applied: not a copy of production
	ahead := pgtest.NewDatabase(t)
	migrateBaseline(t, app, ahead)
	manage(t, app, ahead, "migrate", "--noinput", "accounts", "0003")
	before := snapshot(t, prod)
	secret := password(t, prod)

	// The production database under another name: the URLs differ, the server does not.
	u, _ := url.Parse(prod)
	alias := *u
	alias.Host = "localhost:" + u.Port()
	aliasURL := alias.String()
	malformed := "postgres://zdcd:" + secret + "@db:port/x"

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"no scratch database", []string{"--trace"}, []string{"--trace needs a scratch database", "--trace-url"}},
		{"url without --trace", []string{"--trace-url", fresh}, []string{"--trace-url is only used with --trace"}},
		{"github format", []string{"--trace", "--trace-url", fresh, "--format", "github"}, []string{"--trace prints --format text or json"}},
		{"malformed url", []string{"--trace", "--trace-url", malformed}, []string{"--trace-url is malformed", "port"}},
		{"production by its URL", []string{"--trace", "--trace-url", prod}, []string{"--trace-url names the same database as DATABASE_URL (" + u.Host + u.Path + ")", "--trace-allow-same-database"}},
		{"production under another name", []string{"--trace", "--trace-url", aliasURL}, []string{"--trace-url names the same database as DATABASE_URL", "--trace-allow-same-database"}},
		{"scratch database not restored", []string{"--trace", "--trace-url", fresh}, []string{"does not start where the plan starts", "it has 0 applied migrations", "restore a fresh copy of production"}},
		{"scratch database ahead", []string{"--trace", "--trace-url", ahead}, []string{"does not start where the plan starts", "accounts.0003_customer_phone_ordering is applied only on the scratch database"}},
		{"scratch database unreachable", []string{"--trace", "--trace-url", "postgres://zdcd:" + secret + "@127.0.0.1:1/x"}, []string{"cannot connect to the database at 127.0.0.1:1/x (from --trace-url)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, app, baseEnv(prod), append([]string{"check"}, tt.args...)...)
			if r.code != 2 {
				t.Fatalf("want exit 2:\n%s", r)
			}
			if r.stdout != "" {
				t.Errorf("stdout must be empty on an error:\n%s", r)
			}
			msg := strings.TrimSpace(r.stderr)
			if strings.Count(msg, "\n") != 0 {
				t.Errorf("want one line on stderr:\n%s", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("stderr %q does not contain %q", msg, w)
				}
			}
			assertNoSecret(t, r, secret)
			if after := snapshot(t, prod); after != before {
				t.Errorf("the production database changed")
			}
		})
	}

	// Explicitly allowed, the trace runs on the database itself, and still changes nothing.
	r := run(t, app, baseEnv(prod), "check", "--trace", "--trace-url", aliasURL, "--trace-allow-same-database")
	if r.code != 1 || !strings.Contains(r.stdout, "-----> Trace on localhost:") {
		t.Fatalf("want the trace with --trace-allow-same-database:\n%s", r)
	}
	if after := snapshot(t, prod); after != before {
		t.Errorf("the trace changed the database")
	}
}
