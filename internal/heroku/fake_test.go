package heroku_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
)

// token is the API key of every test; no output may contain it.
const token = "hk-test-SECRET-7f3a9c1e5b2d4f60"

// dataPrefix is where the test server serves the Postgres backups API, so that a call sent to
// the wrong base URL fails.
const dataPrefix = "/data"

// request is one request the test server received.
type request struct {
	Method string
	Path   string // with the query
	Header http.Header
	Body   string
}

// api is a scripted Heroku over real HTTP: routes keyed "METHOD /path" (query excluded), the
// Heroku conventions of HEROKU.md 2 (Bearer auth, JSON error bodies, Request-Id and
// RateLimit-Remaining headers) and a record of every request.
type api struct {
	t      *testing.T
	mu     sync.Mutex
	routes map[string]func(w http.ResponseWriter, r *http.Request, n int)
	calls  map[string]int
	reqs   []request
}

func newAPI(t *testing.T) *api {
	return &api{t: t, routes: map[string]func(http.ResponseWriter, *http.Request, int){}, calls: map[string]int{}}
}

// on registers a route; n counts the calls of this route from 1.
func (a *api) on(key string, h func(w http.ResponseWriter, r *http.Request, n int)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.routes[key] = h
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Method + " " + r.URL.Path
	a.mu.Lock()
	a.reqs = append(a.reqs, request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: string(body)})
	a.calls[key]++
	n := a.calls[key]
	h := a.routes[key]
	a.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))

	w.Header().Set("Request-Id", fmt.Sprintf("req-%d", n))
	w.Header().Set("RateLimit-Remaining", "4000")
	if r.Header.Get("Authorization") != "Bearer "+token {
		apiError(w, 401, "unauthorized", "Invalid credentials provided.")
		return
	}
	if !strings.Contains(r.Header.Get("Accept"), "application/vnd.heroku+json; version=3") {
		apiError(w, 406, "not_acceptable", "Set Accept: application/vnd.heroku+json; version=3 and try again.")
		return
	}
	if h == nil {
		apiError(w, 404, "not_found", "Couldn't find that route: "+key)
		return
	}
	h(w, r, n)
}

// count is how many times a route was called.
func (a *api) count(key string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[key]
}

// requests returns the requests received with the given method and path (query excluded).
func (a *api) requests(method, path string) []request {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []request
	for _, r := range a.reqs {
		if r.Method == method && strings.SplitN(r.Path, "?", 2)[0] == path {
			out = append(out, r)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, id, message string) {
	writeJSON(w, status, map[string]string{"id": id, "message": message})
}

// env is a client, the server it talks to and every output it writes.
type env struct {
	api    *api
	srv    *httptest.Server
	client *heroku.Client
	log    *bytes.Buffer
	cfg    *config.Config
}

// fastOptions shrink every wait to milliseconds.
func fastOptions(log io.Writer) heroku.Options {
	return heroku.Options{
		RetryMax:       3,
		RetryWaitMin:   time.Millisecond,
		RetryWaitMax:   4 * time.Millisecond,
		RetryAfterMax:  20 * time.Millisecond,
		RequestTimeout: 5 * time.Second,
		PollInterval:   time.Millisecond,
		PollFailures:   5,
		Log:            log,
	}
}

func newEnv(t *testing.T, change ...func(*config.Config, *heroku.Options)) *env {
	t.Helper()
	a := newAPI(t)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	log := &bytes.Buffer{}
	cfg := config.Defaults()
	cfg.APIKey = config.NewSecret(token)
	cfg.PlatformAPIURL = srv.URL
	cfg.DataAPIURL = srv.URL + dataPrefix
	cfg.APITimeout = 10 * time.Second
	opts := fastOptions(log)
	for _, c := range change {
		c(cfg, &opts)
	}
	client, err := heroku.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{api: a, srv: srv, client: client, log: log, cfg: cfg}
	t.Cleanup(func() { noToken(t, "log", log.String()) })
	return e
}

// noToken fails the test if a text contains the API key.
func noToken(t *testing.T, what string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, token) {
			t.Errorf("%s contains the API key: %q", what, s)
		}
	}
}

// errTexts is every printed form of an error, for noToken.
func errTexts(err error) []string {
	if err == nil {
		return nil
	}
	return []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%q", err)}
}

// Fixtures shaped as HEROKU.md 4 says.

const ts = "2026-01-02T03:04:05Z"

