package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// zdcd runs zdcd-release on the demo's machine against the app's database, as
// `heroku run zdcd-release …` would in a one-off dyno.
func (d *demo) zdcd(args ...string) (string, error) {
	cmd := exec.Command(d.binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + d.tmp, "DATABASE_URL=" + d.dbURL, "NO_COLOR=1"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("zdcd-release %v: %w", args, err)
	}
	return out.String(), err
}

// scheduler runs zdcd-release as a Heroku Scheduler job does: a one-off dyno of the live
// release (its slug's files as the working directory, /app on Heroku; the release dyno's PATH,
// with the python that runs the app), with the app's config vars. The nightly pre-flight runs the
// migrate command there.
func (d *demo) scheduler(args ...string) (string, error) {
	cmd := exec.Command(d.binary, args...)
	cmd.Dir = d.fake.SlugDir(d.current().SlugID)
	path := filepath.Join(d.tmp, "bin") + string(os.PathListSeparator) + os.Getenv("PATH")
	cmd.Env = []string{"PATH=" + path, "HOME=" + d.tmp, "NO_COLOR=1", "DYNO=scheduler.1",
		"DATABASE_URL=" + d.dbURL, "HEROKU_APP_NAME=" + appName, "HEROKU_API_KEY=" + d.token,
		"ZDCD_PLATFORM_API_URL=" + d.apiURL, "ZDCD_DATA_API_URL=" + d.apiURL, "ZDCD_API_POLL_INTERVAL=200ms"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("zdcd-release %v: %w", args, err)
	}
	return out.String(), err
}

// ledgerRun is a run of `zdcd-release history --format json`.
type ledgerRun struct {
	ID             int64  `json:"id"`
	ReleaseVersion int    `json:"release_version"`
	Outcome        string `json:"outcome"`
	ExitCode       int    `json:"exit_code"`
	BackupID       string `json:"backup_id"`
}

type ledgerRuns []ledgerRun

// ledger reads the ledger through `zdcd-release history --format json`.
func (d *demo) ledger() (ledgerRuns, error) {
	out, err := d.zdcd("history", "--format", "json", "--limit", "100")
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, out)
	}
	var runs ledgerRuns
	if err := json.Unmarshal([]byte(out), &runs); err != nil {
		return nil, fmt.Errorf("decode zdcd-release history --format json: %w", err)
	}
	return runs, nil
}

// forRelease is the latest run of a Heroku release version.
func (rs ledgerRuns) forRelease(version int) (ledgerRun, bool) {
	var found ledgerRun
	ok := false
	for _, r := range rs {
		if r.ReleaseVersion == version && (!ok || r.ID > found.ID) {
			found, ok = r, true
		}
	}
	return found, ok
}
