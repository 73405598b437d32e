package herokufake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	heroku "github.com/heroku/heroku-go/v5"

	"github.com/zdcd/zdcd/internal/herokufake"
	"github.com/zdcd/zdcd/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const token = "s3cr3t-api-key"

// headerSpy records the headers of the last response heroku-go received.
type headerSpy struct {
	next http.RoundTripper
	mu   sync.Mutex
	last http.Header
	code int
}

func (h *headerSpy) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := h.next.RoundTrip(req)
	if err == nil {
		h.mu.Lock()
		h.last, h.code = resp.Header.Clone(), resp.StatusCode
		h.mu.Unlock()
	}
	return resp, err
}

func (h *headerSpy) lastResponse() (http.Header, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last, h.code
}

type env struct {
	fake *herokufake.Server
	url  string
	svc  *heroku.Service
	spy  *headerSpy
}

// start serves a fake with app "myapp" and returns a heroku-go Service wired as zdcd wires it.
func start(t *testing.T) *env { return startWith(t, herokufake.Options{}) }

func startWith(t *testing.T, opts herokufake.Options) *env {
	t.Helper()
	opts.Token = token
	fake, url := herokufake.StartTest(t, opts)
	spy := &headerSpy{next: http.DefaultTransport}
	svc := heroku.NewService(&http.Client{Timeout: 30 * time.Second,
		Transport: &heroku.Transport{BearerToken: token, UserAgent: "zdcd-test", Transport: spy}})
	svc.URL = url
	if _, err := fake.CreateApp("myapp"); err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, url: url, svc: svc, spy: spy}
}

// slugDir writes a directory with a Procfile and returns it.
func slugDir(t *testing.T, procfile string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// assertFilled fails for every string, time or struct field of v (recursively) left at its zero
// value: heroku-go decoded nothing there. Pointers may be nil only when their JSON path is in
// nullable. Numbers and booleans may legitimately be zero.
func assertFilled(t *testing.T, what string, v any, nullable ...string) {
	t.Helper()
	allowed := map[string]bool{}
	for _, n := range nullable {
		allowed[n] = true
	}
	var walk func(path string, rv reflect.Value)
	walk = func(path string, rv reflect.Value) {
		switch rv.Kind() {
		case reflect.Pointer:
			if rv.IsNil() {
				if !allowed[path] {
					t.Errorf("%s: %s is null", what, path)
				}
				return
			}
			walk(path, rv.Elem())
		case reflect.Struct:
			if tm, ok := rv.Interface().(time.Time); ok {
				if tm.IsZero() {
					t.Errorf("%s: %s is a zero time", what, path)
				} else if tm.Location() != time.UTC {
					t.Errorf("%s: %s is not UTC: %v", what, path, tm)
				}
				return
			}
			for i := 0; i < rv.NumField(); i++ {
				f := rv.Type().Field(i)
				name := strings.Split(f.Tag.Get("json"), ",")[0]
				p := name
				if path != "" {
					p = path + "." + name
				}
				walk(p, rv.Field(i))
			}
		case reflect.String:
			if rv.String() == "" {
				t.Errorf("%s: %s is empty", what, path)
			}
		case reflect.Slice:
			for i := 0; i < rv.Len(); i++ {
				walk(path+"[]", rv.Index(i))
			}
		case reflect.Map:
			if rv.IsNil() && !allowed[path] {
				t.Errorf("%s: %s is null", what, path)
			}
		}
	}
	walk("", reflect.ValueOf(v))
}

// raw does a request with the given headers and decodes a JSON body.
func raw(t *testing.T, method, url string, header map[string]string, body string) (*http.Response, map[string]any) {
	t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	} else {
		rd = strings.NewReader("")
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v", method, url, err)
	}
	return resp, m
}

var v3 = map[string]string{"Accept": "application/vnd.heroku+json; version=3", "Authorization": "Bearer " + token}

func waitRelease(t *testing.T, e *env, id string) *heroku.Release {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := e.svc.ReleaseInfo(context.Background(), "myapp", id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != "pending" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("release v%d still pending", r.Version)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// backupTransfer is the Data API's BackupTransfer (HEROKU.md 5.3).
type backupTransfer struct {
	UUID           string  `json:"uuid"`
	Num            int     `json:"num"`
	FromType       string  `json:"from_type"`
	ToType         string  `json:"to_type"`
	FromName       string  `json:"from_name"`
	ToName         string  `json:"to_name"`
	FromURL        string  `json:"from_url"`
	ToURL          string  `json:"to_url"`
	CreatedAt      string  `json:"created_at"`
	StartedAt      *string `json:"started_at"`
	FinishedAt     *string `json:"finished_at"`
	Succeeded      bool    `json:"succeeded"`
	ProcessedBytes int64   `json:"processed_bytes"`
	Logs           []struct {
		CreatedAt string `json:"created_at"`
		Level     string `json:"level"`
		Message   string `json:"message"`
	} `json:"logs"`
}

func waitTransfer(t *testing.T, e *env, app, uuid string) backupTransfer {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var tr backupTransfer
		if err := e.svc.Get(context.Background(), &tr, "/client/v11/apps/"+app+"/transfers/"+uuid, nil, nil); err != nil {
			t.Fatal(err)
		}
		if tr.FinishedAt != nil {
			if err := e.svc.Get(context.Background(), &tr, "/client/v11/apps/"+app+"/transfers/"+uuid+"?verbose=true", nil, nil); err != nil {
				t.Fatal(err)
			}
			return tr
		}
		if time.Now().After(deadline) {
			t.Fatalf("transfer %s not finished", uuid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
