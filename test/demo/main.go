// Command demo shows zdcd's main job on a built-in default: a throwaway PostgreSQL, the sample
// Django app with its first migrations applied (what production already runs), and
// `zdcd-release check` judging the rest. Run it with `make demo`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/testenv"
)

func main() {
	binary := flag.String("binary", "dist/zdcd-release", "the zdcd-release binary to demonstrate")
	app := flag.String("app", "test/sampleapp", "the Django project")
	flag.Parse()
	if err := demo(*binary, *app); err != nil {
		fmt.Fprintln(os.Stderr, " !     demo failed:", err)
		os.Exit(1)
	}
}

func demo(binary, app string) error {
	binary, _ = filepath.Abs(binary)
	app, _ = filepath.Abs(app)
	python := testenv.Python()

	step("Starting a throwaway PostgreSQL")
	cluster, err := pgtest.Start()
	if err != nil {
		return err
	}
	stopped := make(chan struct{})
	stop := func() {
		select {
		case <-stopped:
		default:
			close(stopped)
			_ = cluster.Stop()
		}
	}
	defer func() {
		step("Stopping the throwaway PostgreSQL")
		stop()
	}()
	// Interrupted, or piped into a pager that quit: still stop the server.
	signal.Ignore(syscall.SIGPIPE)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		stop()
		os.Exit(130)
	}()
	dbURL, err := cluster.CreateDatabase(context.Background(), "demo")
	if err != nil {
		return err
	}
	detail("postgres://%s:********@127.0.0.1:%d/demo", pgtest.Superuser, cluster.Port)

	env := append(os.Environ(), "DATABASE_URL="+dbURL, "ZDCD_PYTHON="+python)
	step("Deploying the baseline the old code runs on (python manage.py migrate …)")
	for _, target := range testenv.SampleBaseline {
		cmd := exec.Command(python, append([]string{"manage.py", "migrate", "--noinput"}, target...)...)
		cmd.Dir, cmd.Env = app, env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("manage.py migrate %s: %v\n%s", strings.Join(target, " "), err, out)
		}
		detail("migrate %s", strings.Join(target, " "))
	}

	step("zdcd-release check: judging every pending migration")
	fmt.Println()
	cmd := exec.Command(binary, "check")
	cmd.Dir, cmd.Env = app, env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	fmt.Println()
	var ee *exec.ExitError
	switch {
	case err == nil:
		step("check exited 0: every pending migration is safe to apply while the old code serves")
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		step("check exited 1: unsafe migrations pending; in release phase Heroku keeps the old release live")
	default:
		return fmt.Errorf("zdcd-release check: %v", err)
	}
	return nil
}

func step(s string) { fmt.Println("-----> " + s) }

func detail(format string, args ...any) { fmt.Printf("       "+format+"\n", args...) }
