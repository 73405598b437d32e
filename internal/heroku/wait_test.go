package heroku_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/herokufake"
)

// serialLocal is the local Heroku with release phases run one at a time, so that a release
// waiting its turn is pending with an output stream answering 404 (not started yet).
func serialLocal(t *testing.T) (*herokufake.Server, *heroku.Client) {
	t.Helper()
	fake, url := herokufake.StartTest(t, herokufake.Options{Token: token, SerializeReleases: true})
	if _, err := fake.CreateApp("myapp"); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.APIKey = config.NewSecret(token)
	cfg.PlatformAPIURL, cfg.DataAPIURL = url, url
	cfg.APITimeout = time.Minute
	opts := fastOptions(&bytes.Buffer{})
	opts.PollInterval = 10 * time.Millisecond
	c, err := heroku.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

// syncBuf is a buffer written by the streaming goroutine and read by the test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWaitReleaseAndOutput: a release waiting behind another is pending and its stream answers
// 404; ReleaseOutput keeps asking, then streams the whole output, and WaitRelease returns the
// release once it is over.
func TestWaitReleaseAndOutput(t *testing.T) {
	fake, c := serialLocal(t)
	gate := filepath.Join(t.TempDir(), "gate")
	first, err := fake.Deploy("myapp", appDir(t, fmt.Sprintf("release: while [ ! -e %s ]; do sleep 0.02; done; echo first\nweb: sleep 100\n", gate)))
	if err != nil {
		t.Fatal(err)
	}
	dep, err := fake.Deploy("myapp", appDir(t, "release: echo one; echo two >&2; echo three\nweb: sleep 100\n"))
	if err != nil {
		t.Fatal(err)
	}
	rel, err := c.ReleaseInfo(context.Background(), "myapp", dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Status != heroku.StatusPending || rel.OutputStreamURL == "" {
		t.Fatalf("release = %+v, want pending with an output stream", rel)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := &syncBuf{}
	streamed := make(chan error, 1)
	go func() { streamed <- c.ReleaseOutput(ctx, rel.OutputStreamURL, out) }()

	// The stream answers 404 while the first release holds the line.
	deadline := time.Now().Add(time.Minute)
	for len(fake.RequestsMatching(http.MethodGet, "/streams/*")) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("ReleaseOutput did not ask for the stream again after a 404")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, r := range fake.RequestsMatching(http.MethodGet, "/streams/*") {
		if r.Status != http.StatusNotFound {
			t.Fatalf("stream answered %d before the release command started", r.Status)
		}
		if r.Header.Get("Authorization") != "" {
			t.Error("the output stream was fetched with the API key")
		}
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	got, err := c.WaitRelease(ctx, "myapp", dep.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != heroku.StatusSucceeded || got.Version != dep.Version {
		t.Errorf("WaitRelease = %+v, want v%d succeeded", got, dep.Version)
	}
	if err := <-streamed; err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "one\n") || !strings.Contains(s, "two\n") || !strings.Contains(s, "three\n") {
		t.Errorf("output = %q", s)
	}
	if r, _ := c.WaitRelease(ctx, "myapp", first.ID, 0); r.Status != heroku.StatusSucceeded {
		t.Errorf("first release = %+v", r)
	}
}

func TestWaitReleaseFailedAndBounded(t *testing.T) {
	fake, c := serialLocal(t)
	dep, err := fake.Deploy("myapp", appDir(t, "release: echo no; exit 3\nweb: sleep 100\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.WaitRelease(context.Background(), "myapp", dep.ID, 0)
	if err != nil || r.Status != heroku.StatusFailed || r.Current {
		t.Errorf("WaitRelease = %+v, %v; want failed, not current", r, err)
	}

	gate := filepath.Join(t.TempDir(), "never")
	dep, err = fake.Deploy("myapp", appDir(t, fmt.Sprintf("release: while [ ! -e %s ]; do sleep 0.02; done\nweb: sleep 100\n", gate)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, err = c.WaitRelease(ctx, "myapp", dep.ID, 0)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("WaitRelease after cancel = %+v, %v", r, err)
	}
	if _, err := c.WaitRelease(context.Background(), "myapp", "v99", 0); !heroku.IsNotFound(err) {
		t.Errorf("WaitRelease of a missing release: %v", err)
	}
	os.WriteFile(gate, nil, 0o644)
}

// TestReleaseOutputResumes: a stream cut midway is resumed from where it stopped with Range.
func TestReleaseOutputResumes(t *testing.T) {
	const body = "line one\nline two\n"
	var mu sync.Mutex
	var ranges []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		n := len(ranges)
		mu.Unlock()
		switch {
		case n == 1:
			w.WriteHeader(http.StatusNotFound)
		case r.Header.Get("Range") == "":
			// Promise the whole body, send half, cut the connection.
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(body[:9]))
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		default:
			var from int
			fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &from)
			w.WriteHeader(http.StatusPartialContent)
			w.Write([]byte(body[from:]))
		}
	}))
	defer srv.Close()
	e := newEnv(t)
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.client.ReleaseOutput(ctx, srv.URL+"/streams/x", &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != body {
		t.Errorf("output = %q, want %q", out.String(), body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ranges) != 3 || ranges[0] != "" || ranges[1] != "" || ranges[2] != "bytes=9-" {
		t.Errorf("Range headers = %q", ranges)
	}
	if err := e.client.ReleaseOutput(ctx, "", &out); !errors.Is(err, heroku.ErrNoReleaseOutput) {
		t.Errorf("no URL: %v", err)
	}
}
