// Package herokufake is a local Heroku: a stateful fake of the Platform API and of the Heroku
// Postgres backups ("Data") API, faithful to the wire conventions of ../shared/HEROKU.md, for tests
// and for the demo.
//
// Nothing is simulated that can be done for real: a slug is a directory, creating a release runs
// the slug's Procfile `release:` command in it as a subprocess with the release's config vars as
// its environment, a backup capture runs pg_dump of the add-on's database and a restore runs
// pg_restore into it.
//
// The Server is an http.Handler: tests serve it with httptest.NewServer, the standalone command
// (test/localheroku) with a real listener. The same handler answers both APIs, so the Platform
// and the Data API base URLs can be the same address.
package herokufake

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Options configure a Server. The zero value of every field has a usable default, except Token.
type Options struct {
	// Token is the API key accepted as `Authorization: Bearer <token>` or as the password of
	// HTTP Basic authentication. Required.
	Token string
	// StateDir holds slugs, backups and release output. Default: a new temporary directory.
	StateDir string
	// PGBinDir holds pg_dump and pg_restore. Default: pgtest-style discovery ($ZDCD_PG_BINDIR,
	// the newest /usr/lib/postgresql/<v>/bin, or PATH).
	PGBinDir string
	// AcceptAny turns off the Accept check: by default every API call without
	// `Accept: application/vnd.heroku+json; version=3` (or a 3.x variant) answers 406.
	AcceptAny bool
	// ReleaseTimeout bounds a release command (Heroku: one hour).
	ReleaseTimeout time.Duration
	// SerializeReleases makes an app's release phases run one at a time, in version order
	// (a release waiting its turn is pending and its output stream answers 404). By default they
	// may overlap, which HEROKU.md §1.5 tells zdcd to assume.
	SerializeReleases bool
	// ReleaseEnv is added to every release command's environment after the config vars
	// (e.g. "PATH=…"); config vars override it. Default: PATH of this process. HOME is the slug
	// directory, as it is /app on Heroku.
	ReleaseEnv []string
	// RateLimit is the size of the token bucket (Heroku: 4500), refilled at RateLimit/60 per
	// minute.
	RateLimit int
	// PublicURL is the base URL used in generated URLs (output streams, backup blobs). Default:
	// derived from each request's Host.
	PublicURL string
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Rand is the source of ids. Default crypto/rand.
	Rand io.Reader
	// RestoreEndsSessions makes every restore terminate the database's other sessions first, as a
	// restore that needs the database to itself would: clients must reconnect afterwards.
	RestoreEndsSessions bool
	// Logf receives one line per notable event (never a token or a password). Default: discard.
	Logf func(format string, args ...any)
}

// Server is a local Heroku. Create it with New; it is safe for concurrent use.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	ctx    context.Context // canceled by Close: ends release commands and transfers
	cancel context.CancelFunc

	mu          sync.Mutex
	apps        []*app
	addons      []*addon
	attachments []*attachment
	slugs       []*slug
	builds      []*build
	transfers   []*transfer
	faults      []*faultState
	requests    []*Request
	failBackups int
	backupDelay time.Duration
	sim         TransferSim
	tokens      float64
	tokensAt    time.Time
	procs       sync.WaitGroup
}

