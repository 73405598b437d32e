package heroku_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/herokufake"
	"github.com/zdcd/zdcd/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// local is the client against the local Heroku (internal/herokufake), with an app "myapp", a real
// Postgres attached as DATABASE, and everything the client wrote.
type local struct {
	fake   *herokufake.Server
	client *heroku.Client
	log    *bytes.Buffer
	dbURL  string
	url    string
}

func startLocal(t *testing.T) *local {
	t.Helper()
	fake, url := herokufake.StartTest(t, herokufake.Options{Token: token})
	if _, err := fake.CreateApp("myapp"); err != nil {
		t.Fatal(err)
	}
	dbURL := pgtest.NewDatabase(t)
	if _, err := fake.AddPostgres("myapp", dbURL); err != nil {
		t.Fatal(err)
	}
	log := &bytes.Buffer{}
	cfg := config.Defaults()
	cfg.APIKey = config.NewSecret(token)
	cfg.PlatformAPIURL = url
	cfg.DataAPIURL = url
	cfg.APITimeout = 60 * time.Second
	opts := fastOptions(log)
	opts.PollInterval = 20 * time.Millisecond
	client, err := heroku.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { noToken(t, "log", log.String()) })
	return &local{fake: fake, client: client, log: log, dbURL: dbURL, url: url}
}

