package herokufake

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/pgtest"
)

type transferLog struct {
	at      time.Time
	level   string
	message string
}

type transfer struct {
	uuid                 string
	num                  int
	appID, addonID       string
	fromType, toType     string
	fromName, toName     string
	fromURL              string // "" for a capture: the rendered from_url is the redacted database URL
	blob                 string // capture: file name under blobs/
	toURL                string // restore: the redacted database URL
	createdAt, updatedAt time.Time
	startedAt            *time.Time
	finishedAt           *time.Time
	canceledAt           *time.Time
	succeeded            bool
	processedBytes       int64
	sourceBytes          int64
	warnings             int
	logs                 []transferLog
	cancel               context.CancelFunc
	// scheduled marks the daily scheduled backup ("a" prefix, schedule set).
	scheduled bool
	// sim is the large-transfer simulation in force when the transfer was created.
	sim TransferSim
}

// DataTimeLayout is the layout of every Data API timestamp: "2018-03-03 21:07:42 +0000", not
// RFC 3339 (HEROKU.md §5.3: recorded responses of capture, info and restore, and the Heroku
// CLI's fixtures for api.data.heroku.com). The Platform API sends RFC 3339 (ts).
const DataTimeLayout = "2006-01-02 15:04:05 -0700"

// dts renders a Data API timestamp.
func dts(t time.Time) string { return t.UTC().Format(DataTimeLayout) }

func dtsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return dts(*t)
}

// TransferSim makes the fake's transfers look like those of a large database without taking
// long: the real pg_dump or pg_restore runs (the data is really saved and restored), then the
// transfer reports SourceBytes as source_bytes and a processed_bytes growing linearly to it over
// Duration of wall-clock time, and finishes no sooner. A 3 GB database restored in 3 s is not a
// measurement of anything: it exercises the client's budget, progress and still-running paths.
type TransferSim struct {
	SourceBytes int64
	Duration    time.Duration
	// Kind limits the simulation to "backup"s or "restore"s; "" is both.
	Kind string
}

// simFor is the simulation for a new transfer of kind ("backup" or "restore").
func (s *Server) simFor(kind string) TransferSim {
	if s.sim.Kind != "" && s.sim.Kind != kind {
		return TransferSim{}
	}
	return s.sim
}

func (s *Server) dataRoutes() {
	s.handle("GET /client/v11/databases/{db}", s.databaseInfo)
	s.handle("POST /client/v11/databases/{db}/backups", s.capture)
	s.handle("POST /client/v11/databases/{db}/restores", s.restore)
	s.handle("GET /client/v11/apps/{app}/transfers", s.transferList)
	s.handle("GET /client/v11/apps/{app}/transfers/{t}", s.transferInfo)
	s.handle("POST /client/v11/apps/{app}/transfers/{t}/actions/cancel", s.transferCancel)
	s.handle("POST /client/v11/apps/{app}/transfers/{t}/actions/public-url", s.transferPublicURL)
	s.mux.HandleFunc("GET /blobs/{name}", s.blob)
}

// redactURL drops the password of a database URL: the fake never shows or logs one.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://REDACTED"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// redactor replaces a database URL's password in free text (pg_dump's messages).
func redactor(raw string) func(string) string {
	u, err := url.Parse(raw)
	pw, ok := "", false
	if err == nil && u.User != nil {
		pw, ok = u.User.Password()
	}
	return func(s string) string {
		if ok && pw != "" {
			s = strings.ReplaceAll(s, pw, "REDACTED")
			s = strings.ReplaceAll(s, url.QueryEscape(pw), "REDACTED")
		}
		return s
	}
}

func (s *Server) lookupDatabase(r *http.Request) (*addon, *apiError) {
	ad := s.findAddon(r.PathValue("db"))
	if ad == nil || !ad.provisioned || ad.service != "heroku-postgresql" {
		return nil, notFound("database", "Couldn't find that database.")
	}
	return ad, nil
}

// attachmentName is the add-on's attachment name on its billing app (DATABASE).
func (s *Server) attachmentName(ad *addon) string {
	for _, at := range s.attachments {
		if at.addonID == ad.id && at.appID == ad.appID {
			return at.name
		}
	}
	return "DATABASE"
}

