package herokufake_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	heroku "github.com/heroku/heroku-go/v5"

	"github.com/zdcd/zdcd/internal/herokufake"
)

// The release command runs in the slug's directory with the release's config vars; its output is
// recorded and served at output_stream_url; success makes the release current.
func TestReleasePhaseRunsTheReleaseCommand(t *testing.T) {
	ctx := context.Background()
	e := start(t)
	greeting := "hello from config"
	if err := e.fake.SetConfigVars("myapp", map[string]*string{"GREETING": &greeting}); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.EnableFeature("myapp", "runtime-dyno-metadata", true); err != nil {
		t.Fatal(err)
	}
	// release.sh is found through the PATH a .profile.d script sets, as a buildpack's would be.
	dir := slugDir(t, "release: release.sh\nweb: python -m http.server\n", map[string]string{
		"bin/release.sh":     "#!/bin/sh\necho \"$GREETING\" > released.txt\necho \"migrating on $DYNO as $HEROKU_APP_NAME $HEROKU_RELEASE_VERSION\"\necho to-stderr >&2\n",
		".profile.d/zdcd.sh": "export PATH=\"$HOME/bin:$PATH\"\n",
	})
	dep, err := e.fake.Deploy("myapp", dir)
	if err != nil {
		t.Fatal(err)
	}
	if dep.Status != "pending" || dep.Current {
		t.Errorf("new release = %+v, want pending and not current", dep)
	}
	rel := waitRelease(t, e, dep.ID)
	if rel.Status != "succeeded" || !rel.Current || rel.OutputStreamURL == nil {
		t.Fatalf("release = %+v", rel)
	}
	sl, err := e.svc.SlugInfo(ctx, "myapp", rel.Slug.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sl.ProcessTypes["release"] != "release.sh" {
		t.Errorf("process types = %v", sl.ProcessTypes)
	}
	st, _ := e.fake.Release("myapp", dep.ID)
	got, err := os.ReadFile(filepath.Join(e.fake.StateDir(), "slugs", st.SlugID, "released.txt"))
	if err != nil || strings.TrimSpace(string(got)) != greeting {
		t.Errorf("released.txt = %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "released.txt")); err == nil {
		t.Errorf("the release command wrote into the source directory, not the slug")
	}
	// The output is served, unauthenticated, as text/plain.
	resp, err := http.Get(*rel.OutputStreamURL)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("stream: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	want := "migrating on release.1003 as myapp v3\nto-stderr\n"
	if string(out) != want || st.Output != want {
		t.Errorf("output = %q (recorded %q), want %q", out, st.Output, want)
	}
	// Resuming with Range: bytes=N-.
	req, _ := http.NewRequest("GET", *rel.OutputStreamURL, nil)
	req.Header.Set("Range", "bytes=13-")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(rest) != want[13:] {
		t.Errorf("resumed output = %q", rest)
	}
	// The web dyno runs the new release.
	dynos, err := e.svc.DynoList(ctx, "myapp", nil)
	if err != nil || len(dynos) != 1 || dynos[0].Release.Version != rel.Version {
		t.Errorf("dynos = %+v %v", dynos, err)
	}
}

// A release command that exits non-zero fails the release; the previous one stays current.
func TestReleasePhaseFailureKeepsTheCurrentRelease(t *testing.T) {
	ctx := context.Background()
	e := start(t)
	good, err := e.fake.Deploy("myapp", slugDir(t, "release: true\nweb: sleep 1\n", nil))
	if err != nil {
		t.Fatal(err)
	}
	waitRelease(t, e, good.ID)
	bad, err := e.fake.Deploy("myapp", slugDir(t, "release: echo 'migration 0042 refused'; exit 1\nweb: sleep 1\n", nil))
	if err != nil {
		t.Fatal(err)
	}
	rel := waitRelease(t, e, bad.ID)
	if rel.Status != "failed" || rel.Current {
		t.Errorf("failed release = %+v", rel)
	}
	st, _ := e.fake.Release("myapp", bad.ID)
	if st.Output != "migration 0042 refused\n" {
		t.Errorf("output = %q", st.Output)
	}
	cur, _ := e.fake.Release("myapp", good.ID)
	if !cur.Current {
		t.Errorf("the previous release is no longer current")
	}
	// A config change creates a release that runs the current slug's release command.
	v := "1"
	if _, err := e.svc.ConfigVarUpdate(ctx, "myapp", map[string]*string{"FEATURE_X": &v}); err != nil {
		t.Fatal(err)
	}
	list, err := e.svc.ReleaseList(ctx, "myapp", &heroku.ListRange{Field: "version", Max: 1, Descending: true})
	if err != nil || len(list) != 1 || list[0].Description != "Set FEATURE_X config var" || list[0].Slug.ID != good.SlugID {
		t.Fatalf("config release = %+v %v", list, err)
	}
	if r := waitRelease(t, e, list[0].ID); r.Status != "succeeded" || !r.Current {
		t.Errorf("config release = %+v", r)
	}
	// Rolling back to the good release copies its slug and config and runs release phase again.
	rb, err := e.svc.ReleaseRollback(ctx, "myapp", heroku.ReleaseRollbackOpts{Release: good.ID})
	if err != nil {
		t.Fatal(err)
	}
	if rb.Status != "pending" || rb.OutputStreamURL == nil || rb.Slug.ID != good.SlugID {
		t.Errorf("rollback = %+v", rb)
	}
	if r := waitRelease(t, e, rb.ID); r.Status != "succeeded" || !r.Current {
		t.Errorf("rollback release = %+v", r)
	}
	cfg, _ := e.svc.ConfigVarInfoForApp(ctx, "myapp")
	if _, ok := cfg["FEATURE_X"]; ok {
		t.Errorf("rollback kept FEATURE_X: config vars are copied from the target")
	}
}

// A release command that outlives ReleaseTimeout is killed and fails the release; an unknown
// output stream answers 404.
func TestReleaseTimeoutAndStreamNotFound(t *testing.T) {
	e := startWith(t, herokufake.Options{ReleaseTimeout: 300 * time.Millisecond})
	start := time.Now()
	dep, err := e.fake.Deploy("myapp", slugDir(t, "release: echo started; sleep 60\n", nil))
	if err != nil {
		t.Fatal(err)
	}
	rel := waitRelease(t, e, dep.ID)
	if rel.Status != "failed" || time.Since(start) > 20*time.Second {
		t.Errorf("timed-out release = %s after %s", rel.Status, time.Since(start))
	}
	st, _ := e.fake.Release("myapp", dep.ID)
	if !strings.Contains(st.Output, "started") || !strings.Contains(st.Output, "timed out") {
		t.Errorf("output = %q", st.Output)
	}
	resp, err := http.Get(e.url + "/streams/0b0f9f30-0000-4000-8000-000000000000")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown stream: %s", resp.Status)
	}
}

// Release phases overlap by default; SerializeReleases runs them one at a time.
func TestReleasePhaseConcurrency(t *testing.T) {
	for _, serialize := range []bool{false, true} {
		t.Run(fmt.Sprintf("serialize=%v", serialize), func(t *testing.T) {
			e := startWith(t, herokufake.Options{SerializeReleases: serialize})
			marks := t.TempDir()
			if err := e.fake.SetConfigVars("myapp", map[string]*string{"MARKS": &marks}); err != nil {
				t.Fatal(err)
			}
			// Each release command marks its start, then waits (bounded) for the test's "go": a
			// barrier instead of timing, so the test does not depend on the machine's speed.
			dir := slugDir(t, `release: touch "$MARKS/started.$DYNO"; i=0; while [ ! -e "$MARKS/go" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done`+"\n", nil)
			a, err := e.fake.Deploy("myapp", dir)
			if err != nil {
				t.Fatal(err)
			}
			b, err := e.fake.Deploy("myapp", dir)
			if err != nil {
				t.Fatal(err)
			}
			started := func() int {
				m, _ := filepath.Glob(filepath.Join(marks, "started.*"))
				return len(m)
			}
			want := 2 // overlapping release phases both start before either finishes
			if serialize {
				want = 1
			}
			deadline := time.Now().Add(30 * time.Second)
			for started() < want {
				if time.Now().After(deadline) {
					t.Fatalf("%d release commands started, want %d", started(), want)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if serialize {
				if n := started(); n != 1 {
					t.Fatalf("serialized: %d release commands running at once", n)
				}
				if r, _ := e.fake.Release("myapp", b.ID); r.Status != "pending" {
					t.Fatalf("serialized: the second release is %s while the first runs, want pending", r.Status)
				}
			}
			if err := os.WriteFile(filepath.Join(marks, "go"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			ra, rb := waitRelease(t, e, a.ID), waitRelease(t, e, b.ID)
			if ra.Status != "succeeded" || rb.Status != "succeeded" {
				t.Errorf("statuses %s, %s", ra.Status, rb.Status)
			}
			if started() != 2 {
				t.Errorf("%d release commands ran, want 2", started())
			}
			if serialize && !rb.Current {
				t.Errorf("the later release is not current")
			}
		})
	}
}

// An expired release cannot be rolled back to, and its slug is gone (HEROKU.md §1.4, §4.7).
func TestExpiredRelease(t *testing.T) {
	ctx := context.Background()
	e := start(t)
	old, err := e.fake.Deploy("myapp", slugDir(t, "web: sleep 1\n", nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.Deploy("myapp", slugDir(t, "web: sleep 2\n", nil)); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.ExpireRelease("myapp", old.ID); err != nil {
		t.Fatal(err)
	}
	if r, err := e.svc.ReleaseInfo(ctx, "myapp", old.ID); err != nil || r.Status != "expired" {
		t.Errorf("expired release = %+v %v", r, err)
	}
	var herr heroku.Error
	if _, err := e.svc.ReleaseRollback(ctx, "myapp", heroku.ReleaseRollbackOpts{Release: old.ID}); !errors.As(err, &herr) || herr.StatusCode != 422 {
		t.Errorf("rollback to expired = %v, want 422", err)
	}
	if _, err := e.svc.SlugInfo(ctx, "myapp", old.SlugID); !errors.As(err, &herr) || herr.StatusCode != 404 {
		t.Errorf("expired slug = %v, want 404", err)
	}
	if _, err := e.svc.ReleaseCreate(ctx, "myapp", heroku.ReleaseCreateOpts{Slug: old.SlugID}); !errors.As(err, &herr) || herr.StatusCode != 404 {
		t.Errorf("re-release of an expired slug = %v, want 404", err)
	}
}
