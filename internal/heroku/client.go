package heroku

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	hk "github.com/heroku/heroku-go/v5"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/version"
)

// Defaults for Options. The retry waits are those of go-retryablehttp; RetryAfterMax caps a
// server's Retry-After, which go-retryablehttp would otherwise obey however long it is.
const (
	DefaultRetryMax         = 4
	DefaultRetryWaitMin     = 1 * time.Second
	DefaultRetryWaitMax     = 30 * time.Second
	DefaultRetryAfterMax    = 30 * time.Second
	DefaultRequestTimeout   = 60 * time.Second
	DefaultPollInterval     = 3 * time.Second
	DefaultPollFailures     = 20
	DefaultReconcileTimeout = 30 * time.Second
	// DefaultTransferTimeout is Heroku's release-phase limit (HEROKU.md §1.2): no caller waits
	// longer for a transfer than the release phase may run.
	DefaultTransferTimeout = time.Hour
)

// Options tune the client. The zero value means every default; tests shrink the waits so that
// retries and polls take milliseconds.
type Options struct {
	// RetryMax is how many times a retryable request is retried (0 = DefaultRetryMax; a negative
	// value disables retries).
	RetryMax int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between retries
	// (RetryWaitMin·2^n, capped at RetryWaitMax).
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// RetryAfterMax caps the wait a 429 or 503 asks for in Retry-After.
	RetryAfterMax time.Duration
	// RequestTimeout bounds one HTTP attempt (connect, headers and body). The total time of an
	// operation is bounded by Config.APITimeout.
	RequestTimeout time.Duration
	// PollInterval is the pause between two polls of a backup or restore (the CLI's 3 s).
	PollInterval time.Duration
	// PollFailures is how many failed polls in a row a wait tolerates before giving up (the CLI's
	// 20); a streak of failed polls longer than Config.APITimeout also ends the wait.
	PollFailures int
	// ProgressInterval is the most often a running backup or restore gets a progress line when
	// its state does not change (0 = DefaultProgressInterval).
	ProgressInterval time.Duration
	// TransferTimeout bounds the wait for a backup or restore when the caller's context has no
	// deadline (0 = DefaultTransferTimeout). The release passes its own deadline instead.
	TransferTimeout time.Duration
	// ReconcileTimeout bounds the listing that follows an ambiguous failure of a non-idempotent
	// POST (see CreateRelease). It runs even when the operation's own bound has expired.
	ReconcileTimeout time.Duration
	// Log, when set, receives one line per retried request. Lines never contain the API key.
	Log io.Writer
	// Transport is the innermost HTTP transport (nil = a pooled http.Transport).
	Transport http.RoundTripper
	// Now is the clock (nil = time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.RetryMax == 0 {
		o.RetryMax = DefaultRetryMax
	} else if o.RetryMax < 0 {
		o.RetryMax = 0
	}
	if o.RetryWaitMin <= 0 {
		o.RetryWaitMin = DefaultRetryWaitMin
	}
	if o.RetryWaitMax <= 0 {
		o.RetryWaitMax = DefaultRetryWaitMax
	}
	if o.RetryWaitMax < o.RetryWaitMin {
		o.RetryWaitMax = o.RetryWaitMin
	}
	if o.RetryAfterMax <= 0 {
		o.RetryAfterMax = DefaultRetryAfterMax
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.PollFailures <= 0 {
		o.PollFailures = DefaultPollFailures
	}
	if o.TransferTimeout <= 0 {
		o.TransferTimeout = DefaultTransferTimeout
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = DefaultProgressInterval
	}
	if o.ReconcileTimeout <= 0 {
		o.ReconcileTimeout = DefaultReconcileTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Client talks to the Heroku Platform API and the Heroku Postgres backups API with one API key.
// It is safe for concurrent use.
type Client struct {
	platform *hk.Service
	data     *hk.Service
	opts     Options
	// timeout bounds each operation (Config.APITimeout); 0 means no bound beyond the caller's.
	timeout time.Duration
	// addon is Config.DatabaseAddon: when set, DatabaseAddon looks it up instead of resolving the
	// attachment.
	addon string
	// redact removes the API key from any text that leaves the package.
	redact func(string) string
}

// UserAgent is the User-Agent zdcd sends to Heroku.
func UserAgent() string { return "zdcd-release/" + version.String() }

// New builds a client from the configuration: Config.APIKey, PlatformAPIURL, DataAPIURL,
// APITimeout and DatabaseAddon. It wires heroku-go as HEROKU.md 3.2 says: heroku.Transport
// (Bearer token, User-Agent, v3 Accept, Request-Id) outside, go-retryablehttp inside with the
// pass-through error handler, so that a final error response still becomes a heroku.Error.
func New(cfg *config.Config, opts Options) (*Client, error) {
	if !cfg.APIKey.IsSet() {
		return nil, errors.New("heroku client: HEROKU_API_KEY is not set; set it to an API key with access to the app (heroku authorizations:create)")
	}
	opts = opts.withDefaults()
	if opts.Log != nil {
		opts.Log = &lockedWriter{w: opts.Log}
	}
	token := cfg.APIKey.Reveal()
	redact := config.NewRedactor(token).Redact

	inner := opts.Transport
	if inner == nil {
		inner = http.DefaultTransport.(*http.Transport).Clone()
	}
	rc := retryablehttp.NewClient()
	// The per-attempt timeout lives on the inner client: a Timeout on the outer http.Client would
	// make net/http call heroku.Transport.CancelRequest, which only logs a complaint.
	rc.HTTPClient = &http.Client{Transport: normalize{next: inner, redact: redact}, Timeout: opts.RequestTimeout}
	rc.Logger = nil
	if opts.Log != nil {
		rc.Logger = &retryLogger{w: opts.Log, redact: redact}
	}
	rc.RetryMax = opts.RetryMax
	rc.RetryWaitMin = opts.RetryWaitMin
	rc.RetryWaitMax = opts.RetryWaitMax
	rc.CheckRetry = checkRetry
	rc.Backoff = backoff(opts.RetryAfterMax, opts.Now)
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler

	hc := &http.Client{
		Transport: &hk.Transport{
			BearerToken: token,
			UserAgent:   UserAgent(),
			Transport:   &retryablehttp.RoundTripper{Client: rc},
		},
	}
	platform := hk.NewService(hc)
	platform.URL = strings.TrimRight(cfg.PlatformAPIURL, "/")
	data := hk.NewService(hc)
	data.URL = strings.TrimRight(cfg.DataAPIURL, "/")
	if platform.URL == "" {
		platform.URL = config.DefaultPlatformAPIURL
	}
	if data.URL == "" {
		data.URL = config.DefaultDataAPIURL
	}
	return &Client{
		platform: platform,
		data:     data,
		opts:     opts,
		timeout:  cfg.APITimeout,
		addon:    cfg.DatabaseAddon,
		redact:   redact,
	}, nil
}

// bound applies Config.APITimeout to one operation.
func (c *Client) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.timeout)
}

