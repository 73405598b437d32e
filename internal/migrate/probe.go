package migrate

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zdcd/zdcd/internal/plan"
)

// The pre-flight probe verifies the session guard before anything is touched.
//
// The gate (session.go) checks the migrate command's sessions when the command runs, i.e. after
// the backup and, for a plan that needs the maintenance window, after maintenance mode is on and
// the workers are stopped. Issue 15 asks for a refusal "before touching anything". So, once the plan
// is judged and before the window or the backup, the release (and the nightly run, before
// maintenance mode) runs the configured migrate command exactly as the first attempt will run it
// — same argv (the target appended in one-at-a-time mode), same environment, same lock_timeout,
// same guard, same gate — with one variable more: ZDCD_SESSION_PROBE. The guard then writes its
// report and ends the process at once with probeStatus, before the caller (Django's migrate) runs
// a single query, and zdcd kills what is left of the command's process group. Django's migrate
// opens its connection only to read django_migrations (MigrationExecutor → MigrationRecorder) after
// the system checks, so a guarded probe stops before anything reaches the database beyond the
// guard's own set_config and reads.
//
// Outcomes:
//   - a good report of the migrate alias (the timeouts read back as asked, the plan's settings
//     module, zdcd's database): verified; one log line says what is in effect;
//   - a bad report: refused (ErrSessionUnverified), naming what differs and the fix;
//   - a session that waits at the gate without a report (the guard was not loaded): stopped and
//     refused, as at run time;
//   - the command exits without any report (a wrapper that never starts Django, a crash before
//     the first connection): refused, with its exit status and last error line;
//   - no outcome within ProbeTimeout: killed and refused.
//
// Without django_migrations (a first deploy) there is no gate to hold a session that does not
// load the guard: that session would migrate for real. The probe is skipped (Skipped), and said
// so; the guard still sets and checks every session when the release runs.

// ProbeTimeout bounds the probe: Django's start, its system checks and the first connection.
const ProbeTimeout = 2 * time.Minute

// probeStatus is the exit status the guard ends a probed process with after a good report
// (passed to it in ZDCD_SESSION_PROBE): one neither Python (1, 2, 120) nor the guard's refusal
// (70) uses.
const probeStatus = 79

// ProbeResult is what the probe found.
type ProbeResult struct {
	// Skipped: there is no django_migrations table yet (first deploy); nothing was run.
	Skipped bool
	// Session is the verified report of the migrate alias's session.
	Session *SessionReport
}

// Probe runs the migrate command for migs (the pending migrations, in plan order) in probe mode,
// as the first attempt of Run would start it. The error wraps ErrSessionUnverified when the
// command's sessions are not verified (a configuration to change: nothing was touched), or is a
// setup error (connecting, starting the command).
func (r *Runner) Probe(ctx context.Context, migs []Migration) (*ProbeResult, error) {
	if len(migs) == 0 {
		return &ProbeResult{Skipped: true}, nil
	}
	batch := migs
	var target *plan.MigrationKey
	if r.OneAtATime {
		batch = migs[:1]
		k := migs[0].Key
		target = &k
	}
	return r.probe(ctx, target, r.lockTimeoutFor(batch))
}

// ProbeCommand probes the command as configured, without a target and with LockTimeout: what the
// nightly run checks before maintenance mode, in the Scheduler dyno, whose code does not hold the
// plan the release phase will apply (that release phase probes it again before its backup).
func (r *Runner) ProbeCommand(ctx context.Context) (*ProbeResult, error) {
	return r.probe(ctx, nil, r.LockTimeout)
}

