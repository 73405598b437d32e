package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/testenv"
)

// The three runs of a scenario.
const (
	modeBaseline = "no release"
	modeMigrate  = "migrate"
	modeZdcd     = "zdcd"
)

var modes = []string{modeBaseline, modeMigrate, modeZdcd}

// seedDB is the seeded database every run copies (CREATE DATABASE … TEMPLATE).
const seedDB = "seed"

// bench is the state of one benchmark: the cluster, the seeded template, the base app.
type bench struct {
	o       options
	log     io.Writer
	tmp     string
	cluster *pgtest.Cluster
	base    string // the sample app with only its baseline migrations
	seeded  struct{ orders, customers, products int64 }
	seedDur time.Duration
}

// run runs the benchmark and writes its outputs; it returns the results.
func run(ctx context.Context, o options, log io.Writer) ([]result, error) {
	if o.Python == "" {
		o.Python = testenv.Python()
	}
	sel := scenarios
	if len(o.Only) > 0 {
		sel = nil
		for _, name := range o.Only {
			i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.Name == name })
			if i < 0 {
				return nil, fmt.Errorf("unknown scenario %q", name)
			}
			sel = append(sel, scenarios[i])
		}
	}
	env := captureEnv(o)
	b := &bench{o: o, log: log}
	var err error
	if b.tmp, err = os.MkdirTemp("", "zdcd-downtime-"); err != nil {
		return nil, err
	}
	defer os.RemoveAll(b.tmp)
	if b.o.Binary == "" {
		b.o.Binary = filepath.Join(b.tmp, "zdcd-release")
		b.logf("building zdcd-release")
		if out, err := exec.Command("go", "build", "-o", b.o.Binary, "github.com/zdcd/zdcd/cmd/zdcd-release").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build zdcd-release: %v\n%s", err, out)
		}
	}
	if b.o.Binary, err = filepath.Abs(b.o.Binary); err != nil {
		return nil, err
	}
	b.logf("starting a throwaway PostgreSQL")
	if b.cluster, err = pgtest.Start(); err != nil {
		return nil, err
	}
	defer b.cluster.Stop()
	if err := b.prepare(ctx); err != nil {
		return nil, err
	}
	env.SeedTime = b.seedDur
	var results []result
	runs := map[string][]runData{}
	for _, sc := range sel {
		app, err := b.app(sc)
		if err != nil {
			return nil, err
		}
		for _, mode := range modes {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			b.logf("%s: %s", sc.Name, mode)
			rd, err := b.measure(ctx, sc, mode, app)
			if err != nil {
				return nil, fmt.Errorf("%s, %s: %w", sc.Name, mode, err)
			}
			runs[sc.Name] = append(runs[sc.Name], rd)
			results = append(results, rd.result)
			b.logf("  %s", rd.result.summary())
		}
	}
	evaluate(results)
	env.LoadEnd = loadAvg()
	if err := write(o, env, sel, results, runs); err != nil {
		return nil, err
	}
	return results, nil
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "-----> "+format+"\n", args...)
}

// baselineFiles are the sample app's migrations production already runs
// (testenv.SampleBaseline); every other migration file is removed from the base app.
var baselineFiles = map[string]bool{
	"accounts/0001_initial.py": true, "accounts/0002_customer_nickname.py": true,
	"shop/0001_initial.py": true, "shop/0001_squashed_0003_order.py": true,
	"shop/0002_product_sku.py": true, "shop/0003_order.py": true,
	"blog/0001_initial.py": true,
}

