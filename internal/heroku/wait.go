package heroku

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ErrNoReleaseOutput is returned by ReleaseOutput for a release without an output stream (no
// release phase: Heroku's null output_stream_url).
var ErrNoReleaseOutput = errors.New("the release has no release phase output")

// WaitRelease polls a release (id or version) every poll (0: Options.PollInterval) until it is no
// longer pending, and returns it. Only ctx bounds the wait (a release phase may run an hour:
// give the bound you mean); up to Options.PollFailures failed polls in a row are tolerated (a 401
// or 403 fails at once). On ctx's end it returns the last release seen with an error wrapping
// ctx.Err().
func (c *Client) WaitRelease(ctx context.Context, app, id string, poll time.Duration) (Release, error) {
	if poll <= 0 {
		poll = c.opts.PollInterval
	}
	return PollRelease(ctx, fmt.Sprintf("wait for release %s of %s", id, app),
		func(ctx context.Context) (Release, error) { return c.ReleaseInfo(ctx, app, id) },
		Polling{Every: poll, MaxFailures: c.opts.PollFailures})
}

// Polling says how PollRelease polls.
type Polling struct {
	// Every is the pause between two polls.
	Every time.Duration
	// MaxFailures is how many failed polls in a row are tolerated.
	MaxFailures int
	// Settle, when set, is asked after every failed poll (failures in a row so far, the poll's
	// error) whether another source knows how the release ended: it returns the status to take
	// and true, or false to go on polling.
	Settle func(failures int, err error) (status string, ok bool)
	// Seen is the release as known before the first poll: what is returned (Settle's status
	// applied) when no poll succeeds.
	Seen Release
}

// PollRelease is WaitRelease's loop over any way of reading the release (info), for a caller
// with a second source of truth (Polling.Settle). op names the wait in errors. The release
// returned is the last one read, with its status set by Settle when Settle decided.
func PollRelease(ctx context.Context, op string, info func(context.Context) (Release, error), p Polling) (Release, error) {
	last := p.Seen
	var lastErr error
	failures := 0
	for {
		r, err := info(ctx)
		switch {
		case err == nil:
			last, lastErr, failures = r, nil, 0
			if r.Status != StatusPending {
				return r, nil
			}
		case ctx.Err() != nil:
		case StatusOf(err) == http.StatusUnauthorized || StatusOf(err) == http.StatusForbidden || IsNotFound(err):
			return last, fmt.Errorf("%s: %w", op, err)
		default:
			failures++
			lastErr = err
			if p.Settle != nil {
				if status, ok := p.Settle(failures, err); ok {
					last.Status = status
					return last, nil
				}
			}
			if failures > p.MaxFailures {
				return last, fmt.Errorf("%s: %d polls failed in a row: %w", op, failures, err)
			}
		}
		timer := time.NewTimer(p.Every)
		select {
		case <-ctx.Done():
			timer.Stop()
			msg := fmt.Sprintf("%s: still pending", op)
			if lastErr != nil {
				msg += fmt.Sprintf(" (last poll failed: %v)", lastErr)
			}
			return last, fmt.Errorf("%s: %w", msg, ctx.Err())
		case <-timer.C:
		}
	}
}

// ReleaseOutput copies a release phase's output (Release.OutputStreamURL) to w as it comes, until
// the stream ends. The URL is signed and served by another host: it is fetched without the API
// key, as the Heroku CLI does. A 404 means the command has not started yet (HEROKU.md 1.4): it is
// asked again every Options.PollInterval. A broken stream is resumed where it stopped with
// `Range: bytes=N-`, up to Options.PollFailures times in a row. An empty url is
// ErrNoReleaseOutput. Bound it with ctx: a release that never starts its command answers 404 for
// ever (cancel ctx once WaitRelease says the release is over, after a grace for the tail).
func (c *Client) ReleaseOutput(ctx context.Context, url string, w io.Writer) error {
	if url == "" {
		return ErrNoReleaseOutput
	}
	inner := c.opts.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	hc := &http.Client{Transport: inner}
	var written int64
	failures := 0
	for {
		done, n, err := c.streamOnce(ctx, hc, url, written, w)
		written += n
		switch {
		case done:
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("stream release output: %w", ctx.Err())
		case err != nil && n == 0:
			failures++
			if failures > c.opts.PollFailures {
				return fmt.Errorf("stream release output: %d attempts failed in a row: %w", failures, err)
			}
		case n > 0:
			failures = 0
		}
		timer := time.NewTimer(c.opts.PollInterval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("stream release output: %w", ctx.Err())
		case <-timer.C:
		}
	}
}

// streamOnce GETs the stream from byte from and copies it to w. done is true when the stream
// ended cleanly; n is how many bytes were copied.
func (c *Client) streamOnce(ctx context.Context, hc *http.Client, url string, from int64, w io.Writer) (done bool, n int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, 0, err
	}
	req.Header.Set("Accept", "text/plain")
	req.Header.Set("User-Agent", UserAgent())
	if from > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", from))
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, 0, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		// Not an error: the command has not started. It does not count as a failure.
		return false, 0, nil
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		return true, 0, nil // nothing after what was copied: the stream is complete
	case resp.StatusCode == http.StatusOK && from > 0:
		// The server ignored the Range: skip what was copied already.
		if _, err := io.CopyN(io.Discard, resp.Body, from); err != nil {
			return false, 0, err
		}
	case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent:
		return false, 0, fmt.Errorf("GET release output: %s", resp.Status)
	}
	n, err = io.Copy(w, resp.Body)
	return err == nil, n, err
}