func (r *Runner) probe(ctx context.Context, target *plan.MigrationKey, lockTimeout time.Duration) (*ProbeResult, error) {
	args, err := r.argv(target)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSessionUnverified, err)
	}

	mon, err := openMonitor(ctx, r.ConnString)
	if err != nil {
		return nil, fmt.Errorf("pre-flight: %w", err)
	}
	defer mon.close()
	nonce := newNonce()
	g, err := r.openGate(ctx, nonce, lockTimeout, true)
	if err != nil {
		return nil, fmt.Errorf("pre-flight: %w", err)
	}
	defer g.close()
	if !g.exists {
		r.logf("pre-flight skipped: no django_migrations table yet (first deploy), so nothing could hold a session that does not load the session guard, and the probe would migrate for real; the guard still sets and checks every session of the migration")
		return &ProbeResult{Skipped: true}, nil
	}
	guard, err := sessionDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(guard)

	cmd, err := r.command(args)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSessionUnverified, err)
	}
	env := r.sessionEnv(r.attemptEnv(lockTimeout, mon.version), guard, nonce, lockTimeout, g.identity)
	cmd.Env = append(env, "ZDCD_SESSION_PROBE="+strconv.Itoa(probeStatus))
	r.logf("pre-flight: %s (probe: the session guard reports the settings of the command's first database session, then stops it before any query)", strings.Join(args, " "))

	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	if err := startSupervised(cmd, exited); err != nil {
		return nil, fmt.Errorf("%w: start %s: %w", ErrSessionUnverified, args[0], err)
	}
	kill := func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }

	out := &outputTail{max: 400}
	wg := r.streamAll(out, g.line, stdout, stderr)
	gateDone, gateStopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(gateStopped)
		g.watch(gateDone, kill)
	}()
	// The bound, and an interruption: the command is killed either way.
	var timedOut, interrupted bool
	var mu sync.Mutex
	go func() {
		t := time.NewTimer(r.probeTimeout())
		defer t.Stop()
		select {
		case <-exited:
			return
		case <-t.C:
			mu.Lock()
			timedOut = true
			mu.Unlock()
		case <-ctx.Done():
			mu.Lock()
			interrupted = true
			mu.Unlock()
		}
		kill()
	}()

	wg.Wait()
	werr := cmd.Wait()
	close(exited)
	close(gateDone)
	<-gateStopped
	if werr != nil {
		r.reapSessions(mon)
	}
	mu.Lock()
	defer mu.Unlock()

	g.mu.Lock()
	first, others, refused := g.first, len(g.verified), g.refused
	g.mu.Unlock()
	switch {
	case refused != nil:
		return nil, refused
	case first != nil:
		r.logf("pre-flight verified (session pid=%d): %s%s", first.PID, g.effect(*first), r.target(*first))
		return &ProbeResult{Session: first}, nil
	case interrupted:
		return nil, fmt.Errorf("pre-flight interrupted: %w", ctx.Err())
	case timedOut:
		return nil, fmt.Errorf("%w: the migrate command opened no database session through Django within %s (pre-flight, ZDCD_MIGRATE_COMMAND=%s); it was stopped. Check that it starts Django's migrate promptly",
			ErrSessionUnverified, r.probeTimeout(), strings.Join(args, " "))
	case others > 0:
		return nil, fmt.Errorf("%w: the migrate command's first database session was not for DATABASES[%q] (ZDCD_DATABASE_ALIAS), the alias zdcd plans for: set ZDCD_DATABASE_ALIAS to the alias migrate applies, or keep the app from connecting to another database while it starts",
			ErrSessionUnverified, r.alias())
	}
	if gerr := g.failedAtGate(IsLockTimeout(out.lines())); gerr != nil {
		return nil, gerr
	}
	how := "exited (status 0)"
	if werr != nil {
		how = "failed (" + describeExit(werr, out.lines()) + ")"
	}
	return nil, fmt.Errorf("%w: the migrate command %s without opening a database session through Django, so zdcd's session guard never reported (pre-flight, %s): "+
		"ZDCD_MIGRATE_COMMAND must run Django's `manage.py migrate` with the Python that runs Django, without -I, -S or -E (a wrapper must keep PYTHONPATH and end with `exec python manage.py migrate \"$@\"`)",
		ErrSessionUnverified, how, strings.Join(args, " "))
}

// target says which settings module and database a verified report names.
func (r *Runner) target(rep SessionReport) string {
	s := ""
	if rep.Settings != "" {
		s += "; settings module " + rep.Settings
	}
	if rep.Database != "" {
		s += "; " + describeIdentity(rep.Database)
	}
	return s
}

func (r *Runner) probeTimeout() time.Duration {
	if r.ProbeTimeout > 0 {
		return r.ProbeTimeout
	}
	return ProbeTimeout
}
