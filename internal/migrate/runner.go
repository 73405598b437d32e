package migrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/zdcd/zdcd/internal/childenv"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// Defaults of Runner's own knobs.
const (
	DefaultPollInterval = 250 * time.Millisecond
	DefaultKillGrace    = 10 * time.Second
)

// Runner runs the app's migrate command. Build it with New, or fill it in (tests).
type Runner struct {
	// ProjectDir is the directory the command runs in (ZDCD_PROJECT_DIR).
	ProjectDir string
	// Command is ZDCD_MIGRATE_COMMAND, split by SplitCommand. Python, when set, replaces a leading
	// "python" or "python3" word. Argv, when set, is used as is instead of both.
	Command string
	Python  string
	Argv    []string
	// Env is the command's environment (the package never reads its own process's). PGOPTIONS
	// and PGAPPNAME are set in it for each attempt.
	Env []string
	// ConnString is the database URL of the runner's own monitoring session.
	ConnString string
	// DatabaseVar names the variable ConnString came from (ZDCD_DATABASE_VAR), for messages.
	DatabaseVar string
	// Settings is the DJANGO_SETTINGS_MODULE the plan was computed with (plan.Plan.Settings): the
	// command gets it, and every Python process of it must run with it (session.go). Empty: the
	// command's environment decides, unchecked.
	Settings string
	// Alias is the DATABASES key migrate applies the plan to (ZDCD_DATABASE_ALIAS; empty:
	// "default"): its sessions must reach ConnString's database.
	Alias string
	// OneAtATime applies the pending migrations one by one (`<argv> <app> <name>`), so that each
	// attempt is small and its retry repeats one migration only.
	OneAtATime bool

	LockTimeout       time.Duration
	StatementTimeout  time.Duration
	LockRetries       int
	LockRetryDelay    time.Duration
	LockRetryMaxDelay time.Duration
	LockWait          time.Duration
	// PollInterval is how often the pre-wait and the watchdog look at pg_locks (0: 250ms).
	PollInterval time.Duration
	// ProbeTimeout bounds the pre-flight probe (probe.go; 0: ProbeTimeout).
	ProbeTimeout time.Duration
	// KillGrace is how long an interrupted command gets between SIGTERM and SIGKILL (0: 10s).
	KillGrace time.Duration

	// Log receives the command's output, indented, and the runner's own lines. May be nil.
	Log io.Writer
	// Redactor scrubs secrets (the database password, in every encoding: config.Redactor) from
	// everything logged and every error. Nil: nothing is scrubbed (tests).
	Redactor *config.Redactor
	// Now is the clock (nil: time.Now).
	Now func() time.Time

	logMu sync.Mutex // serialises Log's lines
}

// New builds a Runner from the configuration. env is the command's environment.
func New(cfg *config.Config, env []string, log io.Writer) *Runner {
	r := &Runner{
		ProjectDir:        cfg.ProjectDir,
		Command:           cfg.MigrateCommand,
		Python:            cfg.Python,
		Env:               env,
		LockTimeout:       cfg.LockTimeout,
		StatementTimeout:  cfg.StatementTimeout,
		LockRetries:       cfg.LockRetries,
		LockRetryDelay:    cfg.LockRetryDelay,
		LockRetryMaxDelay: cfg.LockRetryMaxDelay,
		LockWait:          cfg.LockWait,
		Alias:             cfg.DatabaseAlias,
		DatabaseVar:       cfg.DatabaseVar,
		Log:               log,
	}
	// The command's environment holds every secret it may print (RedactorFromEnv), and the
	// configured database's password may come from elsewhere than a variable of it.
	r.Redactor = config.RedactorFromEnv(env)
	if cfg.Database != nil {
		r.ConnString = cfg.Database.ConnString()
		r.Redactor = r.Redactor.With(cfg.Database.Password.Reveal())
	}
	return r
}

