package heroku_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
)

func TestAppInfoSendsHerokuHeaders(t *testing.T) {
	e := newEnv(t)
	e.api.on("GET /apps/myapp", func(w http.ResponseWriter, r *http.Request, _ int) { writeJSON(w, 200, appJSON("myapp", true)) })

	app, err := e.client.AppInfo(context.Background(), "myapp")
	if err != nil {
		t.Fatal(err)
	}
	if app != (heroku.App{ID: "app-myapp", Name: "myapp", Maintenance: true, Stack: "heroku-24"}) {
		t.Errorf("app = %+v", app)
	}
	req := e.api.requests("GET", "/apps/myapp")[0]
	want := map[string]string{
		"Accept":        "application/vnd.heroku+json; version=3",
		"Authorization": "Bearer " + token,
		"User-Agent":    heroku.UserAgent(),
	}
	for k, v := range want {
		if got := req.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if !strings.HasPrefix(heroku.UserAgent(), "zdcd-release/") {
		t.Errorf("User-Agent %q", heroku.UserAgent())
	}
	if req.Header.Get("Request-Id") == "" {
		t.Error("no Request-Id")
	}
}

func TestNewRequiresAPIKey(t *testing.T) {
	cfg := config.Defaults()
	if _, err := heroku.New(cfg, heroku.Options{}); err == nil || !strings.Contains(err.Error(), "HEROKU_API_KEY") {
		t.Errorf("err = %v", err)
	}
}

func TestSetMaintenanceIsIdempotent(t *testing.T) {
	e := newEnv(t)
	state := false
	e.api.on("PATCH /apps/myapp", func(w http.ResponseWriter, r *http.Request, _ int) {
		var body map[string]bool
		json.NewDecoder(r.Body).Decode(&body)
		state = body["maintenance"]
		writeJSON(w, 200, appJSON("myapp", state))
	})
	ctx := context.Background()
	for _, on := range []bool{true, true, false, false} {
		app, err := e.client.SetMaintenance(ctx, "myapp", on)
		if err != nil {
			t.Fatal(err)
		}
		if app.Maintenance != on {
			t.Errorf("SetMaintenance(%v): app.Maintenance = %v", on, app.Maintenance)
		}
	}
	reqs := e.api.requests("PATCH", "/apps/myapp")
	bodies := []string{}
	for _, r := range reqs {
		bodies = append(bodies, strings.TrimSpace(r.Body))
	}
	want := `{"maintenance":true} {"maintenance":true} {"maintenance":false} {"maintenance":false}`
	if strings.Join(bodies, " ") != want {
		t.Errorf("bodies = %v, want %s", bodies, want)
	}
}

func TestReleasesNewestFirst(t *testing.T) {
	e := newEnv(t)
	// A server that ignores the order: the client still returns newest first.
	e.api.on("GET /apps/myapp/releases", func(w http.ResponseWriter, r *http.Request, _ int) {
		writeJSON(w, 206, []interface{}{rel{Version: 1, Slug: "s1"}.json(), rel{Version: 3, Slug: "s3", Current: true}.json(), rel{Version: 2, Slug: "s2", Status: "failed"}.json()})
	})
	list, err := e.client.Releases(context.Background(), "myapp", 10)
	if err != nil {
		t.Fatal(err)
	}
	var versions []int
	for _, r := range list {
		versions = append(versions, r.Version)
	}
	if len(versions) != 3 || versions[0] != 3 || versions[1] != 2 || versions[2] != 1 {
		t.Errorf("versions = %v", versions)
	}
	if !list[0].Current || list[0].SlugID != "s3" || list[1].Status != heroku.StatusFailed || list[0].OutputStreamURL == "" || list[0].CreatedAt.IsZero() {
		t.Errorf("releases = %+v", list)
	}
	if got := e.api.requests("GET", "/apps/myapp/releases")[0].Header.Get("Range"); got != "version ..; max=10,order=desc" {
		t.Errorf("Range = %q", got)
	}
}

func TestReleaseInfoByVersionOrID(t *testing.T) {
	e := newEnv(t)
	s := &releaseStore{}
	s.add(rel{Slug: "slug-a", Description: "Deploy a"})
	s.add(rel{Slug: "slug-b", Description: "Deploy b", Current: true})
	e.serveReleases(s, nil)
	for _, ident := range []string{"2", "v2", "rel-2"} {
		r, err := e.client.ReleaseInfo(context.Background(), "myapp", ident)
		if err != nil {
			t.Fatalf("%s: %v", ident, err)
		}
		if r.Version != 2 || r.SlugID != "slug-b" || r.ID != "rel-2" || !r.Current {
			t.Errorf("%s: %+v", ident, r)
		}
	}
}

func TestCreateRelease(t *testing.T) {
	e := newEnv(t)
	s := &releaseStore{}
	s.add(rel{Slug: "slug-a", Description: "Deploy a", Current: true})
	e.serveReleases(s, func(w http.ResponseWriter, r *http.Request, _ int) {
		created, err := s.createFrom(r)
		if err != nil {
			apiError(w, 422, "invalid_params", err.Error())
			return
		}
		writeJSON(w, 201, created.json())
	})
	r, err := e.client.CreateRelease(context.Background(), "myapp", "slug-b", "zdcd nightly: run 7")
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 2 || r.Status != heroku.StatusPending || r.SlugID != "slug-b" || r.Description != "zdcd nightly: run 7" {
		t.Errorf("release = %+v", r)
	}
	body := e.api.requests("POST", "/apps/myapp/releases")[0].Body
	if strings.TrimSpace(body) != `{"description":"zdcd nightly: run 7","slug":"slug-b"}` {
		t.Errorf("body = %s", body)
	}
}

// A POST answered 500 after Heroku created the release is not retried; the client finds the
// release it made.
func TestCreateReleaseAmbiguousFailureFindsTheRelease(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		opts   func(*config.Config, *heroku.Options)
	}{
		{"500 with a JSON body", func(w http.ResponseWriter, r *http.Request) {
			apiError(w, 500, "internal_server_error", "Internal server error.")
		}, nil},
		{"502 without a JSON body", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			w.Write([]byte("<html>bad gateway</html>"))
		}, nil},
		{"timeout after acting", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, func(_ *config.Config, o *heroku.Options) { o.RequestTimeout = 100 * time.Millisecond }},
		{"operation bound expires after acting", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, func(c *config.Config, _ *heroku.Options) { c.APITimeout = 200 * time.Millisecond }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var change []func(*config.Config, *heroku.Options)
			if tt.opts != nil {
				change = append(change, tt.opts)
			}
			e := newEnv(t, change...)
			s := &releaseStore{}
			s.add(rel{Slug: "slug-a", Description: "Deploy a", Current: true})
			// Someone else's release with the same slug but another description, before ours.
			e.serveReleases(s, func(w http.ResponseWriter, r *http.Request, _ int) {
				s.add(rel{Slug: "slug-b", Description: "Deploy by someone else"})
				if _, err := s.createFrom(r); err != nil {
					t.Error(err)
				}
				tt.answer(w, r)
			})
			r, err := e.client.CreateRelease(context.Background(), "myapp", "slug-b", "zdcd nightly: run 7")
			if err != nil {
				t.Fatal(err)
			}
			if r.Version != 3 || r.Description != "zdcd nightly: run 7" {
				t.Errorf("release = %+v, want v3", r)
			}
			if n := e.api.count("POST /apps/myapp/releases"); n != 1 {
				t.Errorf("%d POSTs, want 1", n)
			}
			if s.count() != 3 {
				t.Errorf("%d releases, want 3", s.count())
			}
			if !strings.Contains(e.log.String(), "created v3; using it") {
				t.Errorf("log = %q", e.log.String())
			}
		})
	}
}