func (s *Server) databaseInfo(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	ad, err := s.lookupDatabase(r)
	if err != nil {
		s.mu.Unlock()
		return 0, nil, err
	}
	billing := s.appByID(ad.appID)
	dbURL, name, plan := ad.databaseURL, ad.name, ad.plan
	s.mu.Unlock()
	status, size, version, tables := "Available", "unknown", "unknown", "unknown"
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if conn, cerr := pgx.Connect(ctx, dbURL); cerr != nil {
		status = "Unavailable"
	} else {
		var n int64
		var t int
		if conn.QueryRow(ctx, "SELECT pg_database_size(current_database()), current_setting('server_version'), (SELECT count(*) FROM pg_stat_user_tables)").Scan(&n, &version, &t) == nil {
			size, tables = humanBytes(n), strconv.Itoa(t)
		}
		conn.Close(ctx)
	}
	return http.StatusOK, obj{
		"addon_id": ad.id, "name": name, "plan": strings.TrimPrefix(plan, "heroku-postgresql:"),
		"app": obj{"id": billing.id, "name": billing.name}, "waiting?": false,
		"resource_url": redactURL(dbURL),
		"info": []obj{
			{"name": "Plan", "values": []string{strings.TrimPrefix(plan, "heroku-postgresql:")}},
			{"name": "Status", "values": []string{status}},
			{"name": "Data Size", "values": []string{size}},
			{"name": "Tables", "values": []string{tables}},
			{"name": "PG Version", "values": []string{version}},
		},
	}, nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func (s *Server) newTransfer(ad *addon) *transfer {
	num := 1
	for _, t := range s.transfers {
		if t.appID == ad.appID && t.num >= num {
			num = t.num + 1
		}
	}
	now := s.now()
	t := &transfer{uuid: s.newID(), num: num, appID: ad.appID, addonID: ad.id, createdAt: now, updatedAt: now}
	s.transfers = append(s.transfers, t)
	return t
}

func (t *transfer) log(at time.Time, level, msg string) {
	t.logs = append(t.logs, transferLog{at: at, level: level, message: msg})
}

func (s *Server) capture(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ad, err := s.lookupDatabase(r)
	if err != nil {
		return 0, nil, err
	}
	if running := s.runningTransfer(ad); running != nil {
		// Heroku runs one transfer of a database at a time and has refused a capture while
		// another runs, typically the daily scheduled backup (HEROKU.md §5.3). The status and id
		// are UNCERTAIN there (422 likely); the message is the one recorded.
		return 0, nil, &apiError{Status: http.StatusUnprocessableEntity, ID: "unprocessable_entity",
			Message: fmt.Sprintf("A transfer is currently in progress for this database (%s). Wait for it to finish, or cancel it.", transferLabel(running))}
	}
	t := s.newTransfer(ad)
	t.fromType, t.toType = "pg_dump", "gof3r"
	t.fromName, t.toName = s.attachmentName(ad), "BACKUP"
	t.blob = t.uuid + ".dump"
	t.sim = s.simFor("backup")
	fail := s.failBackups > 0
	if fail {
		s.failBackups--
	}
	ctx, cancel := context.WithCancel(s.ctx)
	t.cancel = cancel
	s.procs.Add(1)
	go s.runCapture(ctx, t, ad.databaseURL, fail, s.backupDelay)
	s.opts.Logf("backup b%03d of %s: capture requested", t.num, ad.name)
	// 201 with the transfer, as Heroku answers (HEROKU.md §5.3, recorded responses).
	return http.StatusCreated, s.renderTransfer(r, t, false), nil
}

func (s *Server) pgBin(name string) (string, error) {
	dir := s.opts.PGBinDir
	if dir == "" {
		d, err := pgtest.BinDir()
		if err != nil {
			return "", err
		}
		dir = d
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return exec.LookPath(name)
	}
	return p, nil
}

// pgCommand prepares a pg_dump or pg_restore against dbURL, with the password passed in the
// environment, never on the command line.
func (s *Server) pgCommand(ctx context.Context, tool, dbURL string, args ...string) (*exec.Cmd, error) {
	bin, err := s.pgBin(tool)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, fmt.Errorf("database URL does not parse")
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
		}
		u.User = url.User(u.User.Username())
	}
	cmd := exec.CommandContext(ctx, bin, append(args, "--no-password", "--dbname="+u.String())...)
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	return cmd, nil
}