// OneAtATimeFor says whether migs should be applied one at a time: when more than one is pending
// and some wait by design (CONCURRENTLY, VALIDATE) — they run with lock_timeout=0, the others
// with the short lock_timeout, which one command for all cannot do. Otherwise one command applies
// them all (one Python start), and a retry resumes where Django stopped.
func OneAtATimeFor(migs []Migration) bool {
	if len(migs) < 2 {
		return false
	}
	for _, m := range migs {
		if m.WaitsByDesign {
			return true
		}
	}
	return false
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// argv is the command to run, with the migration appended in one-at-a-time mode.
func (r *Runner) argv(target *plan.MigrationKey) ([]string, error) {
	var args []string
	if len(r.Argv) > 0 {
		args = append(args, r.Argv...)
	} else {
		cmd := r.Command
		if cmd == "" {
			cmd = config.DefaultMigrateCommand
		}
		split, err := SplitCommand(cmd)
		if err != nil {
			return nil, fmt.Errorf("ZDCD_MIGRATE_COMMAND: %w", err)
		}
		if r.Python != "" && (split[0] == "python" || split[0] == "python3") {
			split[0] = r.Python
		}
		args = split
	}
	if target != nil {
		args = append(args, target.App, target.Name)
	}
	return args, nil
}

// backoff is the delay before retry n (1-based): LockRetryDelay doubled each time, capped.
func (r *Runner) backoff(n int) time.Duration {
	d := r.LockRetryDelay
	for i := 1; i < n && d < r.LockRetryMaxDelay; i++ {
		d *= 2
	}
	if r.LockRetryMaxDelay > 0 && d > r.LockRetryMaxDelay {
		d = r.LockRetryMaxDelay
	}
	return d
}

// Run applies migs (the pending migrations, in plan order; see FromPlan). The error wraps
// ErrLockTimeoutExhausted, ErrFailed or ErrInterrupted, or is a setup error (Result.Kind is then
// KindFailed too); the Result is never nil.
func (r *Runner) Run(ctx context.Context, migs []Migration) (*Result, error) {
	start := r.now()
	res := &Result{}
	w := newWatch(r)
	defer func() {
		res.Duration = r.now().Sub(start)
		res.Watchdog = w.summary()
	}()
	fail := func(kind Kind, err error) (*Result, error) {
		res.Kind = kind
		return res, err
	}

	mon, err := openMonitor(ctx, r.ConnString)
	if err != nil {
		return fail(KindFailed, fmt.Errorf("%w: %w", ErrFailed, err))
	}
	defer mon.close()

	before, err := mon.applied(ctx)
	if err != nil {
		return fail(KindFailed, fmt.Errorf("%w: %w", ErrFailed, err))
	}
	pending := func(done map[plan.MigrationKey]bool) []Migration {
		var out []Migration
		for _, m := range migs {
			if !done[m.Key] {
				out = append(out, m)
			}
		}
		return out
	}
	if len(pending(before)) == 0 {
		r.logf("nothing to migrate")
		return res, nil
	}

	guard, err := sessionDir()
	if err != nil {
		return fail(KindFailed, fmt.Errorf("%w: %w", ErrFailed, err))
	}
	defer os.RemoveAll(guard)

	retries := 0
	for {
		todo := pending(before)
		if len(todo) == 0 {
			return res, nil
		}
		batch := todo
		var target *plan.MigrationKey
		if r.OneAtATime {
			batch = todo[:1]
			k := todo[0].Key
			target = &k
		}
		att := Attempt{Target: target}
		att.LockTimeout = r.lockTimeoutFor(batch)

		// Repair, then wait for conflicting sessions, then run.
		err := mon.reconnect(ctx)
		if err == nil {
			err = r.repair(ctx, mon, batch, &att)
		}
		if err != nil {
			res.Attempts = append(res.Attempts, att)
			if ctx.Err() != nil {
				return fail(KindInterrupted, fmt.Errorf("%w: %w", ErrInterrupted, ctx.Err()))
			}
			return fail(KindFailed, fmt.Errorf("%w: %w", ErrFailed, err))
		}
		if err := r.preWait(ctx, mon, batch, &att); err != nil {
			res.Attempts = append(res.Attempts, att)
			return fail(KindInterrupted, fmt.Errorf("%w: %w", ErrInterrupted, err))
		}

		r.attempt(ctx, mon, w, batch, &att, guard)

		aerr := mon.reconnect(context.WithoutCancel(ctx))
		var after map[plan.MigrationKey]bool
		if aerr == nil {
			after, aerr = mon.applied(context.WithoutCancel(ctx))
		}
		var extra []plan.MigrationKey // applied beyond the target (verify.go)
		if aerr == nil && target != nil {
			extra = beyondTarget(batch[0], before, after)
		}
		if aerr == nil {
			for _, m := range migs {
				if after[m.Key] && !before[m.Key] {
					att.Applied = append(att.Applied, m.Key)
					res.Applied = append(res.Applied, m.Key)
				}
			}
			before = after
		}
		if len(extra) > 0 {
			att.Err = beyondTargetError(*target, extra)
		}
		if att.Err != nil {
			att.Error = att.Err.Error()
		}
		res.Attempts = append(res.Attempts, att)
		if len(att.Applied) > 0 {
			retries = 0 // progress: the retry budget is per migration
		}

		switch {
		case len(extra) > 0:
			return fail(KindFailed, att.Err)
		case att.Interrupted:
			return fail(KindInterrupted, fmt.Errorf("%w: %w", ErrInterrupted, att.Err))
		case att.Err == nil && aerr != nil:
			return fail(KindFailed, fmt.Errorf("%w: %w", ErrFailed, aerr))
		case errors.Is(att.Err, ErrSessionUnverified):
			return fail(KindFailed, fmt.Errorf("%w: %w", ErrFailed, att.Err))
		case att.Err == nil:
			// The command succeeded: what it was asked to apply must now be recorded.
			if left := pending(before); len(left) > 0 && (!r.OneAtATime || left[0].Key == *target) {
				return fail(KindFailed, fmt.Errorf("%w: the command succeeded but %s is still not applied", ErrFailed, left[0].Key))
			}
			continue
		case !att.LockTimedOut:
			return fail(KindFailed, fmt.Errorf("%w: %w", ErrFailed, att.Err))
		case retries >= r.LockRetries:
			return fail(KindLockTimeoutExhausted, fmt.Errorf("%w: %d attempts: %w", ErrLockTimeoutExhausted, retries+1, att.Err))
		}
		retries++
		d := r.backoff(retries)
		r.logf("lock timeout; retry %d of %d in %s", retries, r.LockRetries, d)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fail(KindInterrupted, fmt.Errorf("%w: %w", ErrInterrupted, ctx.Err()))
		case <-t.C:
		}
	}
}