func TestCreateReleaseAmbiguousFailureWithoutAction(t *testing.T) {
	e := newEnv(t)
	s := &releaseStore{}
	s.add(rel{Slug: "slug-a", Description: "Deploy a", Current: true})
	e.serveReleases(s, func(w http.ResponseWriter, r *http.Request, _ int) {
		apiError(w, 500, "internal_server_error", "Internal server error.")
	})
	_, err := e.client.CreateRelease(context.Background(), "myapp", "slug-b", "zdcd nightly")
	var apiErr *heroku.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 500 || apiErr.ID != "internal_server_error" {
		t.Fatalf("err = %v", err)
	}
	if errors.Is(err, heroku.ErrOutcomeUnknown) {
		t.Errorf("err wraps ErrOutcomeUnknown: %v", err)
	}
	if !strings.Contains(err.Error(), "did not create one") {
		t.Errorf("err = %v", err)
	}
	if n := e.api.count("POST /apps/myapp/releases"); n != 1 {
		t.Errorf("%d POSTs, want 1", n)
	}
	noToken(t, "error", errTexts(err)...)
}

func TestCreateReleaseOutcomeUnknown(t *testing.T) {
	e := newEnv(t)
	s := &releaseStore{}
	s.add(rel{Slug: "slug-a", Description: "Deploy a", Current: true})
	e.serveReleases(s, func(w http.ResponseWriter, r *http.Request, _ int) {
		apiError(w, 500, "internal_server_error", "Internal server error.")
	})
	// The first listing (before the POST) works; the check after it fails.
	e.api.on("GET /apps/myapp/releases", func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			s.list(w, r, n)
			return
		}
		apiError(w, 503, "unavailable", "Service unavailable.")
	})
	_, err := e.client.CreateRelease(context.Background(), "myapp", "slug-b", "zdcd nightly")
	if !errors.Is(err, heroku.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	if heroku.StatusOf(err) != 500 {
		t.Errorf("StatusOf = %d, want the POST's 500", heroku.StatusOf(err))
	}
	noToken(t, "error", errTexts(err)...)
}

