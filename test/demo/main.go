// Command demo tells zdcd's story on a local Heroku: a throwaway PostgreSQL, the fake Heroku
// (internal/herokufake) serving the Platform and Postgres backups APIs on a loopback listener,
// and the sample Django app deployed version by version, with `zdcd-release release` as its
// release phase:
//
//   - v1, the baseline, deployed on an empty database; rows seeded, a worker scaled up;
//   - step 1, a safe release (a nullable column), applied after a Heroku Postgres backup;
//   - step 2, an unsafe release, refused: the release fails, the old schema stays as it was;
//   - step 3, `zdcd-release nightly` (as Heroku Scheduler runs it) deploys the refused slug: applied;
//   - step 4, a nightly release whose last migration fails after unsafe ones were applied:
//     maintenance on and workers to 0 before the backup, the backup restored and verified,
//     workers back, maintenance off, and every row as it was;
//   - step 5, `heroku rollback` to step 1's release, whose code lacks the NOT NULL column step 3
//     applied: its release phase finds the schema ahead of the code and refuses, naming the
//     ledger's reasons and `zdcd-release rollback --to vN`.
//
// Each step prints the release phase's output and the checks the demo makes; any failed check
// makes it exit 1. Run it with `make demo`.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	binary := flag.String("binary", "dist/zdcd-release", "the zdcd-release binary to demonstrate")
	app := flag.String("app", "test/sampleapp", "the sample Django project")
	keep := flag.Bool("keep", false, "keep the temporary directory (slugs, backups) for inspection; the database is stopped anyway")
	flag.Parse()

	d := &demo{binary: *binary, sample: *app, keep: *keep, started: time.Now()}
	// Interrupted, or piped into a pager that quit: still stop the server and remove the files.
	signal.Ignore(syscall.SIGPIPE)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		fmt.Fprintln(os.Stderr, "\n !     interrupted: stopping the local Heroku and PostgreSQL, removing the files")
		d.cleanup()
		os.Exit(130)
	}()

	err := d.run()
	d.cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, " !     demo failed:", err)
		os.Exit(1)
	}
	fmt.Printf("\n-----> Demo passed: %d checks in %s.\n", d.passed, time.Since(d.started).Round(100*time.Millisecond))
}

// run tells the story; the first step whose checks fail ends it.
func (d *demo) run() error {
	if err := d.setUp(); err != nil {
		return err
	}
	for _, s := range []func() error{d.baseline, d.safeRelease, d.unsafeRelease, d.nightlyRelease, d.failingNightly, d.herokuRollback, d.epilogue} {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}