// lockTimeoutFor is the lock_timeout of an attempt applying batch: 0 when every migration of it
// waits by design, else LockTimeout.
func (r *Runner) lockTimeoutFor(batch []Migration) time.Duration {
	for _, m := range batch {
		if !m.WaitsByDesign {
			return r.LockTimeout
		}
	}
	return 0
}

// repair drops the INVALID indexes the batch's CONCURRENTLY builds left behind.
func (r *Runner) repair(ctx context.Context, mon *monitor, batch []Migration, att *Attempt) error {
	var names []sqlparse.Name
	for _, m := range batch {
		names = append(names, m.Indexes...)
	}
	if len(names) == 0 {
		return nil
	}
	bad, err := mon.invalidIndexes(ctx, names)
	if err != nil {
		return err
	}
	for _, n := range bad {
		q := n.Schema + "." + n.Name
		r.logf("INVALID index %s left by a cancelled CONCURRENTLY build: DROP INDEX CONCURRENTLY IF EXISTS %s", q, q)
		if err := mon.dropIndex(ctx, n, r.StatementTimeout); err != nil {
			return fmt.Errorf("drop INVALID index %s: %w", q, err)
		}
		att.Repaired = append(att.Repaired, q)
	}
	return nil
}

// preWait waits, at most LockWait, until no other session holds or awaits a lock conflicting
// with the batch's. It returns an error only when ctx ends.
func (r *Runner) preWait(ctx context.Context, mon *monitor, batch []Migration, att *Attempt) error {
	if r.LockWait <= 0 {
		return nil
	}
	locks := map[string]analysis.LockMode{}
	for _, m := range batch {
		for t, mode := range m.Locks {
			if mode > locks[t] {
				locks[t] = mode
			}
		}
	}
	start := r.now()
	deadline := time.NewTimer(r.LockWait)
	defer deadline.Stop()
	tick := time.NewTicker(r.poll())
	defer tick.Stop()
	seen := map[int]bool{}
	for {
		blockers, err := mon.conflicting(ctx, locks)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.logf("cannot check for conflicting locks (attempting anyway): %v", err)
			return nil
		}
		if len(blockers) == 0 {
			att.Waited = r.now().Sub(start)
			return nil
		}
		for _, b := range blockers {
			if !seen[b.PID] {
				seen[b.PID] = true
				att.Blockers = append(att.Blockers, b)
				r.logf("waiting for a conflicting session: %s", describe(b, r.now()))
			}
		}
		select {
		case <-ctx.Done():
			att.Waited = r.now().Sub(start)
			return ctx.Err()
		case <-deadline.C:
			att.Waited = r.now().Sub(start)
			r.logf("still %d conflicting session(s) after %s; attempting with lock_timeout=%s", len(blockers), r.LockWait, att.LockTimeout)
			return nil
		case <-tick.C:
		}
	}
}

func (r *Runner) poll() time.Duration {
	if r.PollInterval > 0 {
		return r.PollInterval
	}
	return DefaultPollInterval
}

