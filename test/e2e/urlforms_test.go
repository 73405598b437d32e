package e2e

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/pgtest"
)

// Every database URL form Django users have is accepted by every command alike — check, release
// with its local pg_dump backup, history, approve — against a real server reached through it; the
// forms zdcd cannot hand pgx, pg_dump and Django with one meaning are refused by every command
// with the same single line, exit 2, and nothing changed (docs/configuration.md).
func TestDatabaseURLForms(t *testing.T) {
	c := pgtest.Shared(t)
	pw := url.UserPassword(pgtest.Superuser, c.Password).String() // zdcd:<password>, escaped
	port := strconv.Itoa(c.Port)
	sock := url.PathEscape(c.SocketDir())
	sockLower := strings.ReplaceAll(sock, "/", "%2f")
	accepted := []struct {
		name string
		url  func(db string) string
		env  []string
	}{
		{"heroku", func(db string) string {
			return "postgres://" + pw + "@127.0.0.1:" + port + "/" + db + "?sslmode=disable"
		}, nil},
		{"postgresql scheme", func(db string) string { return "postgresql://" + pw + "@localhost:" + port + "/" + db }, nil},
		{"IPv6", func(db string) string { return "postgres://" + pw + "@[::1]:" + port + "/" + db + "?sslmode=disable" }, nil},
		{"libpq options with %20", func(db string) string {
			return "postgres://" + pw + "@127.0.0.1:" + port + "/" + db + "?options=-c%20statement_timeout%3D30000&application_name=my%20app&connect_timeout=10"
		}, nil},
		{"socket as ?host=", func(db string) string {
			return "postgres://" + pw + "@/" + db + "?host=" + url.QueryEscape(c.SocketDir()) + "&port=" + port
		}, nil},
		{"socket as percent-encoded host (dj-database-url)", func(db string) string {
			return "postgres://" + pw + "@" + strings.ReplaceAll(sock, "/", "%2F") + ":" + port + "/" + db
		}, nil},
		{"socket, lower-case hex", func(db string) string { return "postgres://" + pw + "@" + sockLower + ":" + port + "/" + db }, nil},
		{"no password in the URL, PGPASSWORD", func(db string) string {
			return "postgres://" + pgtest.Superuser + "@127.0.0.1:" + port + "/" + db
		}, []string{"PGPASSWORD=" + c.Password}},
		{"password parameter", func(db string) string {
			return "postgres://" + pgtest.Superuser + "@127.0.0.1:" + port + "/" + db + "?password=" + url.QueryEscape(c.Password)
		}, nil},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			plain := pgtest.NewDatabase(t)
			u, err := url.Parse(plain)
			if err != nil {
				t.Fatal(err)
			}
			dbURL := tt.url(strings.TrimPrefix(u.Path, "/"))
			dir := sampleVersion(t, "accounts/0003")
			migrateBaseline(t, dir, plain)
			backups := t.TempDir()
			env := append(releaseEnv(dbURL, backups), tt.env...)

			if r := run(t, dir, env, "check"); r.code != 0 || !strings.Contains(r.stdout, "accounts.0003_customer_phone_ordering") {
				t.Fatalf("check: %s", r)
			}
			r := run(t, dir, env, "release")
			if r.code != 0 || !strings.Contains(r.stdout, "Applying accounts.0003_customer_phone_ordering") {
				t.Fatalf("release: %s", r)
			}
			if files := backupFiles(t, backups); len(files) != 1 {
				t.Errorf("want one local backup, got %v:\n%s", files, r)
			}
			assertNoSecret(t, r, c.Password)
			if h := run(t, dir, env, "history"); h.code != 0 || !strings.Contains(h.stdout, "applied") {
				t.Errorf("history: %s", h)
			}
			if a := run(t, dir, env, "approve", "--list"); a.code != 0 {
				t.Errorf("approve --list: %s", a)
			}
			if got := appliedSet(t, connect(t, plain)); !containsString(got, "accounts.0003_customer_phone_ordering") {
				t.Errorf("applied: %v", got)
			}
		})
	}

	refused := []struct {
		name, url, want string
	}{
		{"plus in options", "postgres://" + pw + "@127.0.0.1:" + port + "/d?options=-c+statement_timeout%3D30000",
			"its query string contains '+', which libpq reads as a plus and dj-database-url as a space; write %20 for a space, %2B for a plus"},
		{"parameter pgx would send to the server", "postgres://" + pw + "@127.0.0.1:" + port + "/d?keepalives=1",
			"its query parameter keepalives is not one zdcd hands alike"},
		{"no host", "postgres://" + pw + "@/d", "it names no host"},
		{"several hosts", "postgres://" + pw + "@127.0.0.1:" + port + ",[::1]:" + port + "/d", "it names several hosts"},
		{"no database", "postgres://" + pw + "@127.0.0.1:" + port, "it names no database"},
	}
	commands := [][]string{
		{"check"}, {"release"}, {"history"}, {"approve", "--list"},
		{"approve", "accounts.0004_customer_is_vip", "--reason", "r", "--by", "b"}, {"config"},
	}
	for _, tt := range refused {
		t.Run("refused "+tt.name, func(t *testing.T) {
			dir := sampleVersion(t, "accounts/0003")
			env := releaseEnv(tt.url, t.TempDir())
			var first string
			for _, args := range commands {
				r := run(t, dir, env, args...)
				lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
				if r.code != 2 || len(lines) != 1 || !strings.Contains(lines[0], "DATABASE_URL") || !strings.Contains(lines[0], tt.want) {
					t.Errorf("%v: want exit 2 and one line naming DATABASE_URL with %q: %s", args, tt.want, r)
					continue
				}
				if first == "" {
					first = lines[0]
				} else if lines[0] != first {
					t.Errorf("%v says %q, check said %q", args, lines[0], first)
				}
				assertNoSecret(t, r, c.Password)
			}
		})
	}
	// Nothing was changed by the refused runs: they named a database "d" that does not exist, and
	// no ledger appeared in the cluster's default database.
	conn := connect(t, c.URL("postgres"))
	var ledgers int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_namespace WHERE nspname = $1", ledger.Schema).Scan(&ledgers); err != nil || ledgers != 0 {
		t.Errorf("a ledger appeared in the postgres database: %d, %v", ledgers, err)
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