// prepare copies the sample app down to its baseline, migrates the seed database to it and
// seeds it.
func (b *bench) prepare(ctx context.Context) error {
	b.base = filepath.Join(b.tmp, "base")
	if err := copyDir(b.o.Sample, b.base); err != nil {
		return err
	}
	for _, appName := range []string{"accounts", "shop", "blog"} {
		dir := filepath.Join(b.base, appName, "migrations")
		_ = os.RemoveAll(filepath.Join(dir, "__pycache__"))
		files, _ := filepath.Glob(filepath.Join(dir, "0*.py"))
		for _, f := range files {
			if !baselineFiles[appName+"/"+filepath.Base(f)] {
				if err := os.Remove(f); err != nil {
					return err
				}
			}
		}
	}
	url, err := b.cluster.CreateDatabase(ctx, seedDB)
	if err != nil {
		return err
	}
	b.logf("migrating the baseline")
	for _, target := range testenv.SampleBaseline {
		cmd := exec.CommandContext(ctx, b.o.Python, append([]string{"manage.py", "migrate", "--noinput"}, target...)...)
		cmd.Dir, cmd.Env = b.base, appEnv(url)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("migrate %v: %v\n%s", target, err, out)
		}
	}
	b.seeded.orders = int64(b.o.Rows)
	b.seeded.customers = max(int64(b.o.Rows)/100, 10)
	b.seeded.products = max(int64(b.o.Rows)/2000, 10)
	b.logf("seeding %d orders, %d customers, %d products", b.seeded.orders, b.seeded.customers, b.seeded.products)
	start := time.Now()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	// FK triggers off while seeding (superuser): the ids are consistent by construction.
	seed := fmt.Sprintf(`
SET session_replication_role = replica;
INSERT INTO accounts_customer (email, name, created_at)
  SELECT 'customer' || g || '@example.com', 'Customer ' || g, timestamptz '2020-01-01' + g * interval '1 minute'
  FROM generate_series(1, %[2]d) g;
INSERT INTO shop_product (name, price, sku)
  SELECT 'Product ' || g, (g %% 100) + 0.99, 'SKU-' || g FROM generate_series(1, %[3]d) g;
INSERT INTO shop_order (customer_id, product_id, quantity, created_at)
  SELECT 1 + g %% %[2]d, 1 + (g * 7) %% %[3]d, 1 + g %% 5,
         timestamptz '2022-01-01' + ((g::bigint * 7919) %% %[1]d) * interval '1 second'
  FROM generate_series(1, %[1]d) g;
RESET session_replication_role;
`, b.seeded.orders, b.seeded.customers, b.seeded.products)
	if _, err := conn.Exec(ctx, seed); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	b.seedDur = time.Since(start)
	b.logf("seeded in %s", b.seedDur.Round(100*time.Millisecond))
	return nil
}

// app is the base app plus the scenario's migrations.
func (b *bench) app(sc scenario) (string, error) {
	dir := filepath.Join(b.tmp, "app-"+sc.Name)
	if err := copyDir(b.base, dir); err != nil {
		return "", err
	}
	for name, text := range sc.Files {
		if err := os.WriteFile(filepath.Join(dir, "shop", "migrations", name), []byte(text), 0o644); err != nil {
			return "", err
		}
	}
	if sc.AppOptions {
		f, err := os.OpenFile(filepath.Join(dir, "sampleproject", "settings.py"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return "", err
		}
		_, err = f.WriteString(appOptionsLine)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", err
		}
	}
	return dir, nil
}

// runData is one run's result and its samples (for the chart).
type runData struct {
	result  result
	samples []sample
}