// pgOptions is PGOPTIONS for an attempt: the environment's, then ours. On PostgreSQL 14+ the
// server also checks, every second of a long wait, that the client is still there.
func (r *Runner) pgOptions(lockTimeout time.Duration, serverVersion int) string {
	ours := fmt.Sprintf("-c lock_timeout=%d -c statement_timeout=%d -c application_name=%s",
		lockTimeout.Milliseconds(), r.StatementTimeout.Milliseconds(), ApplicationName)
	if serverVersion >= 140000 {
		ours += " -c client_connection_check_interval=1000"
	}
	return childenv.PGOptions(r.Env, ours)
}

// attempt runs the command once, with the watchdog, filling att.
func (r *Runner) attempt(ctx context.Context, mon *monitor, w *watch, batch []Migration, att *Attempt, guard string) {
	att.Start = r.now()
	defer func() { att.Duration = r.now().Sub(att.Start) }()
	args, err := r.argv(att.Target)
	if err != nil {
		att.Err = err
		return
	}
	what := "all pending migrations"
	if att.Target != nil {
		what = att.Target.String()
	}
	r.logf("migrating %s: %s (setting lock_timeout=%s statement_timeout=%s in each session; verified below)", what, strings.Join(args, " "), att.LockTimeout, r.StatementTimeout)

	cmd, err := r.command(args)
	if err != nil {
		att.Err = err
		att.ExitCode = -1
		return
	}
	env := r.attemptEnv(att.LockTimeout, mon.version)
	// PYTHONUNBUFFERED is left as the environment has it: Django flushes its progress lines
	// itself, and unbuffered stderr would cut tracebacks into fragments.
	nonce := newNonce()
	g, err := r.openGate(ctx, nonce, att.LockTimeout, false)
	if err != nil {
		att.Err = err
		att.ExitCode = -1
		return
	}
	defer g.close()
	cmd.Env = r.sessionEnv(env, guard, nonce, att.LockTimeout, g.identity)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		att.Err = err
		return
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		att.Err = err
		return
	}
	// Own process group, parent-death signal (supervise.go).
	exited := make(chan struct{})
	if err := startSupervised(cmd, exited); err != nil {
		att.Err = fmt.Errorf("start %s: %w", args[0], err)
		att.ExitCode = -1
		return
	}

	out := &outputTail{max: 400}
	wg := r.streamAll(out, g.line, stdout, stderr)

	// The gate: the first verified session lets the command read django_migrations; an
	// unverified one stops it there (session.go).
	gateDone, gateStopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(gateStopped)
		g.watch(gateDone, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	}()

	// The watchdog runs while the command does.
	stopWatch := make(chan struct{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		w.run(stopWatch, mon)
	}()

	// Interruption: SIGTERM to the process group, then SIGKILL after KillGrace.
	interrupted := make(chan struct{})
	go func() {
		select {
		case <-exited:
			return
		case <-ctx.Done():
		}
		close(interrupted)
		pgid := cmd.Process.Pid
		r.logf("interrupted: SIGTERM to the migrate command (process group %d)", pgid)
		syscall.Kill(-pgid, syscall.SIGTERM)
		grace := r.KillGrace
		if grace <= 0 {
			grace = DefaultKillGrace
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-exited:
		case <-t.C:
			r.logf("the migrate command did not stop within %s: SIGKILL", grace)
			syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}()

	wg.Wait()
	werr := cmd.Wait()
	close(exited)
	close(gateDone)
	<-gateStopped
	att.Session = g.first
	close(stopWatch)
	<-watchDone

	select {
	case <-interrupted:
		att.Interrupted = true
	default:
	}
	att.ExitCode = cmd.ProcessState.ExitCode()
	if werr != nil {
		r.reapSessions(mon)
	}
	switch gerr := g.err(); {
	case gerr != nil:
		att.Err = gerr
	case att.Interrupted:
		att.Err = fmt.Errorf("stopped (%s): %w", cmd.ProcessState, ctx.Err())
	case werr != nil:
		att.LockTimedOut = IsLockTimeout(out.lines())
		att.Err = fmt.Errorf("%s: %s", strings.Join(args, " "), describeExit(werr, out.lines()))
		if gerr := g.failedAtGate(att.LockTimedOut); gerr != nil {
			att.LockTimedOut, att.Err = false, gerr
		} else if IsStatementTimeout(out.lines()) {
			att.Err = statementTimeoutError(att.Err, r.StatementTimeout)
		}
	}
}

// command is the exec.Cmd of args, run in the project directory. A bare name is looked up on the
// command's PATH (Env's), not this process's; a relative path is relative to the project directory
// (exec evaluates it relative to Dir).
func (r *Runner) command(args []string) (*exec.Cmd, error) {
	dir := r.ProjectDir
	if dir == "" {
		dir = "."
	}
	cmd := exec.Command(args[0], args[1:]...)
	if !strings.ContainsRune(args[0], '/') {
		p := childenv.LookPath(args[0], childenv.Value(r.Env, "PATH"))
		if p == "" {
			return nil, fmt.Errorf("start %s: not found on PATH", args[0])
		}
		cmd.Path, cmd.Err = p, nil
	}
	cmd.Dir = dir
	return cmd, nil
}

// attemptEnv is Env with an attempt's PGOPTIONS and PGAPPNAME (the session guard's variables are
// added by sessionEnv).
func (r *Runner) attemptEnv(lockTimeout time.Duration, serverVersion int) []string {
	env := childenv.Set(r.Env, "PGOPTIONS", r.pgOptions(lockTimeout, serverVersion))
	return childenv.Set(env, "PGAPPNAME", ApplicationName)
}

// stream copies the command's output to Log line by line, indented. A partial line is shown as
// soon as it is written (Django prints "Applying app.0002_x..." and only later " OK"), so that a
// migration that hangs is visible; its continuation shows on the next line. tail gets whole
// lines, for IsLockTimeout. A session guard's report (session.go) goes to session instead, when
// it takes it.
func (r *Runner) stream(p io.Reader, tail *outputTail, session func(string) bool) {
	buf := make([]byte, 32<<10)
	var whole []byte // the current line, for tail
	shown := 0       // how much of whole is already shown
	for {
		n, err := p.Read(buf)
		data := buf[:n]
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				whole = append(whole, data...)
				break
			}
			whole = append(whole, data[:i]...)
			data = data[i+1:]
			if before, rep := splitSession(whole); rep != "" && session != nil && session(strings.TrimRight(rep, "\r")) {
				if len(before) <= shown {
					whole, shown = whole[:0], 0
					continue
				}
				whole = before
			}
			if rest := whole[shown:]; shown == 0 || len(rest) > 0 {
				r.logRaw("       " + r.redact(strings.TrimRight(string(rest), "\r")))
			}
			tail.add(r.redact(string(whole)))
			whole, shown = whole[:0], 0
		}
		// A partial line is shown up to a session report, which is taken whole.
		if show, _ := splitSession(whole); len(show) > shown {
			r.logRaw("       " + r.redact(string(show[shown:])))
			shown = len(show)
		}
		if len(whole) > 1<<20 { // a runaway line: keep memory bounded
			tail.add(r.redact(string(whole)))
			whole, shown = whole[:0], 0
		}
		if err != nil {
			if len(whole) > 0 {
				tail.add(r.redact(string(whole)))
			}
			return
		}
	}
}