// finishTransfer waits out the injected delay (slow transfers), then records the end.
func (s *Server) finishTransfer(ctx context.Context, t *transfer, delay time.Duration, runErr error, msg string) {
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.finishedAt != nil {
		return // canceled
	}
	now := s.now()
	t.finishedAt, t.updatedAt = &now, now
	t.succeeded = runErr == nil
	if runErr != nil {
		t.log(now, "error", msg)
	} else {
		t.log(now, "info", msg)
	}
}

func (s *Server) runCapture(ctx context.Context, t *transfer, dbURL string, fail bool, delay time.Duration) {
	defer s.procs.Done()
	redact := redactor(dbURL)
	s.mu.Lock()
	now := s.now()
	t.startedAt, t.updatedAt = &now, now
	t.log(now, "info", fmt.Sprintf("Starting backup of %s", t.fromName))
	s.mu.Unlock()
	if fail {
		u, _ := url.Parse(dbURL)
		host, port := "localhost", "5432"
		if u != nil {
			host, port = u.Hostname(), u.Port()
		}
		err := fmt.Errorf("injected failure")
		s.mu.Lock()
		t.log(s.now(), "error", fmt.Sprintf("pg_dump: error: connection to server at %q, port %s failed: could not receive data from server: Connection reset by peer", host, port))
		s.mu.Unlock()
		s.finishTransfer(ctx, t, delay, err, "Backup failed: pg_dump exited with status 1")
		return
	}
	size := databaseSize(dbURL)
	s.mu.Lock()
	t.sourceBytes = size
	if t.sim.SourceBytes > 0 {
		t.sourceBytes = t.sim.SourceBytes
	}
	s.mu.Unlock()
	path := filepath.Join(s.opts.StateDir, "blobs", t.blob)
	cmd, err := s.pgCommand(ctx, "pg_dump", dbURL, "--format=custom", "--file="+path)
	if err != nil {
		s.finishTransfer(ctx, t, 0, err, "Backup failed: "+redact(err.Error()))
		return
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan struct{})
	go func() { // progress: processed_bytes follows the dump file
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if fi, err := os.Stat(path); err == nil {
					s.mu.Lock()
					t.processedBytes, t.updatedAt = fi.Size(), s.now()
					s.mu.Unlock()
				}
			}
		}
	}()
	err = cmd.Run()
	close(done)
	s.mu.Lock()
	if fi, serr := os.Stat(path); serr == nil && t.sim.SourceBytes == 0 {
		t.processedBytes = fi.Size()
	}
	logLines(t, s.now(), "warning", redact(stderr.String()))
	s.mu.Unlock()
	if err == nil {
		s.simulate(ctx, t)
	}
	msg := "Finished backup"
	if err != nil {
		msg = "Backup failed: pg_dump: " + redact(err.Error())
	}
	s.finishTransfer(ctx, t, delay, err, msg)
}

func logLines(t *transfer, at time.Time, level, text string) {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			t.log(at, level, line)
		}
	}
}

func databaseSize(dbURL string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0
	}
	defer conn.Close(ctx)
	var n int64
	_ = conn.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&n)
	return n
}