// measure runs one scenario in one mode on a fresh copy of the seeded database.
func (b *bench) measure(ctx context.Context, sc scenario, mode, app string) (runData, error) {
	const db = "run"
	admin, err := pgx.Connect(ctx, b.cluster.URL("postgres"))
	if err != nil {
		return runData{}, err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+db+" TEMPLATE "+seedDB+" STRATEGY FILE_COPY"); err != nil {
		return runData{}, fmt.Errorf("copy the seeded database: %w", err)
	}
	defer func() { _ = b.cluster.DropDatabase(context.Background(), db) }()
	url := b.cluster.URL(db)
	before, err := fingerprint(ctx, url)
	if err != nil {
		return runData{}, err
	}

	r := result{Scenario: sc.Name, Mode: mode, Want: sc.Want, Outlasts: sc.Outlasts, Load: strings.Fields(loadAvg())[0]}
	// The release's URL: through PgBouncer in the pgbouncer scenarios (the load, the blocker and
	// the bench's own checks stay direct). Stopped before the database is dropped (defers run
	// last in, first out). Session mode, dropping the `options` startup parameter
	// (https://www.pgbouncer.org/config.html#ignore_startup_parameters): a client keeps one server
	// connection while it is connected, so a SET holds (https://www.pgbouncer.org/features.html).
	releaseURL := url
	if sc.PgBouncer && mode != modeBaseline {
		p, err := pgtest.StartPgBouncer(ctx, url, pgtest.PgBouncer{PoolMode: "session", IgnoreStartupParameters: "options,extra_float_digits"})
		if err != nil {
			return runData{}, err
		}
		defer p.Stop()
		releaseURL = p.URL
	}
	l, err := startLoad(ctx, url, loadOptions{Rate: b.o.Rate, Conns: b.o.Conns,
		Orders: b.seeded.orders, Customers: b.seeded.customers, Products: b.seeded.products})
	if err != nil {
		return runData{}, err
	}
	var longDone chan error
	if sc.LongTx {
		lead := min(time.Second, b.o.Warmup/2)
		sleepUntil(ctx, l.start.Add(b.o.Warmup-lead))
		held := make(chan struct{})
		longDone = make(chan error, 1)
		go func() { longDone <- longTransaction(ctx, url, b.o.Hold, held) }()
		select {
		case <-held:
		case err := <-longDone:
			l.Stop()
			return runData{}, fmt.Errorf("long transaction: %w", err)
		}
		r.LongTxStart = l.since(time.Now())
	}
	sleepUntil(ctx, l.start.Add(b.o.Warmup))
	var out string
	if mode == modeBaseline {
		sleepUntil(ctx, l.start.Add(b.o.Baseline))
	} else {
		r.ReleaseStart = l.since(time.Now())
		var code int
		out, code, err = b.release(ctx, sc, mode, app, releaseURL)
		r.ReleaseEnd = l.since(time.Now())
		if err != nil {
			l.Stop()
			return runData{}, err
		}
		r.ExitCode = code
		sleepUntil(ctx, time.Now().Add(b.o.Tail))
	}
	samples := l.Stop()
	if longDone != nil {
		if err := <-longDone; err != nil {
			return runData{}, fmt.Errorf("long transaction: %w", err)
		}
	}
	r.measure(samples)
	if mode != modeBaseline {
		after, err := fingerprint(ctx, url)
		if err != nil {
			return runData{}, err
		}
		r.Untouched = after == before
		r.Decision, r.Detail = b.decision(ctx, sc, mode, app, releaseURL, r.ExitCode, out)
		if mode == modeZdcd {
			r.session(out)
		}
	}
	return runData{result: r, samples: samples}, nil
}

// longTransaction is the analytics query of the outage: BEGIN; count the orders; keep the
// transaction (and its ACCESS SHARE lock on shop_order) open until hold has passed since it
// started. held is closed once the lock is taken.
func longTransaction(ctx context.Context, url string, hold time.Duration, held chan<- struct{}) error {
	start := time.Now()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "LOCK TABLE shop_order IN ACCESS SHARE MODE"); err != nil {
		return err
	}
	close(held)
	var n int64
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM shop_order").Scan(&n); err != nil {
		return err
	}
	if rest := hold - time.Since(start); rest > 0 {
		if _, err := tx.Exec(ctx, "SELECT pg_sleep($1)", rest.Seconds()); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// release runs the release command of mode and returns its output and exit code.
func (b *bench) release(ctx context.Context, sc scenario, mode, app, url string) (string, int, error) {
	var cmd *exec.Cmd
	if mode == modeMigrate {
		cmd = exec.CommandContext(ctx, b.o.Python, "manage.py", "migrate", "--noinput")
		cmd.Env = appEnv(url)
	} else {
		cmd = exec.CommandContext(ctx, b.o.Binary, "release")
		cmd.Env = append(zdcdEnv(b.o.Python, url), sc.ZdcdEnv...)
	}
	cmd.Dir = app
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return buf.String(), ee.ExitCode(), nil
	}
	if err != nil {
		return buf.String(), 0, fmt.Errorf("run %s: %w", mode, err)
	}
	return buf.String(), 0, nil
}

// appEnv is a clean environment for the app's own commands.
func appEnv(url string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LANG=C.UTF-8",
		"PYTHONDONTWRITEBYTECODE=1", "DATABASE_URL=" + url}
}

// zdcdEnv runs zdcd with its defaults, locally (no Heroku), without a backup: a pg_dump of the
// big table would only add seconds before the migration, which the load does not notice.
func zdcdEnv(python, url string) []string {
	return append(appEnv(url), "ZDCD_PYTHON="+python, "ZDCD_BACKUP=never")
}