// fail turns an error from heroku-go into the package's error: an *APIError when Heroku answered
// with an error, the operation as context, and the API key scrubbed from the text.
func (c *Client) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	var apiErr *APIError
	var herr hk.Error
	if !errors.As(err, &apiErr) && errors.As(err, &herr) {
		// Drop heroku-go's wrapping (*url.Error "Get \"…\": message"): the APIError says it all.
		err = newAPIError(herr, c.redact)
	}
	return &opError{op: op, err: err, redact: c.redact}
}

// opError is an operation's error: "get app myapp: heroku: 404 not_found: Couldn't find that
// app." Its text never contains the API key; Unwrap gives the cause (an *APIError, a
// context error, a network error).
type opError struct {
	op     string
	err    error
	redact func(string) string
}

func (e *opError) Error() string { return e.redact(fmt.Sprintf("%s: %v", e.op, e.err)) }
func (e *opError) Unwrap() error { return e.err }

// normalize sits below the retries. It sets the Accept variant a request asked for (withAccept).
// It redacts the API key from X-Heroku-Warning, which heroku-go prints with the standard logger,
// out of this package's reach; and it gives an error answer without a JSON body (a router's HTML
// 502) the JSON body heroku-go needs to return a heroku.Error, so that every error answer keeps
// its status.
type normalize struct {
	next   http.RoundTripper
	redact func(string) string
}

func (n normalize) RoundTrip(req *http.Request) (*http.Response, error) {
	if v := acceptOf(req.Context()); v != "" {
		// One request asks for another Accept variant than heroku.Transport's version=3.
		req = req.Clone(req.Context())
		req.Header.Set("Accept", v)
	}
	resp, err := n.next.RoundTrip(req)
	if resp == nil {
		return resp, err
	}
	if vs := resp.Header.Values("X-Heroku-Warning"); len(vs) > 0 {
		resp.Header.Del("X-Heroku-Warning")
		for _, v := range vs {
			resp.Header.Add("X-Heroku-Warning", n.redact(v))
		}
	}
	if resp.StatusCode/100 == 2 || resp.Body == nil {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	var e struct {
		ID      *string `json:"id"`
		Message *string `json:"message"`
	}
	if rerr != nil || json.Unmarshal(body, &e) != nil || (e.ID == nil && e.Message == nil) {
		body, _ = json.Marshal(map[string]string{
			"id":      "",
			"message": http.StatusText(resp.StatusCode) + " (the answer had no JSON error body)",
		})
		resp.Header.Set("Content-Type", "application/json")
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, err
}

// lockedWriter serializes the lines written to Options.Log by concurrent calls.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
