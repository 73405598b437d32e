package heroku_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
)

// fixturePassword is the database password in the fixtures' database URLs.
const fixturePassword = "s3cr3t-pw"

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "dataapi", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func serveFixture(t *testing.T, status int, name string) func(w http.ResponseWriter, r *http.Request, n int) {
	body := fixture(t, name)
	return func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}
}

var (
	timeFieldRe  = regexp.MustCompile(`"(\w+_at)":\s*("[^"]*"|null)`)
	dataLayoutRe = regexp.MustCompile(`^"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}"$`)
)

// The fixtures hold the Data API's timestamps only in its own layout: were one RFC 3339 (the
// layout the client once required), the decoding tests below would not prove the client reads
// the real one.
func TestFixturesUseTheDataAPILayout(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "dataapi", "*.json"))
	if err != nil || len(files) < 6 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range timeFieldRe.FindAllStringSubmatch(string(b), -1) {
			if m[2] == "null" {
				continue
			}
			seen++
			if !dataLayoutRe.MatchString(m[2]) {
				t.Errorf("%s: %s = %s is not in the Data API layout 2006-01-02 15:04:05 -0700", f, m[1], m[2])
			}
		}
	}
	if seen < 20 {
		t.Errorf("only %d timestamps in the fixtures", seen)
	}
}

func fixtureEnv(t *testing.T) *env {
	e := newEnv(t, func(c *config.Config, o *heroku.Options) { o.PollInterval = 5 * time.Millisecond })
	base := dataPrefix + "/client/v11"
	e.api.on("GET "+base+"/apps/myapp/transfers", serveFixture(t, 200, "transfers.json"))
	e.api.on("POST "+base+"/databases/db-1/backups", serveFixture(t, 201, "capture.json"))
	e.api.on("POST "+base+"/databases/db-1/restores", serveFixture(t, 201, "restore.json"))
	e.api.on("GET "+base+"/apps/myapp/transfers/0b4a9f4e-5a7c-4c55-9c3e-1f4a2e6b7d01", func(w http.ResponseWriter, r *http.Request, n int) {
		name := "transfer-running.json"
		if r.URL.Query().Get("verbose") == "true" {
			name = "transfer-info-verbose.json"
		}
		serveFixture(t, 200, name)(w, r, n)
	})
	e.api.on("GET "+base+"/apps/myapp/transfers/7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e14", serveFixture(t, 200, "restore.json"))
	return e
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05 -0700", s)
	if err != nil {
		panic(err)
	}
	return t
}