var (
	lockTimeouts = regexp.MustCompile(`(\d+) lock timeout\(s\)`)
	// waitLine is logged once per conflicting session and attempt (internal/migrate, preWait):
	// a blocker outlasting ZDCD_LOCK_WAIT is logged before every attempt, so sessions are
	// counted by pid.
	waitLine = regexp.MustCompile(`waiting for a conflicting session: pid=(\d+)`)
)

// decision says what the release did. For zdcd it reads the ledger (`history --format json`)
// and the output: applied or refused, lock timeouts retried, waits for conflicting sessions.
func (b *bench) decision(ctx context.Context, sc scenario, mode, app, url string, code int, out string) (string, string) {
	if mode == modeMigrate {
		if code == 0 {
			return "applied", ""
		}
		return fmt.Sprintf("failed (exit %d)", code), lastLine(out)
	}
	outcome, steps, rules := "", "", ""
	if list, err := b.zdcd(ctx, sc, app, url, "history", "--format", "json", "--limit", "1"); err == nil {
		var runs []struct {
			ID int64 `json:"id"`
		}
		if json.Unmarshal(list, &runs) == nil && len(runs) == 1 {
			if one, err := b.zdcd(ctx, sc, app, url, "history", "--format", "json", fmt.Sprint(runs[0].ID)); err == nil {
				outcome, steps, rules = ledgerOutcome(one)
			}
		}
	}
	d := outcome
	if d == "" {
		d = fmt.Sprintf("exit %d", code)
	}
	// In the order they happen: waits for conflicting sessions, then attempts cut by lock_timeout.
	var after []string
	pids := map[string]bool{}
	for _, m := range waitLine.FindAllStringSubmatch(out, -1) {
		pids[m[1]] = true
	}
	if n := len(pids); n > 0 {
		after = append(after, fmt.Sprintf("waiting for %d conflicting session(s)", n))
	}
	if m := lockTimeouts.FindStringSubmatch(steps); m != nil && m[1] != "0" {
		after = append(after, m[1]+" lock timeout(s)")
	}
	if len(after) > 0 {
		d += " after " + strings.Join(after, " and ")
	}
	switch {
	case outcome == "refused":
		return d, "rules: " + rules
	case code != 0:
		return d, lastLine(out)
	}
	return d, steps
}

// zdcd runs another zdcd-release command against the run's database, configured as the release.
func (b *bench) zdcd(ctx context.Context, sc scenario, app, url string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, b.o.Binary, args...)
	cmd.Dir, cmd.Env = app, append(zdcdEnv(b.o.Python, url), sc.ZdcdEnv...)
	return cmd.Output()
}

// ledgerOutcome reads a run's outcome, its migrate step's detail and the rules of its findings
// from `history <id> --format json`.
func ledgerOutcome(data []byte) (outcome, migrate, rules string) {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return "", "", ""
	}
	seen := map[string]bool{}
	var names []string
	var walk func(any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			if s, ok := t["outcome"].(string); ok && outcome == "" {
				outcome = s
			}
			if r, ok := t["rule"].(string); ok && !seen[r] {
				seen[r] = true
				names = append(names, r)
			}
			if t["name"] == "migrate" {
				if s, ok := t["detail"].(string); ok && migrate == "" {
					migrate = s
				}
			}
			for _, k := range sortedKeys(t) {
				walk(t[k])
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(v)
	return outcome, migrate, strings.Join(names, ", ")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// fingerprint describes the public schema down to each relation's file (a rewrite changes
// it) and the applied migrations: equal fingerprints mean the release did not touch the tables.
func fingerprint(ctx context.Context, url string) (string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var s string
	err = conn.QueryRow(ctx, `SELECT string_agg(x, E'\n' ORDER BY x) FROM (
  SELECT 'col ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS x
    FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL SELECT 'idx ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT 'rel ' || relname || ' ' || relfilenode FROM pg_class
    WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'i')
  UNION ALL SELECT 'con ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT 'mig ' || app || '.' || name FROM django_migrations) s`).Scan(&s)
	return s, err
}

func sleepUntil(ctx context.Context, t time.Time) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(t)):
	}
}

func copyDir(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if out, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput(); err != nil {
		return fmt.Errorf("copy %s: %v: %s", src, err, out)
	}
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