func (s *Server) restore(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var body struct {
		BackupURL  string   `json:"backup_url"`
		Extensions []string `json:"extensions"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	if body.BackupURL == "" {
		return 0, nil, invalid("Missing required param: backup_url.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ad, err := s.lookupDatabase(r)
	if err != nil {
		return 0, nil, err
	}
	t := s.newTransfer(ad)
	t.fromType, t.toType = "gof3r", "pg_restore"
	t.sim = s.simFor("restore")
	t.fromName, t.toName = "BACKUP", s.attachmentName(ad)
	// to_url is rendered from the add-on's database URL, password included, as Heroku sends it.
	t.fromURL = body.BackupURL
	ctx, cancel := context.WithCancel(s.ctx)
	t.cancel = cancel
	s.procs.Add(1)
	go s.runRestore(ctx, t, body.BackupURL, ad.databaseURL, s.backupDelay)
	s.opts.Logf("restore r%03d into %s: requested", t.num, ad.name)
	return http.StatusCreated, s.renderTransfer(r, t, false), nil
}

// backupFile finds the dump a backup_url names: a blob of this fake (whatever host the URL
// uses), a file:// URL or a path; any other http(s) URL is downloaded.
func (s *Server) backupFile(ctx context.Context, backupURL string) (string, func(), error) {
	noop := func() {}
	u, err := url.Parse(backupURL)
	if err != nil {
		return "", noop, fmt.Errorf("backup_url does not parse")
	}
	if name, ok := strings.CutPrefix(u.Path, "/blobs/"); ok && (u.Scheme == "http" || u.Scheme == "https") {
		p := filepath.Join(s.opts.StateDir, "blobs", filepath.Base(name))
		if _, err := os.Stat(p); err == nil {
			return p, noop, nil
		}
	}
	switch u.Scheme {
	case "file":
		return u.Path, noop, nil
	case "":
		return backupURL, noop, nil
	case "http", "https":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, backupURL, nil)
		if err != nil {
			return "", noop, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", noop, fmt.Errorf("download backup: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", noop, fmt.Errorf("download backup: %s", resp.Status)
		}
		f, err := os.CreateTemp(s.opts.StateDir, "download-*.dump")
		if err != nil {
			return "", noop, err
		}
		_, err = io.Copy(f, resp.Body)
		f.Close()
		return f.Name(), func() { os.Remove(f.Name()) }, err
	}
	return "", noop, fmt.Errorf("unsupported backup_url scheme %q", u.Scheme)
}

func (s *Server) runRestore(ctx context.Context, t *transfer, backupURL, dbURL string, delay time.Duration) {
	defer s.procs.Done()
	redact := redactor(dbURL)
	s.mu.Lock()
	now := s.now()
	t.startedAt, t.updatedAt = &now, now
	t.log(now, "info", fmt.Sprintf("Starting restore to %s", t.toName))
	s.mu.Unlock()
	path, cleanup, err := s.backupFile(ctx, backupURL)
	defer cleanup()
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(path); err == nil {
			s.mu.Lock()
			t.sourceBytes = fi.Size()
			if t.sim.SourceBytes > 0 {
				t.sourceBytes = t.sim.SourceBytes
			}
			s.mu.Unlock()
		}
	}
	if err != nil {
		s.finishTransfer(ctx, t, delay, err, "Restore failed: "+redact(err.Error()))
		return
	}
	// Heroku's restore overwrites the database entirely: what was created after the backup
	// (a table a failed migration added) goes too. So the user schemas are reset first, then
	// pg_restore (--clean --if-exists is then a no-op kept for safety; --no-owner --no-acl:
	// roles differ between databases).
	if s.opts.RestoreEndsSessions {
		if err := endSessions(ctx, dbURL); err != nil {
			s.finishTransfer(ctx, t, delay, err, "Restore failed: end sessions: "+redact(err.Error()))
			return
		}
	}
	if err := resetDatabase(ctx, dbURL); err != nil {
		s.finishTransfer(ctx, t, delay, err, "Restore failed: reset database: "+redact(err.Error()))
		return
	}
	cmd, err := s.pgCommand(ctx, "pg_restore", dbURL, "--clean", "--if-exists", "--no-owner", "--no-acl", "--exit-on-error", path)
	if err != nil {
		s.finishTransfer(ctx, t, delay, err, "Restore failed: "+redact(err.Error()))
		return
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	s.mu.Lock()
	if t.sim.SourceBytes == 0 {
		t.processedBytes = t.sourceBytes
	}
	logLines(t, s.now(), "warning", redact(stderr.String()))
	s.mu.Unlock()
	if err == nil {
		s.simulate(ctx, t)
	}
	msg := "Finished restore"
	if err != nil {
		msg = "Restore failed: pg_restore: " + redact(err.Error())
	}
	s.finishTransfer(ctx, t, delay, err, msg)
}

func (s *Server) renderTransfer(r *http.Request, t *transfer, verbose bool) obj {
	// The shapes of HEROKU.md §5.3: Data API timestamps (dts, not RFC 3339); succeeded null
	// until the transfer finishes; source_bytes null until known; a restore's to_url is the target
	// database URL with its password, exactly as Heroku sends it (so that a client keeping or
	// printing it is caught). A backup's from_url stays redacted here: the fake prints no
	// password it does not have to.
	fromURL, toURL := t.fromURL, t.toURL
	if t.fromType == "pg_dump" {
		fromURL = redactURL(s.findAddon(t.addonID).databaseURL)
		toURL = s.baseURL(r) + "/blobs/" + t.blob
	} else if ad := s.findAddon(t.addonID); ad != nil {
		toURL = ad.databaseURL
	}
	var succeeded, sourceBytes, schedule any
	if t.finishedAt != nil {
		succeeded = t.succeeded
	}
	if t.sourceBytes > 0 {
		sourceBytes = t.sourceBytes
	}
	if t.scheduled {
		schedule = obj{"uuid": stableID("schedule", t.addonID), "name": t.fromName + "_URL"}
	}
	out := obj{
		"uuid": t.uuid, "num": t.num,
		"from_type": t.fromType, "to_type": t.toType, "from_name": t.fromName, "to_name": t.toName,
		"from_url": fromURL, "to_url": toURL,
		"created_at": dts(t.createdAt), "updated_at": dts(t.updatedAt),
		"started_at": dtsPtr(t.startedAt), "finished_at": dtsPtr(t.finishedAt),
		"canceled_at": dtsPtr(t.canceledAt), "deleted_at": nil, "purged_at": nil,
		"succeeded": succeeded, "processed_bytes": t.processedBytes, "source_bytes": sourceBytes,
		"warnings": t.warnings, "num_keep": 2, "options": obj{}, "schedule": schedule,
	}
	if verbose {
		logs := []obj{}
		for _, l := range t.logs {
			logs = append(logs, obj{"created_at": dts(l.at), "level": l.level, "message": l.message})
		}
		out["logs"] = logs
	}
	return out
}

func (s *Server) lookupTransfer(r *http.Request) (*transfer, *apiError) {
	a := s.findApp(r.PathValue("app"))
	if a == nil {
		return nil, notFound("app", "Couldn't find that app.")
	}
	id := r.PathValue("t")
	n, nerr := strconv.Atoi(strings.TrimLeft(id, "abrc"))
	for _, t := range s.transfers {
		if t.appID == a.id && (t.uuid == id || (nerr == nil && t.num == n)) {
			return t, nil
		}
	}
	return nil, notFound("transfer", "Couldn't find that transfer.")
}

func (s *Server) transferList(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findApp(r.PathValue("app"))
	if a == nil {
		return 0, nil, notFound("app", "Couldn't find that app.")
	}
	out := []obj{}
	for _, t := range s.transfers {
		if t.appID == a.id {
			out = append(out, s.renderTransfer(r, t, r.URL.Query().Get("verbose") == "true"))
		}
	}
	return http.StatusOK, out, nil
}

func (s *Server) transferInfo(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTransfer(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.renderTransfer(r, t, r.URL.Query().Get("verbose") == "true"), nil
}

func (s *Server) transferCancel(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTransfer(r)
	if err != nil {
		return 0, nil, err
	}
	if t.finishedAt == nil {
		now := s.now()
		t.canceledAt, t.finishedAt, t.updatedAt = &now, &now, now
		t.succeeded = false
		t.log(now, "info", "Transfer canceled")
		if t.cancel != nil {
			t.cancel()
		}
	}
	return http.StatusOK, s.renderTransfer(r, t, false), nil
}

func (s *Server) transferPublicURL(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTransfer(r)
	if err != nil {
		return 0, nil, err
	}
	if t.fromType != "pg_dump" || !t.succeeded {
		return 0, nil, invalid("Only a completed backup has a public URL.")
	}
	return http.StatusOK, obj{"url": s.baseURL(r) + "/blobs/" + t.blob, "expires_at": dts(s.now().Add(time.Hour))}, nil
}

// blob serves a backup file, as S3 serves a signed URL.
func (s *Server) blob(w http.ResponseWriter, r *http.Request) {
	name := filepath.Base(r.PathValue("name"))
	if !strings.HasSuffix(name, ".dump") {
		writeError(w, notFound("blob", "Couldn't find that backup."))
		return
	}
	f, err := os.Open(filepath.Join(s.opts.StateDir, "blobs", name))
	if err != nil {
		writeError(w, notFound("blob", "Couldn't find that backup."))
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = io.Copy(w, f)
}

// endSessions terminates every other session of the database.
func endSessions(ctx context.Context, dbURL string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	return err
}

// resetDatabase drops every user schema (with its tables, types, functions and extensions) and
// recreates an empty public schema as CREATE DATABASE makes it.
func resetDatabase(ctx context.Context, dbURL string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT nspname FROM pg_namespace
		WHERE nspname NOT IN ('pg_catalog', 'information_schema')
		  AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp%'`)
	if err != nil {
		return err
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, n := range schemas {
		if _, err := tx.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{n}.Sanitize()+" CASCADE"); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, "CREATE SCHEMA public AUTHORIZATION pg_database_owner; GRANT USAGE ON SCHEMA public TO PUBLIC"); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// TransferStatus is a backup or restore as tests see it.
type TransferStatus struct {
	UUID      string
	Num       int
	Kind      string // "backup" or "restore"
	Finished  bool
	Succeeded bool
	// File is the dump of a backup, in the state directory.
	File string
	Logs []string
}

// Transfers returns the backups and restores of an app (its add-ons' billing app), oldest first.
func (s *Server) Transfers(appName string) []TransferStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findApp(appName)
	if a == nil {
		return nil
	}
	var out []TransferStatus
	for _, t := range s.transfers {
		if t.appID != a.id {
			continue
		}
		ts := TransferStatus{UUID: t.uuid, Num: t.num, Kind: "restore", Finished: t.finishedAt != nil, Succeeded: t.succeeded}
		if t.fromType == "pg_dump" {
			ts.Kind, ts.File = "backup", filepath.Join(s.opts.StateDir, "blobs", t.blob)
		}
		for _, l := range t.logs {
			ts.Logs = append(ts.Logs, l.message)
		}
		out = append(out, ts)
	}
	return out
}

