// Command localheroku is the local Heroku for the demo: the Platform API and the Postgres backups
// API of internal/herokufake on a real listener, with apps seeded from flags, and a `deploy` verb
// that turns a directory into a slug and a release as `git push heroku` would.
//
//	go run ./test/localheroku serve --addr 127.0.0.1:5000 --state /tmp/lh \
//	    --app myapp --database-url postgres://… --feature runtime-dyno-metadata
//	go run ./test/localheroku deploy --url http://127.0.0.1:5000 --app myapp test/sampleapp
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/zdcd/zdcd/internal/herokufake"
)

const defaultToken = "localheroku-token"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  localheroku serve  [--addr 127.0.0.1:5000] [--state DIR] [--token T] [--app NAME]
                     [--generation cedar|fir] [--database-url URL] [--feature NAME]...
                     [--config KEY=VALUE]...
                     [--release-timeout 1h] [--serialize-releases]
  localheroku deploy [--url http://127.0.0.1:5000] [--token T] [--app NAME] [--no-wait] DIR

The token defaults to $HEROKU_API_KEY, else "localheroku-token".
`)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(args[1:], stdout, stderr)
	case "deploy":
		err = deploy(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		usage(stdout)
		return 0
	default:
		usage(stderr)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, " !     localheroku:", err)
		return 1
	}
	return 0
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func token(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if t := os.Getenv("HEROKU_API_KEY"); t != "" {
		return t
	}
	return defaultToken
}

func serve(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:5000", "listen address")
	state := fs.String("state", "", "state directory (slugs, backups); default a new temporary directory")
	tok := fs.String("token", "", "API token accepted (default $HEROKU_API_KEY, else "+defaultToken+")")
	appName := fs.String("app", "", "create this app")
	generation := fs.String("generation", "cedar", "generation of --app: cedar, or fir (stack cnb, no maintenance mode)")
	dbURL := fs.String("database-url", "", "attach a heroku-postgresql add-on backed by this database to --app (DATABASE_URL)")
	timeout := fs.Duration("release-timeout", time.Hour, "release phase time limit")
	serialize := fs.Bool("serialize-releases", false, "run an app's release phases one at a time")
	var features, config multi
	fs.Var(&features, "feature", "enable an app feature on --app, e.g. runtime-dyno-metadata (repeatable)")
	fs.Var(&config, "config", "set a config var KEY=VALUE on --app (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	if *appName == "" && (*dbURL != "" || len(features) > 0 || len(config) > 0 || *generation != "cedar") {
		return errors.New("--database-url, --feature, --config and --generation need --app")
	}
	if *generation != "cedar" && *generation != "fir" {
		return fmt.Errorf("--generation %q: want cedar or fir", *generation)
	}
	s, err := herokufake.New(herokufake.Options{
		Token:             token(*tok),
		StateDir:          *state,
		ReleaseTimeout:    *timeout,
		SerializeReleases: *serialize,
		Logf: func(format string, a ...any) {
			fmt.Fprintf(stderr, "       "+format+"\n", a...)
		},
	})
	if err != nil {
		return err
	}
	defer s.Close()
	if *appName != "" {
		if _, err := s.CreateApp(*appName); err != nil {
			return err
		}
		if err := s.SetGeneration(*appName, *generation); err != nil {
			return err
		}
		for _, f := range features {
			if err := s.EnableFeature(*appName, f, true); err != nil {
				return err
			}
		}
		if *dbURL != "" {
			ad, err := s.AddPostgres(*appName, *dbURL)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "-----> %s attached to %s as %s (add-on id %s)\n", ad.Name, ad.AppName, ad.ConfigVar, ad.ID)
		}
		if len(config) > 0 {
			vars := map[string]*string{}
			for _, kv := range config {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return fmt.Errorf("--config %q: want KEY=VALUE", kv)
				}
				vars[k] = &v
			}
			if err := s.SetConfigVars(*appName, vars); err != nil {
				return err
			}
		}
	}
	srv, url, err := s.Listen(*addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "-----> Local Heroku serving the Platform API and the Data API at %s\n", url)
	fmt.Fprintf(stdout, "       state in %s; stop with Ctrl-C\n", s.StateDir())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	fmt.Fprintln(stdout, "-----> Local Heroku stopped")
	return nil
}

func deploy(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deploy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "http://127.0.0.1:5000", "the local Heroku's URL")
	tok := fs.String("token", "", "API token (default $HEROKU_API_KEY, else "+defaultToken+")")
	appName := fs.String("app", "myapp", "app to deploy to")
	noWait := fs.Bool("no-wait", false, "return once the release is created, without following release phase")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("deploy takes one directory")
	}
	dir, err := filepath.Abs(fs.Arg(0))
	if err != nil {
		return err
	}
	c := client{base: strings.TrimRight(*base, "/"), token: token(*tok)}
	var rel struct {
		ID              string  `json:"id"`
		Version         int     `json:"version"`
		Status          string  `json:"status"`
		OutputStreamURL *string `json:"output_stream_url"`
	}
	if err := c.do("POST", "/_localheroku/apps/"+*appName+"/deploys", map[string]string{"dir": dir}, &rel); err != nil {
		return fmt.Errorf("deploy %s: %w", dir, err)
	}
	fmt.Fprintf(stdout, "-----> Deployed %s to %s as v%d (%s)\n", dir, *appName, rel.Version, rel.Status)
	if *noWait || rel.Status != "pending" {
		return nil
	}
	if rel.OutputStreamURL != nil {
		fmt.Fprintln(stdout, "-----> Running release command...")
		if err := c.stream(*rel.OutputStreamURL, stdout); err != nil {
			fmt.Fprintf(stderr, " !     release output: %v\n", err)
		}
	}
	for deadline := time.Now().Add(2 * time.Hour); rel.Status == "pending"; {
		if time.Now().After(deadline) {
			return fmt.Errorf("release v%d still pending", rel.Version)
		}
		time.Sleep(200 * time.Millisecond)
		if err := c.do("GET", "/apps/"+*appName+"/releases/"+rel.ID, nil, &rel); err != nil {
			return err
		}
	}
	if rel.Status != "succeeded" {
		return fmt.Errorf("release v%d %s: release command failed", rel.Version, rel.Status)
	}
	fmt.Fprintf(stdout, "-----> Released v%d\n", rel.Version)
	return nil
}

type client struct{ base, token string }

func (c client) do(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/vnd.heroku+json; version=3")
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		var e struct{ ID, Message string }
		_ = json.Unmarshal(b, &e)
		return fmt.Errorf("%s %s: %s (%s: %s)", method, path, resp.Status, e.ID, e.Message)
	}
	return json.Unmarshal(b, out)
}

// stream copies a release's output until the command ends; 404 means not started yet.
func (c client) stream(url string, w io.Writer) error {
	for i := 0; i < 100; i++ {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		if resp.StatusCode == http.StatusNotFound {
			resp.Body.Close()
			time.Sleep(100 * time.Millisecond)
			continue
		}
		defer resp.Body.Close()
		_, err = io.Copy(w, resp.Body)
		return err
	}
	return errors.New("release command did not start")
}