// New returns a Server. It fails only when the state directory cannot be created.
func New(opts Options) (*Server, error) {
	if opts.Token == "" {
		return nil, fmt.Errorf("herokufake: Options.Token is required")
	}
	if opts.StateDir == "" {
		d, err := os.MkdirTemp("", "zdcd-localheroku-")
		if err != nil {
			return nil, err
		}
		opts.StateDir = d
	}
	for _, sub := range []string{"slugs", "blobs", "output"} {
		if err := os.MkdirAll(filepath.Join(opts.StateDir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("herokufake: state dir: %w", err)
		}
	}
	if opts.ReleaseTimeout == 0 {
		opts.ReleaseTimeout = time.Hour
	}
	if opts.ReleaseEnv == nil {
		opts.ReleaseEnv = []string{"PATH=" + os.Getenv("PATH")}
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = 4500
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	s := &Server{opts: opts, tokens: float64(opts.RateLimit)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.tokensAt = opts.Now()
	s.routes()
	return s, nil
}

// StateDir is the directory holding slugs, backups and release output.
func (s *Server) StateDir() string { return s.opts.StateDir }

// Wait blocks until every release command, capture and restore started so far has finished.
func (s *Server) Wait() { s.procs.Wait() }

// Close kills the running release commands, captures and restores, and waits for them.
func (s *Server) Close() {
	s.cancel()
	s.procs.Wait()
}

// now is the clock in Heroku's precision: UTC, whole seconds, so that times marshal as
// RFC 3339 `2006-01-02T15:04:05Z`.
func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Second) }

func (s *Server) newID() string {
	var b [16]byte
	if _, err := io.ReadFull(s.opts.Rand, b[:]); err != nil {
		panic(fmt.Sprintf("herokufake: random id: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// apiError is Heroku's error body (§2.3).
type apiError struct {
	Status   int    `json:"-"`
	ID       string `json:"id"`
	Message  string `json:"message"`
	Resource string `json:"resource,omitempty"`
}

func (e *apiError) Error() string { return e.ID + ": " + e.Message }

func notFound(resource, message string) *apiError {
	return &apiError{Status: http.StatusNotFound, ID: "not_found", Message: message, Resource: resource}
}

func invalid(message string) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, ID: "invalid_params", Message: message}
}

func badRequest(message string) *apiError {
	return &apiError{Status: http.StatusBadRequest, ID: "bad_request", Message: message}
}

// writeJSON writes v with status. Every response of the fake, success or error, has a JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(apiError{ID: "internal_server_error", Message: err.Error()})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if status/100 == 2 {
		sum := sha1.Sum(b)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
	_, _ = w.Write([]byte("\n"))
}

func writeError(w http.ResponseWriter, e *apiError) { writeJSON(w, e.Status, e) }

// handlerFunc is an endpoint: it returns the status and the value to send, or an error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) (int, any, *apiError)

// Request is one request the server received, for assertions.
type Request struct {
	Time     time.Time
	Method   string
	Path     string
	RawQuery string
	// Header is the request's headers with the Authorization value replaced by "REDACTED".
	Header http.Header
	Body   []byte
	// Status is the status the server answered.
	Status int
}

// Requests returns every request received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
	}
	return out
}

// RequestsMatching returns the requests whose method equals method (or any, if empty) and whose
// path matches the pattern (see Fault.Path).
func (s *Server) RequestsMatching(method, pattern string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if (method == "" || method == r.Method) && pathMatch(pattern, r.Path) {
			out = append(out, r)
		}
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (a Reset fault hijacks it).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// ServeHTTP implements Heroku's cross-cutting conventions (§2), then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_localheroku/") {
		// The fake's own control API: token only, not recorded, never faulted.
		w.Header().Set("Request-Id", s.newID())
		if !s.authorized(r) {
			writeError(w, &apiError{Status: http.StatusUnauthorized, ID: "unauthorized", Message: "Invalid credentials provided."})
			return
		}
		s.mux.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	hdr := r.Header.Clone()
	if hdr.Get("Authorization") != "" {
		hdr.Set("Authorization", "REDACTED")
	}
	rec := &statusRecorder{ResponseWriter: w}
	logged := &Request{Time: s.now(), Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: hdr, Body: body}
	s.mu.Lock()
	s.requests = append(s.requests, logged)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		logged.Status = rec.status
		s.mu.Unlock()
	}()

	reqID := r.Header.Get("Request-Id")
	if reqID == "" {
		reqID = s.newID()
	}
	w.Header().Set("Request-Id", reqID)

	// Release output streams and backup blobs are signed URLs on other hosts at Heroku: no
	// token, no Accept, no rate limit.
	if strings.HasPrefix(r.URL.Path, "/streams/") || strings.HasPrefix(r.URL.Path, "/blobs/") {
		s.mux.ServeHTTP(rec, r)
		return
	}

	remaining, limited := s.takeToken(r.URL.Path == "/account/rate-limits")
	w.Header().Set("RateLimit-Remaining", fmt.Sprint(remaining))
	if !s.authorized(r) {
		writeError(rec, &apiError{Status: http.StatusUnauthorized, ID: "unauthorized",
			Message: "There were no credentials in your `heroku login`, or the credentials are invalid."})
		return
	}
	if !s.opts.AcceptAny && !acceptsV3(r.Header.Get("Accept")) {
		writeError(rec, &apiError{Status: http.StatusNotAcceptable, ID: "not_acceptable",
			Message: "Set `Accept: application/vnd.heroku+json; version=3` header and try again."})
		return
	}
	if limited {
		writeError(rec, &apiError{Status: http.StatusTooManyRequests, ID: "rate_limit",
			Message: "Your account reached the API rate limit\nPlease wait a few minutes before making new requests"})
		return
	}
	if f := s.takeFault(r); f != nil {
		s.serveFault(rec, r, f)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		return tok == s.opts.Token
	}
	if _, pw, ok := r.BasicAuth(); ok {
		return pw == s.opts.Token
	}
	return false
}