// Every Data API response the client reads, in the service's shapes, decodes.
func TestDecodeDataAPIFixtures(t *testing.T) {
	ctx := context.Background()
	e := fixtureEnv(t)

	t.Run("capture", func(t *testing.T) {
		b, err := e.client.CaptureBackup(ctx, testDB)
		if err != nil {
			t.Fatal(err)
		}
		if b.Name != "b012" || !b.CreatedAt.Equal(utc("2018-03-03 21:07:42 +0000")) || b.StartedAt != nil || b.Finished() ||
			b.Succeeded || b.SourceBytes != 0 || b.FromURL != "" || !strings.HasSuffix(b.ToURL, "/b012") {
			t.Errorf("capture = %+v", b)
		}
	})
	t.Run("transfer info", func(t *testing.T) {
		b, err := e.client.TransferInfo(ctx, testDB, "0b4a9f4e-5a7c-4c55-9c3e-1f4a2e6b7d01", false)
		if err != nil {
			t.Fatal(err)
		}
		if b.StartedAt == nil || !b.StartedAt.Equal(utc("2018-03-03 21:07:43 +0000")) || b.Finished() || b.Succeeded ||
			b.SourceBytes != 3221225472 || b.Status() != "running, processed 1.2 GB of 3.0 GB (39%)" {
			t.Errorf("running = %+v, status %q", b, b.Status())
		}
	})
	t.Run("verbose info with logs", func(t *testing.T) {
		b, err := e.client.TransferInfo(ctx, testDB, "0b4a9f4e-5a7c-4c55-9c3e-1f4a2e6b7d01", true)
		if err != nil {
			t.Fatal(err)
		}
		if !b.Succeeded || b.FinishedAt == nil || !b.FinishedAt.Equal(utc("2018-03-03 21:31:09 +0000")) ||
			b.UpdatedAt == nil || !b.UpdatedAt.Equal(utc("2018-03-04 02:31:10 +0000")) || len(b.Logs) != 4 ||
			!b.Logs[3].CreatedAt.Equal(utc("2018-03-03 21:31:09 +0000")) || b.Logs[0].Message != "Running pg_dump on DATABASE" {
			t.Errorf("verbose = %+v", b)
		}
	})
	t.Run("transfer list", func(t *testing.T) {
		all, err := e.client.Transfers(ctx, testDB)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 {
			t.Fatalf("transfers = %+v", all)
		}
		a, b, r := all[0], all[1], all[2]
		if a.Name != "a011" || !a.Scheduled || !a.Succeeded || a.Kind() != "scheduled backup" {
			t.Errorf("scheduled = %+v", a)
		}
		if b.Name != "b012" || b.CanceledAt == nil || b.Status() != "canceled" {
			t.Errorf("canceled = %+v", b)
		}
		if r.Name != "r014" || !r.IsRestore() || r.ToURL != "" || r.Succeeded || r.Finished() || r.Status() != "pending" ||
			!strings.HasSuffix(r.FromURL, "/a011") {
			t.Errorf("restore = %+v", r)
		}
		noPassword(t, "transfers", fmt.Sprintf("%+v", all))
	})
	// The restore's answer carries the target database URL with its password: it is in no field,
	// no error and no progress line; the restore never finishes here, so the error path is taken.
	t.Run("restore", func(t *testing.T) {
		var progress bytes.Buffer
		rctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		r, err := e.client.Restore(rctx, testDB, "https://xfrtu.s3.amazonaws.com/a011", &progress)
		var still *heroku.StillRunningError
		if !errors.As(err, &still) {
			t.Fatalf("err = %v, want *StillRunningError", err)
		}
		if r.Name != "r014" || r.ToURL != "" || still.Transfer.ToURL != "" {
			t.Errorf("restore = %+v", r)
		}
		if !strings.Contains(err.Error(), "restore r014 still running on Heroku after") || !strings.Contains(err.Error(), "(pending)") {
			t.Errorf("err = %v", err)
		}
		noPassword(t, "restore", fmt.Sprintf("%+v %+v", r, *still), err.Error(), progress.String(), e.log.String())
	})
}

func noPassword(t *testing.T, what string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, fixturePassword) {
			t.Errorf("the database password is in the %s: %s", what, s)
		}
	}
}

// A timestamp that does not parse is an error naming the field and the value; RFC 3339 and null
// are accepted.
func TestDataAPITimestamps(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, value string
		want        string // error text, "" for none
		at          time.Time
	}{
		{"data layout", `"2018-03-03 21:07:43 +0000"`, "", utc("2018-03-03 21:07:43 +0000")},
		{"offset", `"2018-03-03 16:07:43 -0500"`, "", utc("2018-03-03 21:07:43 +0000")},
		{"RFC 3339", `"2018-03-03T21:07:43Z"`, "", utc("2018-03-03 21:07:43 +0000")},
		{"null", `null`, "", time.Time{}},
		{"garbage", `"yesterday"`, `started_at = "yesterday" does not parse`, time.Time{}},
		{"number", `1520111263`, `started_at = "1520111263" does not parse`, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			body := strings.Replace(string(fixture(t, "transfer-running.json")),
				`"started_at": "2018-03-03 21:07:43 +0000"`, `"started_at": `+tt.value, 1)
			e.api.on("GET "+dataPrefix+"/client/v11/apps/myapp/transfers/12", func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(body))
			})
			b, err := e.client.TransferInfo(ctx, testDB, "12", false)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("err = %v, want it to contain %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.at.IsZero() != (b.StartedAt == nil) || (b.StartedAt != nil && !b.StartedAt.Equal(tt.at)) {
				t.Errorf("started_at = %v, want %v", b.StartedAt, tt.at)
			}
		})
	}
}

