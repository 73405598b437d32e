package herokufake_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	heroku "github.com/heroku/heroku-go/v5"

	"github.com/zdcd/zdcd/internal/herokufake"
	"github.com/zdcd/zdcd/internal/pgtest"
)

func TestFaultInjection(t *testing.T) {
	ctx := context.Background()
	e := start(t)
	sl, err := e.fake.CreateSlug("myapp", slugDir(t, "web: sleep 1\n", nil), "")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("status, count, Retry-After, body", func(t *testing.T) {
		e.fake.InjectFault(herokufake.Fault{Method: "GET", Path: "/apps/*", Status: 429, Count: 2, RetryAfter: "1"})
		e.fake.InjectFault(herokufake.Fault{Method: "GET", Path: "/apps/*/dynos", Status: 503, Count: 1, Body: `{"id":"maintenance","message":"API is temporarily unavailable."}`})
		defer e.fake.ClearFaults()
		for i := 0; i < 2; i++ {
			resp, m := raw(t, "GET", e.url+"/apps/myapp", v3, "")
			if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || m["id"] != "rate_limit" {
				t.Errorf("call %d: %s %v %v", i, resp.Status, resp.Header.Get("Retry-After"), m)
			}
		}
		if resp, _ := raw(t, "GET", e.url+"/apps/myapp", v3, ""); resp.StatusCode != 200 {
			t.Errorf("after Count: %s", resp.Status)
		}
		_, err := e.svc.DynoList(ctx, "myapp", nil)
		var herr heroku.Error
		if !errors.As(err, &herr) || herr.StatusCode != 503 || herr.ID != "maintenance" {
			t.Errorf("DynoList = %v", err)
		}
		if _, err := e.svc.DynoList(ctx, "myapp", nil); err != nil {
			t.Errorf("second DynoList: %v", err)
		}
	})

	t.Run("delay", func(t *testing.T) {
		e.fake.InjectFault(herokufake.Fault{Path: "/apps/myapp/formation", Delay: 300 * time.Millisecond, Count: 1})
		defer e.fake.ClearFaults()
		begin := time.Now()
		if _, err := e.svc.FormationList(ctx, "myapp", nil); err != nil {
			t.Fatal(err)
		}
		if time.Since(begin) < 300*time.Millisecond {
			t.Errorf("delay not applied")
		}
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		e.fake.InjectFault(herokufake.Fault{Path: "/apps/myapp/formation", Delay: 5 * time.Second, Status: 500})
		if _, err := e.svc.FormationList(short, "myapp", nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a client timeout: %v", err)
		}
	})

	t.Run("act then fail", func(t *testing.T) {
		e.fake.InjectFault(herokufake.Fault{Method: "POST", Path: "/apps/*/releases", Status: 500, Count: 1, ActThenFail: true})
		defer e.fake.ClearFaults()
		before, _ := e.svc.ReleaseList(ctx, "myapp", &heroku.ListRange{Field: "version", Max: 1, Descending: true})
		_, err := e.svc.ReleaseCreate(ctx, "myapp", heroku.ReleaseCreateOpts{Slug: sl.ID})
		var herr heroku.Error
		if !errors.As(err, &herr) || herr.StatusCode != 500 {
			t.Fatalf("ReleaseCreate = %v, want a 500", err)
		}
		after, _ := e.svc.ReleaseList(ctx, "myapp", &heroku.ListRange{Field: "version", Max: 1, Descending: true})
		if all := e.fake.Releases("myapp"); len(all) != after[0].Version {
			t.Errorf("Releases = %d, newest v%d", len(all), after[0].Version)
		}
		if after[0].Version != before[0].Version+1 || after[0].Slug == nil || after[0].Slug.ID != sl.ID {
			t.Errorf("the server did not act: newest release v%d (was v%d)", after[0].Version, before[0].Version)
		}
	})

	t.Run("act then fail on capture", func(t *testing.T) {
		addon, err := e.fake.AddPostgres("myapp", pgtest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		e.fake.InjectFault(herokufake.Fault{Method: "POST", Path: "/client/v11/databases/*/backups", Status: 502, ActThenFail: true, Count: 1})
		defer e.fake.ClearFaults()
		var tr backupTransfer
		if err := e.svc.Post(ctx, &tr, "/client/v11/databases/"+addon.ID+"/backups", nil); err == nil {
			t.Fatal("capture succeeded, want a 502")
		}
		var list []backupTransfer
		if err := e.svc.Get(ctx, &list, "/client/v11/apps/myapp/transfers", nil, nil); err != nil || len(list) != 1 {
			t.Fatalf("transfers = %v %v, want the one capture the server started", list, err)
		}
		if done := waitTransfer(t, e, "myapp", list[0].UUID); !done.Succeeded {
			t.Errorf("capture = %+v", done)
		}
		if ts := e.fake.Transfers("myapp"); len(ts) != 1 || ts[0].Kind != "backup" || !ts[0].Succeeded {
			t.Errorf("Transfers = %+v", ts)
		} else if fi, err := os.Stat(ts[0].File); err != nil || fi.Size() == 0 {
			t.Errorf("dump file: %v", err)
		}
	})

	t.Run("connection reset", func(t *testing.T) {
		e.fake.InjectFault(herokufake.Fault{Method: "PATCH", Path: "/apps/*", Reset: true, ActThenFail: true, Count: 1})
		defer e.fake.ClearFaults()
		_, err := e.svc.AppUpdate(ctx, "myapp", heroku.AppUpdateOpts{Maintenance: heroku.Bool(true)})
		if err == nil || !strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "EOF") {
			t.Fatalf("AppUpdate over a reset connection = %v, want a connection error", err)
		}
		if !e.fake.Maintenance("myapp") {
			t.Error("ActThenFail with Reset: the server did not act")
		}
		if _, err := e.svc.AppUpdate(ctx, "myapp", heroku.AppUpdateOpts{Maintenance: heroku.Bool(false)}); err != nil || e.fake.Maintenance("myapp") {
			t.Errorf("after Count: %v, maintenance %v", err, e.fake.Maintenance("myapp"))
		}
	})

	t.Run("rate limit bucket", func(t *testing.T) {
		e.fake.SetRateLimitRemaining(0)
		defer e.fake.SetRateLimitRemaining(4500)
		resp, m := raw(t, "GET", e.url+"/apps/myapp", v3, "")
		if resp.StatusCode != 429 || m["id"] != "rate_limit" || resp.Header.Get("RateLimit-Remaining") != "0" {
			t.Errorf("empty bucket: %s %v", resp.Status, m)
		}
		if resp, _ := raw(t, "GET", e.url+"/account/rate-limits", v3, ""); resp.StatusCode != 200 {
			t.Errorf("rate-limits costs nothing and answers: %s", resp.Status)
		}
	})
}

