package heroku

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	hk "github.com/heroku/heroku-go/v5"
)

// Release statuses (HEROKU.md 1.4). Treat any other value (expired, or one Heroku adds later) as
// unusable.
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusExpired   = "expired"
)

// Release is one release of an app.
type Release struct {
	ID      string
	Version int
	// Status is pending, succeeded, failed or expired.
	Status      string
	Current     bool
	Description string
	// SlugID is empty for a release without a slug.
	SlugID string
	// OutputStreamURL is where release phase's output streams ("" when there is none).
	OutputStreamURL string
	CreatedAt       time.Time
}

func fromRelease(r *hk.Release) Release {
	out := Release{
		ID:          r.ID,
		Version:     r.Version,
		Status:      r.Status,
		Current:     r.Current,
		Description: r.Description,
		CreatedAt:   r.CreatedAt,
	}
	if r.Slug != nil {
		out.SlugID = r.Slug.ID
	}
	if r.OutputStreamURL != nil {
		out.OutputStreamURL = *r.OutputStreamURL
	}
	return out
}

// maxRange is the largest page the Platform API serves (HEROKU.md 2.5).
const maxRange = 1000

// Releases lists the app's newest releases, newest first: at most max of them (1 to 1000; 0
// means 200). It reads one page (heroku-go does not follow Next-Range), which is what zdcd
// needs: the current release and the few before it.
func (c *Client) Releases(ctx context.Context, app string, max int) ([]Release, error) {
	var out []Release
	err := c.call(ctx, "list releases of "+app, func(ctx context.Context) (err error) {
		out, err = c.releases(ctx, app, max)
		return err
	})
	return out, err
}