func appDir(t *testing.T, procfile string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// waitRelease polls ReleaseInfo until the release is no longer pending, as nightly will.
func waitRelease(t *testing.T, c *heroku.Client, id string) heroku.Release {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := c.ReleaseInfo(context.Background(), "myapp", id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != heroku.StatusPending {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("release v%d still pending", r.Version)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLocalHerokuPlatform(t *testing.T) {
	ctx := context.Background()
	l := startLocal(t)
	c := l.client

	app, err := c.AppInfo(ctx, "myapp")
	if err != nil || app.Name != "myapp" || app.ID == "" || app.Maintenance {
		t.Fatalf("app = %+v, %v", app, err)
	}
	for _, on := range []bool{true, true, false} {
		if a, err := c.SetMaintenance(ctx, "myapp", on); err != nil || a.Maintenance != on || l.fake.Maintenance("myapp") != on {
			t.Fatalf("maintenance %v: %+v, %v", on, a, err)
		}
	}

	// A deploy whose release phase runs, then the nightly's re-release of its slug.
	dep, err := l.fake.Deploy("myapp", appDir(t, "release: echo migrating\nweb: sleep 100\nworker: sleep 100\n"))
	if err != nil {
		t.Fatal(err)
	}
	deployed := waitRelease(t, c, dep.ID)
	if deployed.Status != heroku.StatusSucceeded || !deployed.Current || deployed.SlugID == "" {
		t.Fatalf("deployed = %+v", deployed)
	}
	created, err := c.CreateRelease(ctx, "myapp", deployed.SlugID, "zdcd nightly: test")
	if err != nil {
		t.Fatal(err)
	}
	if created.Version != deployed.Version+1 || created.SlugID != deployed.SlugID || created.Description != "zdcd nightly: test" {
		t.Errorf("created = %+v", created)
	}
	if r := waitRelease(t, c, created.ID); r.Status != heroku.StatusSucceeded || !r.Current {
		t.Errorf("re-release = %+v", r)
	}
	list, err := c.Releases(ctx, "myapp", 3)
	if err != nil || len(list) != 3 || list[0].Version != created.Version || list[1].Version != deployed.Version {
		t.Fatalf("releases = %+v, %v", list, err)
	}
	rb, err := c.Rollback(ctx, "myapp", "v"+strconv.Itoa(deployed.Version))
	if err != nil {
		t.Fatal(err)
	}
	if rb.Description != "Rollback to v"+strconv.Itoa(deployed.Version) || rb.SlugID != deployed.SlugID {
		t.Errorf("rollback = %+v", rb)
	}
	waitRelease(t, c, rb.ID)

	// Dynos and formation; scale the worker down and back.
	form, err := c.Formation(ctx, "myapp")
	if err != nil {
		t.Fatal(err)
	}
	types := []string{}
	for _, f := range form {
		types = append(types, f.Type)
	}
	if !strings.Contains(strings.Join(types, ","), "worker") {
		t.Fatalf("formation = %+v", form)
	}
	for _, q := range []int{0, 1} {
		f, err := c.Scale(ctx, "myapp", "worker", q)
		if err != nil || f.Quantity != q || l.fake.Formation("myapp")["worker"] != q {
			t.Fatalf("scale worker %d: %+v, %v (fake %v)", q, f, err, l.fake.Formation("myapp"))
		}
	}
	if _, err := c.Dynos(ctx, "myapp"); err != nil {
		t.Fatal(err)
	}
	vars, err := c.ConfigVars(ctx, "myapp")
	if err != nil || vars["DATABASE_URL"] != l.dbURL {
		t.Fatalf("config vars: %v (DATABASE_URL set: %v)", err, vars["DATABASE_URL"] != "")
	}

	// Errors.
	if _, err := c.AppInfo(ctx, "nope"); !heroku.IsNotFound(err) {
		t.Errorf("unknown app: %v", err)
	}
}

// Faults of the local Heroku: a POST that acts then fails is not duplicated; 429 with and without
// Retry-After and 503 are retried.
func TestLocalHerokuFaults(t *testing.T) {
	ctx := context.Background()
	l := startLocal(t)
	c := l.client
	dep, err := l.fake.Deploy("myapp", appDir(t, "web: sleep 100\n"))
	if err != nil {
		t.Fatal(err)
	}
	before := waitRelease(t, c, dep.ID)

	l.fake.InjectFault(herokufake.Fault{Method: "POST", Path: "/apps/*/releases", Status: 500, Count: 1, ActThenFail: true})
	r, err := c.CreateRelease(ctx, "myapp", before.SlugID, "zdcd nightly: act then fail")
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != before.Version+1 {
		t.Errorf("release = %+v", r)
	}
	list, _ := c.Releases(ctx, "myapp", 10)
	if list[0].Version != r.Version {
		t.Errorf("newest release v%d, want v%d (no duplicate)", list[0].Version, r.Version)
	}
	if n := len(l.fake.RequestsMatching("POST", "/apps/*/releases")); n != 1 {
		t.Errorf("%d POSTs, want 1", n)
	}

	for _, f := range []herokufake.Fault{
		{Method: "GET", Path: "/apps/*", Status: 429, Count: 2},
		{Method: "GET", Path: "/apps/*", Status: 429, Count: 1, RetryAfter: "1"},
		{Method: "GET", Path: "/apps/*", Status: 503, Count: 2},
	} {
		l.fake.ClearFaults()
		l.fake.InjectFault(f)
		// The Retry-After cap itself is unit-tested in retry_test.go, without the clock.
		if _, err := c.AppInfo(ctx, "myapp"); err != nil {
			t.Errorf("%+v: %v", f, err)
		}
	}
	l.fake.ClearFaults()
	l.fake.InjectFault(herokufake.Fault{Method: "GET", Path: "/apps/*", Status: 429})
	if _, err := c.AppInfo(ctx, "myapp"); heroku.StatusOf(err) != 429 {
		t.Errorf("persistent 429: %v", err)
	}
	l.fake.ClearFaults()

	// 404: a typed error, not a zero-valued app.
	if _, err := c.AppInfo(ctx, "no-such-app"); !heroku.IsNotFound(err) {
		t.Errorf("missing app: %v, want a 404", err)
	}
	// A server that does not answer: the call is bounded by its deadline and fails.
	l.fake.InjectFault(herokufake.Fault{Method: "GET", Path: "/apps/*", Delay: 10 * time.Second})
	bounded, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = c.AppInfo(bounded, "myapp")
	cancel()
	if err == nil || heroku.StatusOf(err) != 0 {
		t.Errorf("unanswered call: %v, want a timeout, not an API error", err)
	}
	l.fake.ClearFaults()

	// 401 with a wrong key, which appears nowhere.
	cfg := config.Defaults()
	cfg.APIKey = config.NewSecret("wrong-" + token)
	cfg.PlatformAPIURL = l.url
	var out bytes.Buffer
	wrong, err := heroku.New(cfg, fastOptions(&out))
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.AppInfo(ctx, "myapp")
	var apiErr *heroku.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.ID != "unauthorized" {
		t.Errorf("wrong key: %v", err)
	}
	for _, s := range append(errTexts(err), out.String()) {
		if strings.Contains(s, "wrong-"+token) {
			t.Errorf("output contains the key: %q", s)
		}
	}
}

func TestLocalHerokuBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	l := startLocal(t)
	c := l.client
	exec := func(sql string) {
		conn, err := pgx.Connect(ctx, l.dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		conn, err := pgx.Connect(ctx, l.dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM shop_item").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	exec("CREATE TABLE shop_item (id int PRIMARY KEY); INSERT INTO shop_item SELECT generate_series(1, 50)")

	db, err := c.DatabaseAddon(ctx, "myapp", "DATABASE_URL")
	if err != nil {
		t.Fatal(err)
	}
	if db.ID == "" || db.AppName != "myapp" {
		t.Fatalf("addon = %+v", db)
	}

	// The capture POST acts then fails: one backup, found by the client.
	l.fake.InjectFault(herokufake.Fault{Method: "POST", Path: "/client/v11/databases/*/backups", Status: 500, Count: 1, ActThenFail: true})
	var progress bytes.Buffer
	b, err := c.Backup(ctx, db, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Succeeded || b.ToURL == "" || !strings.HasPrefix(b.Name, "b") {
		t.Fatalf("backup = %+v", b)
	}
	all, err := c.Transfers(ctx, db)
	if err != nil || len(all) != 1 {
		t.Fatalf("transfers = %+v, %v (want one backup, no duplicate)", all, err)
	}

	exec("DELETE FROM shop_item WHERE id > 10")
	if n := count(); n != 10 {
		t.Fatalf("%d rows after delete", n)
	}
	// A restore Heroku refuses is known not to have started; an ambiguous failure after acting
	// is not (the client finds the restore).
	l.fake.InjectFault(herokufake.Fault{Method: "POST", Path: "/client/v11/databases/*/restores", Status: 422, Count: 1})
	if _, err := c.Restore(ctx, db, b.ToURL, nil); !errors.Is(err, heroku.ErrNotStarted) || heroku.StatusOf(err) != 422 {
		t.Errorf("refused restore: %v, want ErrNotStarted with the 422", err)
	}
	if n := count(); n != 10 {
		t.Fatalf("%d rows after a refused restore, want 10", n)
	}
	r, err := c.Restore(ctx, db, b.ToURL, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Succeeded || !r.IsRestore() {
		t.Errorf("restore = %+v", r)
	}
	if n := count(); n != 50 {
		t.Errorf("%d rows after restore, want 50", n)
	}
	if !strings.Contains(progress.String(), b.Name+": completed") || !strings.Contains(progress.String(), r.Name+": completed") {
		t.Errorf("progress = %q", progress.String())
	}
	noToken(t, "progress", progress.String())
	// The local Heroku sends the restore's to_url as Heroku does: the target database URL with
	// its password. The client keeps it nowhere.
	if u, err := url.Parse(l.dbURL); err == nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			again, err := c.TransferInfo(ctx, db, r.UUID, true)
			if err != nil {
				t.Fatal(err)
			}
			for what, text := range map[string]string{"restore": fmt.Sprintf("%+v", r), "info": fmt.Sprintf("%+v", again), "progress": progress.String()} {
				if strings.Contains(text, pw) {
					t.Errorf("the database password is in the %s: %s", what, text)
				}
			}
			if r.ToURL != "" || again.ToURL != "" {
				t.Errorf("a restore's to_url (the database URL) is kept: %q %q", r.ToURL, again.ToURL)
			}
		} else {
			t.Errorf("the test database URL has no password: the to_url check proves nothing")
		}
	}

	// A failing backup.
	l.fake.FailBackups(1)
	_, err = c.Backup(ctx, db, &progress)
	var terr *heroku.TransferError
	if !errors.As(err, &terr) || len(terr.Logs) == 0 {
		t.Errorf("failed backup: %v", err)
	}
	noToken(t, "error", errTexts(err)...)
}
