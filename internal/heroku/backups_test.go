package heroku_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
)

// dts is a Data API timestamp as the service sends it (HEROKU.md §5.3), not RFC 3339.
const dts = "2026-01-02 03:04:05 +0000"

// dbPassword is the database password the Data API puts in a backup's from_url and a restore's
// to_url; it must appear in nothing the client returns, logs or prints.
const dbPassword = "dbsecret-5f2a"

var testDB = heroku.Addon{ID: "db-1", Name: "postgresql-curved-12345", AppID: "app-myapp", AppName: "myapp"}

// xfer is a transfer of the test server; it advances one step per poll: pending, running,
// finished.
type xfer struct {
	UUID, FromType, ToType, FromURL string
	Num, polls                      int
	// stepsToFinish is how many polls it takes to finish; fail makes it end unsuccessfully.
	stepsToFinish int
	fail          bool
	schedule      bool
}

func (x *xfer) json(verbose bool) map[string]interface{} {
	// The Data API's shapes (HEROKU.md §5.3): its own timestamp layout, succeeded null until the
	// transfer finishes, and a restore's to_url is the target database URL with its password.
	var started, finished, succeeded interface{}
	if x.polls >= 1 {
		started = dts
	}
	done := x.polls >= x.stepsToFinish
	if done {
		finished = dts
		succeeded = !x.fail
	}
	toURL := fmt.Sprintf("https://s3.example.com/b%03d.dump", x.Num)
	if x.ToType == "pg_restore" {
		toURL = "postgres://u:" + dbPassword + "@h:5432/db"
	}
	var schedule interface{}
	if x.schedule {
		schedule = map[string]string{"uuid": "sched-1"}
	}
	m := map[string]interface{}{
		"uuid": x.UUID, "num": x.Num, "from_type": x.FromType, "to_type": x.ToType,
		"from_name": "DATABASE", "to_name": "BACKUP", "from_url": x.FromURL,
		"to_url":     toURL,
		"created_at": dts, "started_at": started, "finished_at": finished,
		"succeeded": succeeded, "canceled_at": nil, "deleted_at": nil, "purged_at": nil, "updated_at": dts,
		"processed_bytes": 2048 * x.polls, "source_bytes": 123456, "warnings": 0, "num_keep": 2,
		"options": map[string]interface{}{}, "schedule": schedule,
	}
	if verbose {
		logs := []map[string]string{}
		for i := 1; i <= 7; i++ {
			logs = append(logs, map[string]string{"created_at": dts, "level": "info", "message": fmt.Sprintf("line %d", i)})
		}
		if x.fail {
			logs = append(logs, map[string]string{"created_at": dts, "level": "error", "message": "pg_dump: error: connection to server failed"})
		}
		m["logs"] = logs
	}
	return m
}

type transferStore struct {
	mu sync.Mutex
	xs []*xfer
	// next configures the next created transfer.
	steps int
	fail  bool
}

func (s *transferStore) add(x xfer) *xfer {
	s.mu.Lock()
	defer s.mu.Unlock()
	x.Num = len(s.xs) + 1
	x.UUID = fmt.Sprintf("t-%d", x.Num)
	if x.stepsToFinish == 0 {
		x.stepsToFinish = s.steps
	}
	x.fail = x.fail || s.fail
	s.xs = append(s.xs, &x)
	return &x
}

func (s *transferStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.xs)
}