// Every request is recorded, with its body and headers, the token redacted.
func TestRequestLog(t *testing.T) {
	ctx := context.Background()
	e := start(t)
	e.fake.ResetRequests()
	if _, err := e.svc.AppUpdate(ctx, "myapp", heroku.AppUpdateOpts{Maintenance: heroku.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	raw(t, "GET", e.url+"/apps/myapp", map[string]string{"Accept": v3["Accept"]}, "")
	reqs := e.fake.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests recorded", len(reqs))
	}
	patch := e.fake.RequestsMatching("PATCH", "/apps/*")
	if len(patch) != 1 {
		t.Fatalf("PATCH requests = %v", patch)
	}
	var body map[string]any
	if err := json.Unmarshal(patch[0].Body, &body); err != nil || body["maintenance"] != true {
		t.Errorf("body = %s", patch[0].Body)
	}
	if patch[0].Status != 200 || patch[0].Header.Get("User-Agent") != "zdcd-test" {
		t.Errorf("recorded = %+v", patch[0])
	}
	if reqs[1].Status != http.StatusUnauthorized {
		t.Errorf("unauthenticated request recorded with status %d", reqs[1].Status)
	}
	for _, r := range reqs {
		for k, vs := range r.Header {
			if strings.Contains(strings.Join(vs, " "), token) {
				t.Errorf("header %s carries the token", k)
			}
		}
	}
	if patch[0].Header.Get("Authorization") != "REDACTED" {
		t.Errorf("Authorization = %q", patch[0].Header.Get("Authorization"))
	}
}