func appJSON(name string, maintenance bool) map[string]interface{} {
	return map[string]interface{}{
		"id": "app-" + name, "name": name, "maintenance": maintenance, "acm": false, "archived_at": nil,
		"buildpack_provided_description": "Python",
		"build_stack":                    map[string]string{"id": "stack-1", "name": "heroku-24"},
		"stack":                          map[string]string{"id": "stack-1", "name": "heroku-24"},
		"created_at":                     ts, "updated_at": ts, "released_at": ts,
		"git_url": "https://git.heroku.com/" + name + ".git", "web_url": "https://" + name + ".herokuapp.com/",
		"internal_routing": nil, "organization": nil, "team": nil, "space": nil,
		"owner":  map[string]string{"email": "owner@example.com", "id": "owner-1"},
		"region": map[string]string{"id": "region-1", "name": "us"}, "repo_size": nil, "slug_size": nil,
	}
}

type rel struct {
	Version     int
	Slug        string
	Description string
	Status      string
	Current     bool
}

func (r rel) id() string { return fmt.Sprintf("rel-%d", r.Version) }

func (r rel) json() map[string]interface{} {
	var slug interface{}
	if r.Slug != "" {
		slug = map[string]string{"id": r.Slug}
	}
	status := r.Status
	if status == "" {
		status = "succeeded"
	}
	return map[string]interface{}{
		"id": r.id(), "version": r.Version, "status": status, "current": r.Current,
		"description": r.Description, "slug": slug,
		"output_stream_url": "https://release-output.heroku.com/streams/" + r.id(),
		"addon_plan_names":  []string{"heroku-postgresql:essential-0"},
		"app":               map[string]string{"id": "app-myapp", "name": "myapp"},
		"user":              map[string]string{"id": "user-1", "email": "dev@example.com"},
		"created_at":        ts, "updated_at": ts,
	}
}

// releaseStore is a stateful release list for the create/rollback tests.
type releaseStore struct {
	mu   sync.Mutex
	rels []rel
}

func (s *releaseStore) add(r rel) rel {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.Version = len(s.rels) + 1
	s.rels = append(s.rels, r)
	return r
}

func (s *releaseStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rels)
}

// list serves GET /apps/myapp/releases honouring max and order (HEROKU.md 2.5).
func (s *releaseStore) list(w http.ResponseWriter, r *http.Request, _ int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rng := r.Header.Get("Range")
	max := 200
	fmt.Sscanf(rng[strings.Index(rng, "max=")+len("max="):], "%d", &max)
	desc := strings.Contains(rng, "order=desc")
	out := []map[string]interface{}{}
	for i := range s.rels {
		j := i
		if desc {
			j = len(s.rels) - 1 - i
		}
		if len(out) == max {
			break
		}
		out = append(out, s.rels[j].json())
	}
	writeJSON(w, 200, out)
}

func (s *releaseStore) info(w http.ResponseWriter, r *http.Request, _ int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ident := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	for _, x := range s.rels {
		if x.id() == ident || fmt.Sprint(x.Version) == ident {
			writeJSON(w, 200, x.json())
			return
		}
	}
	apiError(w, 404, "not_found", "Couldn't find that release.")
}

// serveReleases routes the release endpoints to the store; create answers with answer.
func (e *env) serveReleases(s *releaseStore, create func(w http.ResponseWriter, r *http.Request, n int)) {
	e.api.on("GET /apps/myapp/releases", s.list)
	for v := 1; v <= 50; v++ {
		e.api.on(fmt.Sprintf("GET /apps/myapp/releases/%d", v), s.info)
		e.api.on(fmt.Sprintf("GET /apps/myapp/releases/rel-%d", v), s.info)
	}
	if create != nil {
		e.api.on("POST /apps/myapp/releases", create)
	}
}

// createFrom decodes a release-create or rollback body and adds the release it makes.
func (s *releaseStore) createFrom(r *http.Request) (rel, error) {
	var body struct {
		Slug        string `json:"slug"`
		Description string `json:"description"`
		Release     string `json:"release"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return rel{}, err
	}
	if body.Release != "" {
		s.mu.Lock()
		var target *rel
		for i := range s.rels {
			if s.rels[i].id() == body.Release {
				target = &s.rels[i]
			}
		}
		s.mu.Unlock()
		if target == nil {
			return rel{}, fmt.Errorf("no release %s", body.Release)
		}
		return s.add(rel{Slug: target.Slug, Description: fmt.Sprintf("Rollback to v%d", target.Version), Status: "pending"}), nil
	}
	return s.add(rel{Slug: body.Slug, Description: body.Description, Status: "pending"}), nil
}
