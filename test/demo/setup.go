package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/herokufake"
	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/testenv"
)

// appName is the demo's Heroku app.
const appName = "zdcd-demo"

// releaseTimeout bounds one release phase (a baseline migrate and a restore included).
const releaseTimeout = 2 * time.Minute

// demo is the story's state: the throwaway PostgreSQL, the local Heroku and what was checked.
type demo struct {
	binary, sample string
	keep           bool
	started        time.Time

	tmp     string
	cluster *pgtest.Cluster
	// dbURL is the app's database, the one behind DATABASE_URL.
	dbURL  string
	token  string
	fake   *herokufake.Server
	server *http.Server
	// apiURL is the local Heroku's base URL (Platform and Data API alike).
	apiURL string
	// api is zdcd's own Heroku client, used by the demo for what a human does with the CLI
	// (heroku ps:scale, heroku releases:create).
	api *heroku.Client

	// slugs are the demo's versions of the app by name ("v3"), for releasing them again.
	slugs map[string]string
	// refused is the release version step 2 refused.
	refused int
	// safe is the release version step 1 made live, the target of step 5's heroku rollback.
	safe int
	// outputs are every release phase output shown, checked for secrets at the end.
	outputs []string

	passed int
	// failed are the failed checks of the current step.
	failed []string

	cleanOnce sync.Once
}

func (d *demo) setUp() error {
	var err error
	if d.binary, err = filepath.Abs(d.binary); err != nil {
		return err
	}
	if d.sample, err = filepath.Abs(d.sample); err != nil {
		return err
	}
	if _, err := os.Stat(d.binary); err != nil {
		return fmt.Errorf("zdcd-release binary: %w (build it with `make build`)", err)
	}
	if d.tmp, err = os.MkdirTemp("", "zdcd-demo-"); err != nil {
		return err
	}

	header("Setting up", "a throwaway PostgreSQL and a local Heroku")
	step("Starting a throwaway PostgreSQL")
	if d.cluster, err = pgtest.Start(); err != nil {
		return err
	}
	if d.dbURL, err = d.cluster.CreateDatabase(context.Background(), "zdcd_demo"); err != nil {
		return err
	}
	detail("postgres://%s:********@127.0.0.1:%d/zdcd_demo", pgtest.Superuser, d.cluster.Port)

	// The release dyno's PATH: zdcd-release (what the buildpack installs) and a python with
	// Django (what the Python buildpack installs), ahead of the machine's PATH.
	bin := filepath.Join(d.tmp, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	links := map[string]string{"zdcd-release": d.binary, "python": testenv.Python(), "python3": testenv.Python()}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(bin, name)); err != nil {
			return err
		}
	}

	d.token = "demo-" + randomHex(16)
	step("Starting the local Heroku (internal/herokufake: Platform API + Postgres backups API)")
	d.fake, err = herokufake.New(herokufake.Options{
		Token:          d.token,
		StateDir:       filepath.Join(d.tmp, "heroku"),
		ReleaseEnv:     []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")},
		ReleaseTimeout: releaseTimeout,
	})
	if err != nil {
		return err
	}
	if d.server, d.apiURL, err = d.fake.Listen("127.0.0.1:0"); err != nil {
		return err
	}
	detail("listening on %s", d.apiURL)
	cfg := config.Defaults()
	cfg.AppName = appName
	cfg.APIKey = config.NewSecret(d.token)
	cfg.PlatformAPIURL, cfg.DataAPIURL = d.apiURL, d.apiURL
	if d.api, err = heroku.New(cfg, heroku.Options{PollInterval: 200 * time.Millisecond}); err != nil {
		return err
	}

	step("heroku apps:create %s", appName)
	if _, err := d.fake.CreateApp(appName); err != nil {
		return err
	}
	step("heroku addons:create heroku-postgresql --app %s   (backed by the throwaway database)", appName)
	addon, err := d.fake.AddPostgres(appName, d.dbURL)
	if err != nil {
		return err
	}
	detail("%s attached as DATABASE (DATABASE_URL)", addon.Name)
	step("heroku labs:enable runtime-dyno-metadata --app %s   (HEROKU_APP_NAME, HEROKU_RELEASE_VERSION)", appName)
	if err := d.fake.EnableFeature(appName, "runtime-dyno-metadata", true); err != nil {
		return err
	}
	step("heroku config:set HEROKU_API_KEY=… ZDCD_PLATFORM_API_URL=%s ZDCD_DATA_API_URL=%s ZDCD_API_POLL_INTERVAL=200ms", d.apiURL, d.apiURL)
	detail("(on real Heroku only HEROKU_API_KEY is needed: the API URLs point zdcd at the local Heroku)")
	if _, err := d.setConfig(map[string]*string{
		"HEROKU_API_KEY":         ptr(d.token),
		"ZDCD_PLATFORM_API_URL":  ptr(d.apiURL),
		"ZDCD_DATA_API_URL":      ptr(d.apiURL),
		"ZDCD_API_POLL_INTERVAL": ptr("200ms"),
	}); err != nil {
		return err
	}
	d.slugs = map[string]string{}
	return nil
}

// cleanup stops everything the demo started and removes its files; it runs once, on success,
// failure or interrupt.
func (d *demo) cleanup() {
	d.cleanOnce.Do(func() {
		if d.server != nil {
			_ = d.server.Close()
		}
		if d.fake != nil {
			d.fake.Close()
		}
		if d.cluster != nil {
			step("Stopping the throwaway PostgreSQL")
			if err := d.cluster.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, " !     stop PostgreSQL:", err)
			}
		}
		if d.tmp == "" {
			return
		}
		if d.keep {
			detail("kept %s", d.tmp)
			return
		}
		if err := os.RemoveAll(d.tmp); err != nil {
			fmt.Fprintln(os.Stderr, " !     remove", d.tmp+":", err)
		}
	})
}

// setConfig sets (nil: unsets) config vars, as `heroku config:set` does, and waits for the
// release it creates. It returns that release.
func (d *demo) setConfig(vars map[string]*string) (herokufake.ReleaseStatus, error) {
	if err := d.fake.SetConfigVars(appName, vars); err != nil {
		return herokufake.ReleaseStatus{}, err
	}
	rs := d.fake.Releases(appName)
	return d.wait(rs[len(rs)-1].ID)
}

// wait waits for a release's release phase.
func (d *demo) wait(id string) (herokufake.ReleaseStatus, error) {
	r, err := d.fake.WaitRelease(appName, id, releaseTimeout)
	if err != nil {
		return r, err
	}
	if r.Output != "" {
		d.outputs = append(d.outputs, r.Output)
	}
	return r, nil
}

func ptr(s string) *string { return &s }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