func TestCreateReleaseRefusalIsNotChecked(t *testing.T) {
	e := newEnv(t)
	s := &releaseStore{}
	s.add(rel{Slug: "slug-a", Current: true})
	e.serveReleases(s, func(w http.ResponseWriter, r *http.Request, _ int) {
		apiError(w, 404, "not_found", "Couldn't find that slug.")
	})
	_, err := e.client.CreateRelease(context.Background(), "myapp", "slug-gone", "x")
	if !heroku.IsNotFound(err) {
		t.Fatalf("err = %v", err)
	}
	// One listing before the POST, none after a refusal.
	if n := e.api.count("GET /apps/myapp/releases"); n != 1 {
		t.Errorf("%d listings, want 1", n)
	}
}

func TestCreateReleaseRetriedOn429And503(t *testing.T) {
	for _, status := range []int{429, 503} {
		e := newEnv(t)
		s := &releaseStore{}
		s.add(rel{Slug: "slug-a", Current: true})
		e.serveReleases(s, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				apiError(w, status, "rate_limit", "Slow down.")
				return
			}
			created, _ := s.createFrom(r)
			writeJSON(w, 201, created.json())
		})
		r, err := e.client.CreateRelease(context.Background(), "myapp", "slug-b", "d")
		if err != nil {
			t.Fatalf("%d: %v", status, err)
		}
		if r.Version != 2 || s.count() != 2 || e.api.count("POST /apps/myapp/releases") != 2 {
			t.Errorf("%d: release v%d, %d releases, %d POSTs", status, r.Version, s.count(), e.api.count("POST /apps/myapp/releases"))
		}
		// The retried POST re-sent its body.
		for _, req := range e.api.requests("POST", "/apps/myapp/releases") {
			if !strings.Contains(req.Body, `"slug":"slug-b"`) {
				t.Errorf("%d: body %q", status, req.Body)
			}
		}
	}
}

