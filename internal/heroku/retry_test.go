package heroku

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	b := backoff(30*time.Second, func() time.Time { return now })
	resp := func(status int, retryAfter string) *http.Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: status, Header: h}
	}
	tests := []struct {
		name    string
		attempt int
		resp    *http.Response
		want    time.Duration
	}{
		{"connection error, first retry", 0, nil, time.Second},
		{"exponential", 3, resp(500, ""), 8 * time.Second},
		{"capped at max", 10, resp(500, ""), 20 * time.Second},
		{"429 without Retry-After", 1, resp(429, ""), 2 * time.Second},
		{"429 Retry-After seconds", 0, resp(429, "7"), 7 * time.Second},
		{"503 Retry-After seconds", 0, resp(503, "2"), 2 * time.Second},
		{"Retry-After capped", 0, resp(429, "3600"), 30 * time.Second},
		{"Retry-After HTTP date", 0, resp(429, now.Add(12*time.Second).Format(http.TimeFormat)), 12 * time.Second},
		{"Retry-After date in the past", 0, resp(429, now.Add(-time.Hour).Format(http.TimeFormat)), 0},
		{"Retry-After garbage", 0, resp(429, "soon"), time.Second},
		{"Retry-After ignored on 500", 0, resp(500, "9"), time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b(time.Second, 20*time.Second, tt.attempt, tt.resp); got != tt.want {
				t.Errorf("backoff = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCheckRetry(t *testing.T) {
	dial := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	reset := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}}
	cert := &url.Error{Op: "Get", URL: "https://x", Err: errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority")}
	status := func(c int) *http.Response { return &http.Response{StatusCode: c} }
	tests := []struct {
		name  string
		class retryClass
		resp  *http.Response
		err   error
		want  bool
	}{
		{"read 429", idempotent, status(429), nil, true},
		{"read 503", idempotent, status(503), nil, true},
		{"read 500", idempotent, status(500), nil, true},
		{"read 502", idempotent, status(502), nil, true},
		{"read 504", idempotent, status(504), nil, true},
		{"read 501", idempotent, status(501), nil, false},
		{"read 404", idempotent, status(404), nil, false},
		{"read 200", idempotent, status(200), nil, false},
		{"read reset", idempotent, nil, reset, true},
		{"read dial", idempotent, nil, dial, true},
		{"read bad certificate", idempotent, nil, cert, false},
		{"create 429", nonIdempotent, status(429), nil, true},
		{"create 503", nonIdempotent, status(503), nil, true},
		{"create 500", nonIdempotent, status(500), nil, false},
		{"create 502", nonIdempotent, status(502), nil, false},
		{"create 504", nonIdempotent, status(504), nil, false},
		{"create dial", nonIdempotent, nil, dial, true},
		{"create reset", nonIdempotent, nil, reset, false},
		{"create timeout", nonIdempotent, nil, &url.Error{Op: "Post", URL: "http://x", Err: context.DeadlineExceeded}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checkRetry(withClass(context.Background(), tt.class), tt.resp, tt.err)
			if got != tt.want || err != nil {
				t.Errorf("checkRetry = %v, %v; want %v, nil", got, err, tt.want)
			}
		})
	}
	// No class: treated as non-idempotent.
	if got, _ := checkRetry(context.Background(), status(500), nil); got {
		t.Error("a request without a class was retried on 500")
	}
	// A done context is never retried.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := checkRetry(withClass(ctx, idempotent), status(503), nil); got || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, %v", got, err)
	}
}

func TestAmbiguous(t *testing.T) {
	dial := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	if ambiguous(dial) {
		t.Error("a dial error is ambiguous")
	}
	if !ambiguous(context.DeadlineExceeded) {
		t.Error("a timeout is not ambiguous")
	}
}