// runningTransfer is the transfer of the database that has not finished, nil when none runs.
// The caller holds s.mu.
func (s *Server) runningTransfer(ad *addon) *transfer {
	for _, t := range s.transfers {
		if t.addonID == ad.id && t.finishedAt == nil {
			return t
		}
	}
	return nil
}

// transferLabel is the CLI's name of a transfer: a001, b002, r003.
func transferLabel(t *transfer) string {
	prefix := "r"
	switch {
	case t.fromType == "pg_dump" && t.scheduled:
		prefix = "a"
	case t.fromType == "pg_dump":
		prefix = "b"
	}
	return fmt.Sprintf("%s%03d", prefix, t.num)
}

// simulate plays out t.sim once the real work is done: processed_bytes grows to SourceBytes over
// Duration (wall clock), and the transfer finishes no sooner.
func (s *Server) simulate(ctx context.Context, t *transfer) {
	if t.sim.Duration <= 0 {
		return
	}
	start := time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		el := time.Since(start)
		if el > t.sim.Duration {
			el = t.sim.Duration
		}
		s.mu.Lock()
		if t.sim.SourceBytes > 0 {
			t.processedBytes = int64(float64(t.sim.SourceBytes) * float64(el) / float64(t.sim.Duration))
		}
		t.updatedAt = s.now()
		s.mu.Unlock()
		if el >= t.sim.Duration {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// SimulateLargeTransfers makes every capture and restore created from now on behave as one of a
// large database (TransferSim); the zero TransferSim turns it off.
func (s *Server) SimulateLargeTransfers(sim TransferSim) {
	s.mu.Lock()
	s.sim = sim
	s.mu.Unlock()
}

// StartScheduledBackup starts the daily scheduled backup of the app's database now, as Heroku's
// schedule would: an "a"-prefixed backup with schedule set, which really dumps the database and
// then runs for d of wall-clock time (with the SourceBytes of SimulateLargeTransfers, 3 GB when
// unset). While it runs, a capture of that database is refused (422). It returns its name.
func (s *Server) StartScheduledBackup(appName string, d time.Duration) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findApp(appName)
	if a == nil {
		return "", fmt.Errorf("no app %q", appName)
	}
	var ad *addon
	for _, x := range s.addons {
		if x.appID == a.id && x.provisioned && x.service == "heroku-postgresql" {
			ad = x
			break
		}
	}
	if ad == nil {
		return "", fmt.Errorf("app %q has no Heroku Postgres database", appName)
	}
	t := s.newTransfer(ad)
	t.fromType, t.toType, t.scheduled = "pg_dump", "gof3r", true
	t.fromName, t.toName = s.attachmentName(ad), "BACKUP"
	t.blob = t.uuid + ".dump"
	t.sim = TransferSim{SourceBytes: s.simFor("backup").SourceBytes, Duration: d}
	if t.sim.SourceBytes == 0 {
		t.sim.SourceBytes = 3 << 30
	}
	ctx, cancel := context.WithCancel(s.ctx)
	t.cancel = cancel
	s.procs.Add(1)
	go s.runCapture(ctx, t, ad.databaseURL, false, 0)
	s.opts.Logf("scheduled backup %s of %s: started", transferLabel(t), ad.name)
	return transferLabel(t), nil
}
