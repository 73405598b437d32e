package heroku_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
)

func TestRetries(t *testing.T) {
	tests := []struct {
		name string
		// fail answers the first failures calls.
		fail     func(w http.ResponseWriter)
		failures int
		// wait is the backoff the log must show for the first retry.
		wait string
	}{
		{"429 without Retry-After", func(w http.ResponseWriter) { apiError(w, 429, "rate_limit", "Your account reached the API rate limit") }, 2, `timeout="1ms"`},
		{"429 with Retry-After, capped", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "3600")
			apiError(w, 429, "rate_limit", "Your account reached the API rate limit")
		}, 1, `timeout="20ms"`},
		{"429 with a short Retry-After", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "0")
			apiError(w, 429, "rate_limit", "Your account reached the API rate limit")
		}, 1, `timeout="0s"`},
		{"503 then success", func(w http.ResponseWriter) { apiError(w, 503, "unavailable", "Service unavailable.") }, 3, `timeout="1ms"`},
		{"500 on a read", func(w http.ResponseWriter) { apiError(w, 500, "internal_server_error", "Oops.") }, 1, `timeout="1ms"`},
		{"non-JSON 502 on a read", func(w http.ResponseWriter) { w.WriteHeader(502) }, 1, `timeout="1ms"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.api.on("GET /apps/myapp", func(w http.ResponseWriter, r *http.Request, n int) {
				if n <= tt.failures {
					tt.fail(w)
					return
				}
				writeJSON(w, 200, appJSON("myapp", false))
			})
			start := time.Now()
			app, err := e.client.AppInfo(context.Background(), "myapp")
			if err != nil {
				t.Fatal(err)
			}
			if app.Name != "myapp" {
				t.Errorf("app = %+v", app)
			}
			if n := e.api.count("GET /apps/myapp"); n != tt.failures+1 {
				t.Errorf("%d calls, want %d", n, tt.failures+1)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s: Retry-After not capped", d)
			}
			if !strings.Contains(e.log.String(), tt.wait) {
				t.Errorf("log does not show %s:\n%s", tt.wait, e.log.String())
			}
		})
	}
}

func TestPersistentErrorsKeepHerokusError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		id     string
		calls  int
	}{
		{"429 after every retry", 429, "rate_limit", 4},
		{"503 after every retry", 503, "unavailable", 4},
		{"401", 401, "unauthorized", 1},
		{"403", 403, "forbidden", 1},
		{"404", 404, "not_found", 1},
		{"422", 422, "invalid_params", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.api.on("GET /apps/myapp", func(w http.ResponseWriter, r *http.Request, _ int) {
				apiError(w, tt.status, tt.id, "Message for "+tt.id+".")
			})
			_, err := e.client.AppInfo(context.Background(), "myapp")
			var apiErr *heroku.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if apiErr.Status != tt.status || apiErr.ID != tt.id || apiErr.Message != "Message for "+tt.id+"." {
				t.Errorf("APIError = %+v", apiErr)
			}
			if heroku.StatusOf(err) != tt.status {
				t.Errorf("StatusOf = %d", heroku.StatusOf(err))
			}
			want := fmt.Sprintf("get app myapp: heroku: %d %s (%s): Message for %s.", tt.status, http.StatusText(tt.status), tt.id, tt.id)
			if err.Error() != want {
				t.Errorf("err = %q\nwant  %q", err.Error(), want)
			}
			if n := e.api.count("GET /apps/myapp"); n != tt.calls {
				t.Errorf("%d calls, want %d", n, tt.calls)
			}
			noToken(t, "error", errTexts(err)...)
			noToken(t, "APIError", fmt.Sprintf("%#v", apiErr), fmt.Sprintf("%+v", *apiErr))
		})
	}
}

func TestWrongTokenIs401WithoutTheToken(t *testing.T) {
	e := newEnv(t)
	cfg := *e.cfg
	wrong := "hk-wrong-" + token
	cfg.APIKey = config.NewSecret(wrong)
	var out bytes.Buffer
	client, err := heroku.New(&cfg, fastOptions(&out))
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.AppInfo(context.Background(), "myapp")
	if heroku.StatusOf(err) != 401 {
		t.Fatalf("err = %v", err)
	}
	for _, s := range append(errTexts(err), out.String()) {
		if strings.Contains(s, wrong) {
			t.Errorf("output contains the key: %q", s)
		}
	}
}

func TestOperationIsBounded(t *testing.T) {
	e := newEnv(t, func(c *config.Config, o *heroku.Options) { c.APITimeout = 100 * time.Millisecond })
	e.api.on("GET /apps/myapp", func(w http.ResponseWriter, r *http.Request, _ int) { <-r.Context().Done() })
	start := time.Now()
	_, err := e.client.AppInfo(context.Background(), "myapp")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
	noToken(t, "error", errTexts(err)...)
}

func TestSlowAttemptsAreRetriedThenFail(t *testing.T) {
	e := newEnv(t, func(c *config.Config, o *heroku.Options) { o.RequestTimeout = 50 * time.Millisecond })
	e.api.on("GET /apps/myapp", func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= 2 {
			<-r.Context().Done()
			return
		}
		writeJSON(w, 200, appJSON("myapp", false))
	})
	if _, err := e.client.AppInfo(context.Background(), "myapp"); err != nil {
		t.Fatal(err)
	}
	if n := e.api.count("GET /apps/myapp"); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}

	e.api.on("GET /apps/other", func(w http.ResponseWriter, r *http.Request, n int) { <-r.Context().Done() })
	_, err := e.client.AppInfo(context.Background(), "other")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("err = %v, want a timeout", err)
	}
	if n := e.api.count("GET /apps/other"); n != 4 {
		t.Errorf("%d calls, want 4 (1 + 3 retries)", n)
	}
	noToken(t, "error", errTexts(err)...)
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := config.Defaults()
	cfg.APIKey = config.NewSecret(token)
	cfg.PlatformAPIURL = "http://" + addr
	var out bytes.Buffer
	client, err := heroku.New(cfg, fastOptions(&out))
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.AppInfo(context.Background(), "myapp")
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v", err)
	}
	if got := strings.Count(out.String(), "retrying request"); got != 3 {
		t.Errorf("%d retries logged, want 3:\n%s", got, out.String())
	}
	// A create is retried too on a dial error (the request never left), and fails the same way.
	_, err = client.CreateRelease(context.Background(), "myapp", "slug", "d")
	if err == nil || errors.Is(err, heroku.ErrOutcomeUnknown) {
		t.Errorf("err = %v", err)
	}
	noToken(t, "output", append(errTexts(err), out.String())...)
}

// The API key appears in no output: errors of every operation against a failing Heroku, the retry
// log, progress lines, and the standard logger heroku-go writes warnings to.
func TestTokenNeverPrinted(t *testing.T) {
	var std bytes.Buffer
	log.SetOutput(&std)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })

	e := newEnv(t)
	// Every route echoes the Authorization header back in its error message and in a warning,
	// the worst a server could do.
	echo := func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("X-Heroku-Warning", "auth was "+r.Header.Get("Authorization"))
		apiError(w, 500, "internal_server_error", "you sent "+r.Header.Get("Authorization"))
	}
	e.api.on("GET /apps/warned", func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("X-Heroku-Warning", "auth was "+r.Header.Get("Authorization"))
		writeJSON(w, 200, appJSON("warned", false))
	})
	for _, k := range []string{
		"GET /apps/myapp", "PATCH /apps/myapp", "GET /apps/myapp/releases", "GET /apps/myapp/releases/1",
		"POST /apps/myapp/releases", "GET /apps/myapp/dynos", "GET /apps/myapp/formation",
		"PATCH /apps/myapp/formation/worker", "GET /apps/myapp/config-vars",
		"POST /actions/addon-attachments/resolve",
		"GET /data/client/v11/apps/myapp/transfers", "POST /data/client/v11/databases/db-1/backups",
		"POST /data/client/v11/databases/db-1/restores", "GET /data/client/v11/apps/myapp/transfers/t-1",
	} {
		e.api.on(k, echo)
	}
	ctx := context.Background()
	db := heroku.Addon{ID: "db-1", Name: "postgresql-x", AppName: "myapp"}
	var progress bytes.Buffer
	var errs []error
	collect := func(_ interface{}, err error) { errs = append(errs, err) }
	collect(e.client.AppInfo(ctx, "myapp"))
	if _, err := e.client.AppInfo(ctx, "warned"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(std.String(), "auth was Bearer "+config.Redacted) {
		t.Errorf("heroku-go's warning not logged redacted: %q", std.String())
	}
	collect(e.client.SetMaintenance(ctx, "myapp", true))
	collect(e.client.Releases(ctx, "myapp", 5))
	collect(e.client.ReleaseInfo(ctx, "myapp", "1"))
	collect(e.client.CreateRelease(ctx, "myapp", "slug", "d"))
	collect(e.client.Rollback(ctx, "myapp", "1"))
	collect(e.client.Dynos(ctx, "myapp"))
	collect(e.client.Formation(ctx, "myapp"))
	collect(e.client.Scale(ctx, "myapp", "worker", 0))
	collect(e.client.ConfigVars(ctx, "myapp"))
	collect(e.client.DatabaseAddon(ctx, "myapp", "DATABASE_URL"))
	collect(e.client.Transfers(ctx, db))
	collect(e.client.TransferInfo(ctx, db, "t-1", true))
	collect(e.client.Backup(ctx, db, &progress))
	collect(e.client.Restore(ctx, db, "https://example.com/b001.dump", &progress))
	collect(e.client.WaitTransfer(ctx, db, heroku.Transfer{UUID: "t-1", Name: "b001"}, &progress))
	for i, err := range errs {
		if err == nil {
			t.Errorf("operation %d succeeded against a failing server", i)
		}
		noToken(t, fmt.Sprintf("error %d", i), errTexts(err)...)
		var apiErr *heroku.APIError
		if errors.As(err, &apiErr) {
			noToken(t, "APIError", fmt.Sprintf("%#v", *apiErr), apiErr.Message)
		}
	}
	noToken(t, "progress", progress.String())
	noToken(t, "log", e.log.String())
	noToken(t, "standard logger", std.String())
	if !strings.Contains(errs[0].Error(), "you sent Bearer "+config.Redacted) {
		t.Errorf("the echoed header is not redacted: %v", errs[0])
	}
}

// An error answer without a JSON body (a router's HTML page) still becomes an *APIError with its
// status, not heroku-go's untyped "encountered an error".
func TestErrorWithoutJSONBodyKeepsItsStatus(t *testing.T) {
	e := newEnv(t)
	e.api.on("GET /apps/myapp", func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(404)
		w.Write([]byte("<html>no such app</html>"))
	})
	_, err := e.client.AppInfo(context.Background(), "myapp")
	var apiErr *heroku.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.ID != "" {
		t.Fatalf("err = %v", err)
	}
	if want := "get app myapp: heroku: 404 Not Found: Not Found (the answer had no JSON error body)"; err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err.Error(), want)
	}
}