func (c *Client) releases(ctx context.Context, app string, max int) ([]Release, error) {
	if max <= 0 {
		max = 200
	}
	if max > maxRange {
		max = maxRange
	}
	list, err := c.platform.ReleaseList(ctx, app, &hk.ListRange{Field: "version", Max: max, Descending: true})
	if err != nil {
		return nil, err
	}
	out := make([]Release, 0, len(list))
	for i := range list {
		out = append(out, fromRelease(&list[i]))
	}
	// The order is asked for; sort anyway so that a server ignoring it cannot mislead callers.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Version > out[j].Version })
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

// ReleaseInfo reads one release by id or version ("42" or "v42").
func (c *Client) ReleaseInfo(ctx context.Context, app, release string) (Release, error) {
	ident := releaseIdentity(release)
	var r *hk.Release
	err := c.call(ctx, fmt.Sprintf("get release %s of %s", release, app), func(ctx context.Context) (err error) {
		r, err = c.platform.ReleaseInfo(ctx, app, ident)
		return err
	})
	if err != nil {
		return Release{}, err
	}
	return fromRelease(r), nil
}

// releaseIdentity turns "v42" into "42"; ids and plain versions pass through.
func releaseIdentity(s string) string {
	if len(s) > 1 && (s[0] == 'v' || s[0] == 'V') {
		if _, err := strconv.Atoi(s[1:]); err == nil {
			return s[1:]
		}
	}
	return s
}

// CreateRelease creates a release of the app from a slug (the nightly re-release of a refused
// slug). Heroku answers 201 with the release pending while release phase runs; poll ReleaseInfo.
//
// The POST is not idempotent, so it is retried only when Heroku cannot have acted (429, 503,
// dial errors). After an ambiguous failure (another 5xx, a broken connection, a timeout after the
// request was sent) the client lists the releases and returns the release Heroku created, if it
// finds one: a release newer than the latest before the POST, of the same slug and with the same
// description (with an empty description, the slug alone). Give a description unique to the run
// (the nightly id) so that a concurrent identical create cannot be mistaken for this one. When
// nothing matches, the original error is returned (Heroku did not act); when the listing itself
// fails, the error wraps ErrOutcomeUnknown.
func (c *Client) CreateRelease(ctx context.Context, app, slugID, description string) (Release, error) {
	op := fmt.Sprintf("create release of slug %s on %s", slugID, app)
	opts := hk.ReleaseCreateOpts{Slug: slugID}
	if description != "" {
		opts.Description = hk.String(description)
	}
	match := func(r Release) bool {
		return r.SlugID == slugID && (description == "" || r.Description == description)
	}
	return c.postRelease(ctx, op, app, match, func(ctx context.Context) (*hk.Release, error) {
		return c.platform.ReleaseCreate(ctx, app, opts)
	})
}

// Rollback creates a release that runs the code and config vars of an earlier release (id or
// version, "41" or "v41"), as `heroku rollback` does; its release phase runs like any release's.
// The target must have succeeded. An ambiguous failure is resolved as in CreateRelease: a new
// release of the target's slug described "Rollback to v<N>".
func (c *Client) Rollback(ctx context.Context, app, target string) (Release, error) {
	op := fmt.Sprintf("roll %s back to %s", app, target)
	ctx, cancel := c.bound(ctx)
	defer cancel()
	t, err := c.ReleaseInfo(ctx, app, target)
	if err != nil {
		return Release{}, fmt.Errorf("%s: %w", op, err)
	}
	if t.Status != StatusSucceeded {
		return Release{}, fmt.Errorf("%s: release v%d is %s; roll back only to a release that succeeded", op, t.Version, t.Status)
	}
	want := fmt.Sprintf("Rollback to v%d", t.Version)
	match := func(r Release) bool {
		return r.SlugID == t.SlugID && (r.Description == want || strings.HasPrefix(r.Description, want+" "))
	}
	return c.postRelease(ctx, op, app, match, func(ctx context.Context) (*hk.Release, error) {
		return c.platform.ReleaseRollback(ctx, app, hk.ReleaseRollbackOpts{Release: t.ID})
	})
}

// postRelease runs a release-creating POST: it notes the latest version first, sends the POST
// without blind retries, and after an ambiguous failure looks for the release it may have made.
func (c *Client) postRelease(ctx context.Context, op, app string, match func(Release) bool, post func(context.Context) (*hk.Release, error)) (Release, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	latest, err := c.releases(withClass(ctx, idempotent), app, 1)
	if err != nil {
		return Release{}, c.fail(op+": read the latest release first", err)
	}
	base := 0
	if len(latest) > 0 {
		base = latest[0].Version
	}
	r, err := post(withClass(ctx, nonIdempotent))
	if err == nil {
		return fromRelease(r), nil
	}
	if !ambiguous(err) {
		return Release{}, c.fail(op, err)
	}
	rctx, rcancel := c.reconcileContext(ctx)
	defer rcancel()
	list, lerr := c.releases(rctx, app, 100)
	if lerr != nil {
		return Release{}, c.fail(op, fmt.Errorf("%w: %w; then listing releases to check failed: %v", ErrOutcomeUnknown, c.cause(err), c.fail("list releases", lerr)))
	}
	var found *Release
	for i := range list {
		if list[i].Version > base && match(list[i]) && (found == nil || list[i].Version < found.Version) {
			found = &list[i]
		}
	}
	if found == nil {
		return Release{}, c.fail(op, fmt.Errorf("%w (no release newer than v%d matches, so Heroku did not create one)", c.cause(err), base))
	}
	c.logf("%s: Heroku answered %s but created v%d; using it", op, describe(err), found.Version)
	return *found, nil
}

// reconcileContext is the context of the check after an ambiguous failure: detached from the
// operation's bound (which may be what expired) and given its own.
func (c *Client) reconcileContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(withClass(context.WithoutCancel(ctx), idempotent), c.opts.ReconcileTimeout)
}

// ambiguous reports whether a failed non-idempotent request may nevertheless have been acted on:
// a 5xx, or any transport failure other than one while dialling (the request never left), a
// timeout or a cut connection included. A 4xx is a refusal.
func ambiguous(err error) bool {
	var herr hk.Error
	if errors.As(err, &herr) {
		return herr.StatusCode >= 500 || herr.StatusCode == 0
	}
	return !isDialError(err)
}

// cause converts heroku-go's error to an *APIError, keeping other errors as they are.
func (c *Client) cause(err error) error {
	var herr hk.Error
	if errors.As(err, &herr) {
		return newAPIError(herr, c.redact)
	}
	return err
}

// describe names a failure in a log line: "500 Internal Server Error" or the error's text.
func describe(err error) string {
	var herr hk.Error
	if errors.As(err, &herr) {
		return fmt.Sprintf("%d %s", herr.StatusCode, http.StatusText(herr.StatusCode))
	}
	return err.Error()
}

// logf writes one line to Options.Log, scrubbed.
func (c *Client) logf(format string, args ...interface{}) {
	if c.opts.Log == nil {
		return
	}
	fmt.Fprint(c.opts.Log, c.redact("       heroku: "+fmt.Sprintf(format, args...)+"\n"))
}