// acceptsV3 reports whether an Accept header asks for version 3 of the API (3, 3.sdk, …).
func acceptsV3(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || mt != "application/vnd.heroku+json" {
			continue
		}
		if v := params["version"]; v == "3" || strings.HasPrefix(v, "3.") {
			return true
		}
	}
	return false
}

// takeToken takes one token from the account's bucket (free calls take none) and returns what
// remains and whether the call is rate limited.
func (s *Server) takeToken(free bool) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	capacity := float64(s.opts.RateLimit)
	s.tokens += now.Sub(s.tokensAt).Minutes() * capacity / 60
	if s.tokens > capacity {
		s.tokens = capacity
	}
	s.tokensAt = now
	if free {
		return int(s.tokens), false
	}
	if s.tokens < 1 {
		return 0, true
	}
	s.tokens--
	return int(s.tokens), false
}

// SetRateLimitRemaining sets the tokens left in the account's bucket (0 makes calls answer 429
// until it refills).
func (s *Server) SetRateLimitRemaining(n int) {
	s.mu.Lock()
	s.tokens = float64(n)
	s.tokensAt = s.opts.Now()
	s.mu.Unlock()
}

func (s *Server) baseURL(r *http.Request) string {
	if s.opts.PublicURL != "" {
		return strings.TrimRight(s.opts.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// handle registers an endpoint under a ServeMux pattern such as "GET /apps/{app}".
func (s *Server) handle(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		status, v, err := h(w, r)
		if err != nil {
			writeError(w, err)
			return
		}
		if status == 0 {
			return // the handler wrote the response itself
		}
		writeJSON(w, status, v)
	})
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.platformRoutes()
	s.dataRoutes()
	s.controlRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, notFound("", fmt.Sprintf("The requested API endpoint was not found. Are you using the right HTTP verb (%s) and path (%s)?", r.Method, r.URL.Path)))
	})
}

// decodeBody decodes a JSON request body into v. An empty body leaves v unchanged.
func decodeBody(r *http.Request, v any) *apiError {
	b, _ := io.ReadAll(r.Body)
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("Invalid JSON body: " + err.Error())
	}
	return nil
}

// Listen serves the fake on addr (e.g. "127.0.0.1:5000") until Close of the returned server.
func (s *Server) Listen(addr string) (*http.Server, string, error) {
	srv := &http.Server{Addr: addr, Handler: s, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)}
	ln, err := listen(addr)
	if err != nil {
		return nil, "", err
	}
	go func() { _ = srv.Serve(ln) }()
	return srv, "http://" + ln.Addr().String(), nil
}