// serve routes the backups API under dataPrefix. capture and restore answer the POSTs after the
// transfer is created (nil: 200 with the transfer).
func (e *env) serveTransfers(s *transferStore, answer func(w http.ResponseWriter, x *xfer, n int)) {
	if answer == nil {
		// Capture and restore answer 201 (HEROKU.md §5.3, recorded responses).
		answer = func(w http.ResponseWriter, x *xfer, _ int) { writeJSON(w, 201, x.json(false)) }
	}
	base := dataPrefix + "/client/v11"
	e.api.on("GET "+base+"/apps/myapp/transfers", func(w http.ResponseWriter, r *http.Request, _ int) {
		s.mu.Lock()
		defer s.mu.Unlock()
		out := []interface{}{}
		for _, x := range s.xs {
			out = append(out, x.json(false))
		}
		writeJSON(w, 200, out)
	})
	for i := 1; i <= 20; i++ {
		e.api.on(fmt.Sprintf("GET %s/apps/myapp/transfers/t-%d", base, i), func(w http.ResponseWriter, r *http.Request, _ int) {
			s.mu.Lock()
			defer s.mu.Unlock()
			id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
			for _, x := range s.xs {
				if x.UUID == id {
					verbose := r.URL.Query().Get("verbose") == "true"
					if !verbose {
						x.polls++
					}
					writeJSON(w, 200, x.json(verbose))
					return
				}
			}
			apiError(w, 404, "not_found", "Couldn't find that transfer.")
		})
	}
	e.api.on("POST "+base+"/databases/db-1/backups", func(w http.ResponseWriter, r *http.Request, n int) {
		x := s.add(xfer{FromType: "pg_dump", ToType: "gof3r", FromURL: "postgres://u:" + dbPassword + "@h/db"})
		answer(w, x, n)
	})
	e.api.on("POST "+base+"/databases/db-1/restores", func(w http.ResponseWriter, r *http.Request, n int) {
		var body struct {
			BackupURL string `json:"backup_url"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		x := s.add(xfer{FromType: "gof3r", ToType: "pg_restore", FromURL: body.BackupURL})
		answer(w, x, n)
	})
}

func TestBackupCapturesAndWaits(t *testing.T) {
	e := newEnv(t)
	s := &transferStore{steps: 3}
	// An older scheduled backup exists.
	s.add(xfer{FromType: "pg_dump", ToType: "gof3r", stepsToFinish: 1, schedule: true})
	e.serveTransfers(s, nil)
	var progress bytes.Buffer
	b, err := e.client.Backup(context.Background(), testDB, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != "b002" || !b.Succeeded || !b.Finished() || b.Failed() || b.ToURL != "https://s3.example.com/b002.dump" || !b.IsBackup() {
		t.Errorf("backup = %+v", b)
	}
	if b.FromURL != "" {
		t.Errorf("a backup's from_url (the database URL) is kept: %q", b.FromURL)
	}
	// One line per change of phase (polls are 1ms apart, far below the 30s progress interval).
	want := "       b002: pending\n       b002: running, processed 2.0 kB of 120.6 kB (1%), 0s elapsed\n       b002: completed, 6.0 kB in 0s\n"
	if progress.String() != want {
		t.Errorf("progress =\n%s\nwant\n%s", progress.String(), want)
	}
	post := e.api.requests("POST", dataPrefix+"/client/v11/databases/db-1/backups")
	if len(post) != 1 || post[0].Body != "" || post[0].Header.Get("Content-Type") != "" {
		t.Errorf("capture POST = %+v, want one without a body", post)
	}
	if post[0].Header.Get("Authorization") != "Bearer "+token || post[0].Header.Get("Accept") != "application/vnd.heroku+json; version=3" {
		t.Errorf("capture headers = %v", post[0].Header)
	}

	// Info, and the list.
	info, err := e.client.TransferInfo(context.Background(), testDB, "t-1", true)
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "a001" || len(info.Logs) != 7 || info.Logs[6].Message != "line 7" {
		t.Errorf("info = %+v", info)
	}
	all, err := e.client.Transfers(context.Background(), testDB)
	if err != nil || len(all) != 2 {
		t.Errorf("transfers = %+v, %v", all, err)
	}
}

func TestBackupFailureCarriesTheLogs(t *testing.T) {
	e := newEnv(t)
	s := &transferStore{steps: 2, fail: true}
	e.serveTransfers(s, nil)
	var progress bytes.Buffer
	b, err := e.client.Backup(context.Background(), testDB, &progress)
	var terr *heroku.TransferError
	if !errors.As(err, &terr) {
		t.Fatalf("err = %v, want *TransferError", err)
	}
	if !b.Failed() || terr.Transfer.Name != "b001" {
		t.Errorf("transfer = %+v", b)
	}
	wantLogs := []string{"line 4", "line 5", "line 6", "line 7", "pg_dump: error: connection to server failed"}
	if strings.Join(terr.Logs, "|") != strings.Join(wantLogs, "|") {
		t.Errorf("logs = %q", terr.Logs)
	}
	if want := "backup b001 did not finish: failed: line 4; line 5; line 6; line 7; pg_dump: error: connection to server failed"; err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err.Error(), want)
	}
	if !strings.HasSuffix(progress.String(), "b001: failed, 4.0 kB in 0s\n") {
		t.Errorf("progress = %q", progress.String())
	}
}

func TestWaitToleratesTransientPollFailures(t *testing.T) {
	// Retries off, so that each failing poll reaches the wait loop.
	e := newEnv(t, func(_ *config.Config, o *heroku.Options) { o.RetryMax = -1; o.PollFailures = 3 })
	s := &transferStore{steps: 2}
	e.serveTransfers(s, nil)
	x := s.add(xfer{FromType: "pg_dump", ToType: "gof3r"})
	path := dataPrefix + "/client/v11/apps/myapp/transfers/" + x.UUID
	good := e.api.routes["GET "+path]
	e.api.on("GET "+path, func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= 3 {
			apiError(w, 500, "internal_server_error", "Oops.")
			return
		}
		good(w, r, n)
	})
	b, err := e.client.WaitTransfer(context.Background(), testDB, heroku.Transfer{UUID: x.UUID, Num: x.Num, Name: "b001"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Succeeded {
		t.Errorf("transfer = %+v", b)
	}

	// One more failure than tolerated.
	y := s.add(xfer{FromType: "pg_dump", ToType: "gof3r"})
	e.api.on("GET "+dataPrefix+"/client/v11/apps/myapp/transfers/"+y.UUID, func(w http.ResponseWriter, r *http.Request, n int) {
		apiError(w, 502, "bad_gateway", "Bad gateway.")
	})
	_, err = e.client.WaitTransfer(context.Background(), testDB, heroku.Transfer{UUID: y.UUID, Num: y.Num, Name: "b002"}, nil)
	if heroku.StatusOf(err) != 502 || !strings.Contains(err.Error(), "4 polls failed") {
		t.Errorf("err = %v", err)
	}

	// A 401 stops at once.
	z := s.add(xfer{FromType: "pg_dump", ToType: "gof3r"})
	e.api.on("GET "+dataPrefix+"/client/v11/apps/myapp/transfers/"+z.UUID, func(w http.ResponseWriter, r *http.Request, n int) {
		apiError(w, 401, "unauthorized", "Invalid credentials provided.")
	})
	_, err = e.client.WaitTransfer(context.Background(), testDB, heroku.Transfer{UUID: z.UUID, Num: z.Num, Name: "b003"}, nil)
	if heroku.StatusOf(err) != 401 || e.api.count("GET "+dataPrefix+"/client/v11/apps/myapp/transfers/"+z.UUID) != 1 {
		t.Errorf("err = %v after %d polls", err, e.api.count("GET "+dataPrefix+"/client/v11/apps/myapp/transfers/"+z.UUID))
	}
}

// The wait for a transfer is bounded by the caller's budget, not by ZDCD_API_TIMEOUT, which
// bounds each call: a backup that takes many times the API timeout completes.
func TestWaitOutlivesTheAPITimeout(t *testing.T) {
	e := newEnv(t, func(c *config.Config, o *heroku.Options) {
		c.APITimeout = 50 * time.Millisecond
		o.PollInterval = 10 * time.Millisecond
	})
	s := &transferStore{steps: 30} // 30 polls of 10ms: about 6 API timeouts
	e.serveTransfers(s, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	b, err := e.client.Backup(ctx, testDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Succeeded {
		t.Errorf("backup = %+v", b)
	}
	if d := time.Since(start); d < 2*e.cfg.APITimeout {
		t.Errorf("the backup took %s, less than twice the API timeout: the test proves nothing", d)
	}
}

// When the budget ends first, the transfer is reported still running, with its live state and the
// commands to follow or stop it: never as failed.
func TestWaitEndsStillRunning(t *testing.T) {
	e := newEnv(t, func(c *config.Config, o *heroku.Options) { o.PollInterval = 5 * time.Millisecond })
	s := &transferStore{steps: 1 << 30}
	e.serveTransfers(s, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	var progress bytes.Buffer
	b, err := e.client.Backup(ctx, testDB, &progress)
	var still *heroku.StillRunningError
	if !errors.As(err, &still) {
		t.Fatalf("err = %v, want *StillRunningError", err)
	}
	var terr *heroku.TransferError
	if errors.As(err, &terr) || b.Failed() {
		t.Errorf("a running transfer is reported failed: %v", err)
	}
	for _, want := range []string{"backup b001 still running on Heroku after", "(processed ", " of 120.6 kB",
		"`heroku pg:backups:info b001 --app myapp`", "`heroku pg:backups:cancel b001 --app myapp`"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to contain %q", err, want)
		}
	}
	if !strings.Contains(progress.String(), "       backup b001 still running on Heroku after") {
		t.Errorf("progress = %q", progress.String())
	}
	noToken(t, "progress", progress.String())
}

func TestCaptureAmbiguousFailure(t *testing.T) {
	tests := []struct {
		name    string
		answer  func(w http.ResponseWriter, x *xfer, n int)
		found   bool
		posts   int
		created int
	}{
		{"500 after acting", func(w http.ResponseWriter, x *xfer, n int) { apiError(w, 500, "internal_server_error", "Oops.") }, true, 1, 2},
		{"429 then success", func(w http.ResponseWriter, x *xfer, n int) {
			if n == 1 {
				apiError(w, 429, "rate_limit", "Slow down.")
				return
			}
			writeJSON(w, 201, x.json(false))
		}, true, 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			s := &transferStore{steps: 1}
			s.add(xfer{FromType: "pg_dump", ToType: "gof3r", stepsToFinish: 1})
			e.serveTransfers(s, tt.answer)
			b, err := e.client.Backup(context.Background(), testDB, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !b.Succeeded || b.Num != tt.created {
				t.Errorf("backup = %+v", b)
			}
			if n := e.api.count("POST " + dataPrefix + "/client/v11/databases/db-1/backups"); n != tt.posts {
				t.Errorf("%d POSTs, want %d", n, tt.posts)
			}
		})
	}

	// 500 without acting: the error, no duplicate, no retry.
	e := newEnv(t)
	s := &transferStore{steps: 1}
	e.serveTransfers(s, nil)
	e.api.on("POST "+dataPrefix+"/client/v11/databases/db-1/backups", func(w http.ResponseWriter, r *http.Request, n int) {
		apiError(w, 500, "internal_server_error", "Oops.")
	})
	_, err := e.client.CaptureBackup(context.Background(), testDB)
	if heroku.StatusOf(err) != 500 || errors.Is(err, heroku.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "did not start one") {
		t.Errorf("err = %v", err)
	}
	if n := e.api.count("POST " + dataPrefix + "/client/v11/databases/db-1/backups"); n != 1 || s.count() != 0 {
		t.Errorf("%d POSTs, %d transfers", n, s.count())
	}
}

func TestRestore(t *testing.T) {
	e := newEnv(t)
	s := &transferStore{steps: 2}
	s.add(xfer{FromType: "pg_dump", ToType: "gof3r", stepsToFinish: 1})
	e.serveTransfers(s, nil)
	var progress bytes.Buffer
	url := "https://s3.example.com/b001.dump"
	r, err := e.client.Restore(context.Background(), testDB, url, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "r002" || !r.Succeeded || !r.IsRestore() || r.FromURL != url {
		t.Errorf("restore = %+v", r)
	}
	body := e.api.requests("POST", dataPrefix+"/client/v11/databases/db-1/restores")[0].Body
	if strings.TrimSpace(body) != `{"backup_url":"https://s3.example.com/b001.dump"}` {
		t.Errorf("body = %s", body)
	}
	if !strings.Contains(progress.String(), "r002: completed") {
		t.Errorf("progress = %q", progress.String())
	}
	if _, err := e.client.Restore(context.Background(), testDB, "", nil); err == nil {
		t.Error("restore without a URL accepted")
	}
}

func TestRestoreAmbiguousFailureFindsTheRestore(t *testing.T) {
	e := newEnv(t)
	s := &transferStore{steps: 1}
	s.add(xfer{FromType: "pg_dump", ToType: "gof3r", stepsToFinish: 1})
	e.serveTransfers(s, func(w http.ResponseWriter, x *xfer, n int) {
		w.WriteHeader(504) // a gateway timeout without a JSON body, after acting
	})
	r, err := e.client.Restore(context.Background(), testDB, "https://s3.example.com/b001.dump", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Num != 2 || !r.Succeeded {
		t.Errorf("restore = %+v", r)
	}
	if n := e.api.count("POST " + dataPrefix + "/client/v11/databases/db-1/restores"); n != 1 || s.count() != 2 {
		t.Errorf("%d POSTs, %d transfers", n, s.count())
	}
	if !strings.Contains(e.log.String(), "504 Gateway Timeout but started r002; using it") {
		t.Errorf("log = %q", e.log.String())
	}
}