func TestRollback(t *testing.T) {
	e := newEnv(t)
	s := &releaseStore{}
	s.add(rel{Slug: "slug-a", Description: "Deploy a"})
	s.add(rel{Slug: "slug-b", Description: "Deploy b", Status: "failed"})
	s.add(rel{Slug: "slug-c", Description: "Deploy c", Current: true})
	e.serveReleases(s, func(w http.ResponseWriter, r *http.Request, n int) {
		if _, err := s.createFrom(r); err != nil {
			apiError(w, 404, "not_found", err.Error())
			return
		}
		// Acted, then failed.
		apiError(w, 500, "internal_server_error", "Internal server error.")
	})
	r, err := e.client.Rollback(context.Background(), "myapp", "v1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 4 || r.SlugID != "slug-a" || r.Description != "Rollback to v1" {
		t.Errorf("release = %+v", r)
	}
	if body := e.api.requests("POST", "/apps/myapp/releases")[0].Body; strings.TrimSpace(body) != `{"release":"rel-1"}` {
		t.Errorf("body = %s", body)
	}

	// A target that did not succeed is refused before any POST.
	_, err = e.client.Rollback(context.Background(), "myapp", "2")
	if err == nil || !strings.Contains(err.Error(), "is failed") {
		t.Errorf("err = %v", err)
	}
	if n := e.api.count("POST /apps/myapp/releases"); n != 1 {
		t.Errorf("%d POSTs, want 1", n)
	}
	_, err = e.client.Rollback(context.Background(), "myapp", "v99")
	if !heroku.IsNotFound(err) {
		t.Errorf("err = %v", err)
	}
}

func TestDynosFormationScaleConfigVars(t *testing.T) {
	e := newEnv(t)
	e.api.on("GET /apps/myapp/dynos", func(w http.ResponseWriter, r *http.Request, _ int) {
		writeJSON(w, 200, []interface{}{map[string]interface{}{
			"id": "d1", "name": "web.1", "type": "web", "state": "up", "release": map[string]interface{}{"id": "rel-3", "version": 3},
			"command": "gunicorn app.wsgi", "size": "Standard-1X", "attach_url": nil,
			"app": map[string]string{"id": "app-myapp", "name": "myapp"}, "created_at": ts, "updated_at": ts,
		}})
	})
	formation := func(typ string, q int) map[string]interface{} {
		return map[string]interface{}{"id": "f-" + typ, "type": typ, "quantity": q, "size": "Standard-1X", "command": typ + " cmd",
			"app": map[string]string{"id": "app-myapp", "name": "myapp"}, "created_at": ts, "updated_at": ts}
	}
	e.api.on("GET /apps/myapp/formation", func(w http.ResponseWriter, r *http.Request, _ int) {
		writeJSON(w, 200, []interface{}{formation("worker", 2), formation("web", 1)})
	})
	e.api.on("PATCH /apps/myapp/formation/worker", func(w http.ResponseWriter, r *http.Request, _ int) {
		var body struct{ Quantity int }
		json.NewDecoder(r.Body).Decode(&body)
		writeJSON(w, 200, formation("worker", body.Quantity))
	})
	e.api.on("GET /apps/myapp/config-vars", func(w http.ResponseWriter, r *http.Request, _ int) {
		writeJSON(w, 200, map[string]interface{}{"DATABASE_URL": "postgres://u:pw@h/db", "EMPTY": nil})
	})
	ctx := context.Background()

	dynos, err := e.client.Dynos(ctx, "myapp")
	if err != nil {
		t.Fatal(err)
	}
	if len(dynos) != 1 || dynos[0] != (heroku.Dyno{ID: "d1", Name: "web.1", Type: "web", State: "up", ReleaseVersion: 3}) {
		t.Errorf("dynos = %+v", dynos)
	}
	f, err := e.client.Formation(ctx, "myapp")
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != 2 || f[0].Type != "web" || f[1] != (heroku.Formation{Type: "worker", Quantity: 2, Size: "Standard-1X", Command: "worker cmd"}) {
		t.Errorf("formation = %+v", f)
	}
	scaled, err := e.client.Scale(ctx, "myapp", "worker", 0)
	if err != nil {
		t.Fatal(err)
	}
	if scaled.Quantity != 0 {
		t.Errorf("scaled = %+v", scaled)
	}
	if body := e.api.requests("PATCH", "/apps/myapp/formation/worker")[0].Body; strings.TrimSpace(body) != `{"quantity":0}` {
		t.Errorf("scale body = %s", body)
	}
	if _, err := e.client.Scale(ctx, "myapp", "worker", -1); err == nil {
		t.Error("negative quantity accepted")
	}
	vars, err := e.client.ConfigVars(ctx, "myapp")
	if err != nil {
		t.Fatal(err)
	}
	if len(vars) != 1 || vars["DATABASE_URL"] != "postgres://u:pw@h/db" {
		t.Errorf("vars = %v", vars)
	}
}
