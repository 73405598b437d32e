package heroku

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry policy (HEROKU.md 3.3).
//
// Every request this package sends carries its retry class in its context:
//
//   - idempotent (GET, the PATCHes that set absolute values such as maintenance or a quantity, the
//     attachment-resolve POST that only reads): retried on connection errors, 429, 500, 502,
//     503 and 504;
//   - non-idempotent (release create, rollback, backup capture, restore): retried only when the
//     server cannot have acted — 429, 503, and errors while dialling (the request never left).
//     A 500, 502, 504, a reset connection or a timeout after the request was sent are ambiguous:
//     they are not retried, and the operation then lists releases or transfers to find out
//     whether Heroku acted (see reconcile in releases.go and backups.go).
//
// A request without a class is treated as non-idempotent. Context cancellation and deadlines are
// never retried.
type retryClass int

const (
	nonIdempotent retryClass = iota
	idempotent
)

type retryClassKey struct{}

func withClass(ctx context.Context, class retryClass) context.Context {
	return context.WithValue(ctx, retryClassKey{}, class)
}

func classOf(ctx context.Context) retryClass {
	if c, ok := ctx.Value(retryClassKey{}).(retryClass); ok {
		return c
	}
	return nonIdempotent
}

// checkRetry is go-retryablehttp's CheckRetry. It never returns an error for an HTTP answer, so
// that the pass-through error handler hands the last response to heroku.Transport, which turns
// it into a heroku.Error.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	class := classOf(ctx)
	if err != nil {
		if class == nonIdempotent {
			return isDialError(err), nil
		}
		return retryableConnError(err), nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true, nil
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return class == idempotent, nil
	}
	return false, nil
}

// isDialError reports whether err happened before the request was sent: dialling or resolving
// the host failed.
func isDialError(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// retryableConnError reports whether a transport error may go away on retry: not a TLS
// certificate problem, a bad URL scheme or too many redirects (as go-retryablehttp decides).
func retryableConnError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"stopped after", "unsupported protocol scheme", "invalid header", "certificate"} {
		if strings.Contains(msg, s) {
			return false
		}
	}
	return true
}

// backoff is go-retryablehttp's Backoff: the Retry-After of a 429 or 503 (seconds or an HTTP
// date), capped at retryAfterMax; otherwise min·2^attempt capped at max.
func backoff(retryAfterMax time.Duration, now func() time.Time) func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	return func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
		if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
			if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now()); ok {
				return min64(d, retryAfterMax)
			}
		}
		d := min
		for i := 0; i < attempt && d < max; i++ {
			d *= 2
		}
		return min64(d, max)
	}
}

func min64(a, b time.Duration) time.Duration {
	if a < b {
		return a
	}
	return b
}

// parseRetryAfter parses Retry-After: "120" or "Fri, 31 Dec 1999 23:59:59 GMT".
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

// retryLogger is go-retryablehttp's LeveledLogger: it writes one line per retry and per failed
// attempt, with the API key scrubbed, and drops the per-request debug chatter.
type retryLogger struct {
	w      io.Writer
	redact func(string) string
}

func (l *retryLogger) Error(msg string, kv ...interface{}) { l.line(msg, kv) }
func (l *retryLogger) Info(msg string, kv ...interface{})  { l.line(msg, kv) }
func (l *retryLogger) Warn(msg string, kv ...interface{})  { l.line(msg, kv) }
func (l *retryLogger) Debug(msg string, kv ...interface{}) {
	if msg == "retrying request" {
		l.line(msg, kv)
	}
}

func (l *retryLogger) line(msg string, kv []interface{}) {
	var b strings.Builder
	b.WriteString("       heroku: ")
	b.WriteString(msg)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %v=%q", kv[i], fmt.Sprint(kv[i+1]))
	}
	b.WriteByte('\n')
	io.WriteString(l.w, l.redact(b.String()))
}