// A capture Heroku refuses because the scheduled backup runs is not a failure: the client says
// so, waits for that backup, and captures again.
func TestCaptureWaitsForTheScheduledBackup(t *testing.T) {
	setup := func(t *testing.T, steps int) (*env, *transferStore) {
		e := newEnv(t, func(c *config.Config, o *heroku.Options) { o.PollInterval = 5 * time.Millisecond })
		s := &transferStore{steps: 2}
		sched := s.add(xfer{FromType: "pg_dump", ToType: "gof3r", schedule: true, stepsToFinish: steps})
		sched.polls = 1 // running
		e.serveTransfers(s, nil)
		path := "POST " + dataPrefix + "/client/v11/databases/db-1/backups"
		create := e.api.routes[path]
		refuse := serveFixture(t, 422, "capture-refused.json")
		e.api.on(path, func(w http.ResponseWriter, r *http.Request, n int) {
			s.mu.Lock()
			running := sched.polls < sched.stepsToFinish
			s.mu.Unlock()
			if running {
				refuse(w, r, n)
				return
			}
			create(w, r, n)
		})
		return e, s
	}

	t.Run("waits, then captures", func(t *testing.T) {
		e, _ := setup(t, 4)
		var progress bytes.Buffer
		b, err := e.client.Backup(context.Background(), testDB, &progress)
		if err != nil {
			t.Fatal(err)
		}
		if b.Name != "b002" || !b.Succeeded {
			t.Errorf("backup = %+v", b)
		}
		if !strings.Contains(progress.String(), "       waiting for scheduled backup a001 to finish (running, processed 2.0 kB of 120.6 kB (1%))") ||
			!strings.Contains(progress.String(), "a001: completed") || !strings.Contains(progress.String(), "b002: completed") {
			t.Errorf("progress =\n%s", progress.String())
		}
		if n := e.api.count("POST " + dataPrefix + "/client/v11/databases/db-1/backups"); n != 2 {
			t.Errorf("%d capture POSTs, want 2 (refused, then accepted)", n)
		}
	})
	t.Run("the budget ends while it runs", func(t *testing.T) {
		e, _ := setup(t, 1<<30)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := e.client.Backup(ctx, testDB, nil)
		var still *heroku.StillRunningError
		if !errors.As(err, &still) || !still.Blocking || still.Transfer.Name != "a001" {
			t.Fatalf("err = %v, want a *StillRunningError for a001", err)
		}
		if !strings.Contains(err.Error(), "no backup captured: Heroku refuses one while another transfer runs, and scheduled backup a001 still running on Heroku") {
			t.Errorf("err = %v", err)
		}
	})
}

// While a transfer runs, a progress line comes on each change of phase and at most every
// ProgressInterval in between, with the processed bytes, the rate and the elapsed time.
func TestProgressLinesAreSpaced(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e := newEnv(t, func(c *config.Config, o *heroku.Options) {
		o.ProgressInterval = 30 * time.Second
		o.Now = func() time.Time { // every reading of the clock is 5 s later
			mu.Lock()
			defer mu.Unlock()
			clock = clock.Add(5 * time.Second)
			return clock
		}
	})
	s := &transferStore{steps: 40}
	e.serveTransfers(s, nil)
	var progress bytes.Buffer
	if _, err := e.client.Backup(context.Background(), testDB, &progress); err != nil {
		t.Fatal(err)
	}
	running := 0
	for _, l := range strings.Split(progress.String(), "\n") {
		if strings.Contains(l, ": running, processed ") {
			running++
			if !strings.HasPrefix(l, "       b001: running, processed ") || !strings.Contains(l, " elapsed") {
				t.Errorf("line %q", l)
			}
			if running > 1 && !strings.Contains(l, "/s, ") {
				t.Errorf("line %q has no rate", l)
			}
		}
	}
	// 39 polls while running: one line for the change to running, then one per 30 s of clock.
	if running < 3 || running > 20 {
		t.Errorf("%d running lines for 39 polls, want one per 30s of clock:\n%s", running, progress.String())
	}
}

// Refused as "in progress" while no transfer is listed as running: retried a bounded number of
// times, then the refusal, marked ErrTransferInProgress.
func TestCaptureRefusedWithNothingRunning(t *testing.T) {
	e := newEnv(t, func(c *config.Config, o *heroku.Options) { o.PollFailures = 2 })
	s := &transferStore{steps: 1}
	e.serveTransfers(s, nil)
	path := "POST " + dataPrefix + "/client/v11/databases/db-1/backups"
	e.api.on(path, serveFixture(t, 422, "capture-refused.json"))
	var progress bytes.Buffer
	_, err := e.client.Backup(context.Background(), testDB, &progress)
	if !errors.Is(err, heroku.ErrTransferInProgress) || heroku.StatusOf(err) != 422 || !errors.Is(err, heroku.ErrNotStarted) {
		t.Errorf("err = %v, want the 422 refusal, in progress and not started", err)
	}
	if n := e.api.count(path); n != 3 {
		t.Errorf("%d capture POSTs, want 3 (PollFailures 2, then give up)", n)
	}
	if !strings.Contains(progress.String(), "capture refused (A transfer is currently in progress") {
		t.Errorf("progress = %q", progress.String())
	}
}