// reapSessions terminates the migration's sessions left after a failed or interrupted attempt and
// waits, at most KillGrace, until they are gone, so that no lock outlives the attempt.
func (r *Runner) reapSessions(mon *monitor) {
	grace := r.KillGrace
	if grace <= 0 {
		grace = DefaultKillGrace
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	pids, err := mon.terminateMigrationSessions(ctx)
	if err != nil {
		r.logf("%v", err)
		return
	}
	if len(pids) == 0 {
		return
	}
	r.logf("terminated the migration's database sessions left behind: pid=%v", pids)
	tick := time.NewTicker(r.poll())
	defer tick.Stop()
	for {
		n, err := mon.migrationSessions(ctx)
		if err != nil || n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			r.logf("%d migration session(s) still alive after %s", n, grace)
			return
		case <-tick.C:
		}
	}
}

func describeExit(err error, lines []string) string {
	var ee *exec.ExitError
	msg := err.Error()
	if errors.As(err, &ee) {
		msg = ee.ProcessState.String()
	}
	if last := lastException(lines); last != "" {
		msg += ": " + last
	}
	return msg
}

func (r *Runner) redact(s string) string {
	return r.Redactor.Redact(s)
}

func (r *Runner) logRaw(line string) {
	if r.Log == nil {
		return
	}
	r.logMu.Lock()
	defer r.logMu.Unlock()
	fmt.Fprintln(r.Log, line)
}

func (r *Runner) logf(format string, args ...any) {
	r.logRaw("       " + r.redact(fmt.Sprintf(format, args...)))
}

// streamAll reads each of readers with stream on its own goroutine; Wait on the result returns
// once all of them reached their end.
func (r *Runner) streamAll(out *outputTail, line func(string) bool, readers ...io.Reader) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, p := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.stream(p, out, line)
		}()
	}
	return &wg
}

// outputTail keeps the last lines of the command's output.
type outputTail struct {
	mu  sync.Mutex
	max int
	buf []string
}

func (t *outputTail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, line)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
}

func (t *outputTail) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.buf...)
}
