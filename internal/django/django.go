// Package django asks a Django project which migrations are pending and what SQL they run.
//
// Source.Plan starts the project's own Python once, with the helper script embedded in this
// package (helper.py) on its stdin, and decodes the plan it prints (internal/plan). The helper
// imports the project's settings, reads django_migrations through Django's own connection (with
// read-only transactions), and renders every pending operation's SQL with a collect_sql schema
// editor, exactly as `manage.py migrate` would advance the state.
//
// Protocol: `<python> -B -c <bootstrap> --project-dir DIR --alias ALIAS [--offline --pg-version N]
// [--command-settings MODULE] [--settings-only]`, helper.py on stdin, run in the project
// directory. Exit codes:
//
//	0   the plan, as JSON, on stdout (with --settings-only: the settings module, see Settings)
//	10  a problem of the project: {"error": {"kind", "message", "file", "line", "subject"}} on stdout
//	11  this interpreter cannot import django (the Go side tries the next candidate)
//	12  this interpreter is older than Python 3.8 (likewise)
//	13  a bug in the helper: a traceback on stderr
//
// Anything written to stdout by the project (prints in settings or apps) goes to stderr: the
// helper keeps a duplicate of the real stdout for the result.
package django

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zdcd/zdcd/internal/childenv"
	"github.com/zdcd/zdcd/internal/plan"
)

//go:embed helper.py
var helperSource []byte

// Exit codes of the helper (see the package comment).
const (
	exitUserError = 10
	exitNoDjango  = 11
	exitOldPython = 12
	exitInternal  = 13
	// exitNotFound is a shell's (or a pyenv shim's) "command not found".
	exitNotFound = 127
)

// bootstrap is the program given to `python -c`. It must parse on any Python, even Python 2, so
// that an unsuitable interpreter is recognised and skipped rather than crashing. It reads the
// helper from stdin and runs it as __main__.
const bootstrap = `import sys
if sys.version_info < (3, 8):
    sys.stdout.write("Python %d.%d is older than 3.8\n" % tuple(sys.version_info[:2]))
    sys.exit(12)
try:
    import django
except ImportError as e:
    sys.stdout.write("cannot import django (%s)\n" % e)
    sys.exit(11)
import linecache
_zdcd_src = sys.stdin.read()
linecache.cache["<zdcd-helper>"] = (len(_zdcd_src), None, _zdcd_src.splitlines(True), "<zdcd-helper>")
exec(compile(_zdcd_src, "<zdcd-helper>", "exec"))
`

// readOnlyOption makes every transaction of the helper's database sessions read-only. The helper
// never writes; this is a safety belt against project code that would.
const readOnlyOption = "-c default_transaction_read_only=on"

// Source is a Django project whose pending migrations make the plan.
type Source struct {
	// ProjectDir contains manage.py.
	ProjectDir string
	// Python is the interpreter (ZDCD_PYTHON): a path, relative to ProjectDir when relative, or a
	// command name looked up on the PATH of Env. Empty: "python", then "python3" on PATH; the
	// first that can import django wins. When set, it is the only candidate.
	Python string
	// Settings overrides the environment's DJANGO_SETTINGS_MODULE; empty: Env's. Like a Heroku
	// config var, it wins over manage.py's os.environ.setdefault but not over an assignment
	// (os.environ[...] = ...), which makes the helper refuse with KindAmbiguousSettings when it
	// names another module.
	Settings string
	// CommandSettings is the --settings of the migrate command (config.CommandSettings of
	// ZDCD_MIGRATE_COMMAND): Django applies it after manage.py ran, over the environment and
	// every write of manage.py, so it wins over both.
	CommandSettings string
	// Alias is the Django database alias; empty: "default".
	Alias string
	// Offline plans without a database (lint): every migration is pending, as on a fresh
	// database, and an operation whose SQL needs the live schema gets a sql_error. PGVersion is
	// the server version Django's feature flags see (0: 150000).
	Offline   bool
	PGVersion int
	// Env is the environment of the Python process (the caller passes os.Environ() plus what it
	// wants). The package never reads its own process's environment.
	Env []string
	// Stderr receives the helper's stderr (project prints, warnings). May be nil.
	Stderr io.Writer

	// strict makes decoding reject fields the plan model does not know (tests).
	strict bool
}

// candidate is one interpreter to try.
type candidate struct {
	label string // how the error message names it: "ZDCD_PYTHON=/x", "python"
	path  string // resolved executable, "" when not found
	why   string // why it is unusable, when known before running it
}

// Plan runs the helper and returns the pending migrations. Errors are *Error for problems of the
// project or its environment, or the context's error.
func (s *Source) Plan(ctx context.Context) (*plan.Plan, error) {
	scrub := newScrubber(s.Env)
	out, err := s.invoke(ctx, scrub, nil)
	if err != nil {
		return nil, err
	}
	return s.decode(out, scrub)
}

// Settings is the settings module migrate will use, as Source.ResolveSettings found it.
type Settings struct {
	// Module is the DJANGO_SETTINGS_MODULE.
	Module string `json:"settings_module"`
	// Source is where it comes from: "command" (the --settings of ZDCD_MIGRATE_COMMAND),
	// "environment", or "manage.py".
	Source string `json:"source"`
	// Writes are manage.py's writes of DJANGO_SETTINGS_MODULE (none read when Source is
	// "command").
	Writes []SettingsWrite `json:"writes"`
}

// SettingsWrite is one write of DJANGO_SETTINGS_MODULE in manage.py.
type SettingsWrite struct {
	// Kind is "setdefault", "assign" (os.environ[...] =, os.environ.update, os.putenv) or
	// "remove".
	Kind string `json:"kind"`
	Line int    `json:"line"`
	// Value is the string constant written; nil when it is computed at run time.
	Value *string `json:"value"`
	// Conditional: under an if, try, loop, match or conditional expression.
	Conditional bool `json:"conditional"`
}

// ResolveSettings finds the settings module migrate will use without importing the project: it
// reads manage.py (with Python's ast, in the project's interpreter) and the environment, as
// Plan does first. Errors are *Error: KindAmbiguousSettings when zdcd cannot tell statically,
// KindNoSettings, KindNoManagePy, KindNoPython. The release calls it before it touches
// anything (ledger, backup, maintenance), so that such a project changes nothing.
func (s *Source) ResolveSettings(ctx context.Context) (*Settings, error) {
	scrub := newScrubber(s.Env)
	out, err := s.invoke(ctx, scrub, []string{"--settings-only"})
	if err != nil {
		return nil, err
	}
	var st Settings
	if err := json.Unmarshal(out, &st); err != nil || st.Module == "" {
		return nil, scrub.scrubError(&Error{Kind: KindCrash, Message: fmt.Sprintf("cannot decode the helper's settings: %v", err)})
	}
	return &st, nil
}

// invoke runs the helper with the first interpreter that can import django, and returns its
// stdout on success.
func (s *Source) invoke(ctx context.Context, scrub *scrubber, extra []string) ([]byte, error) {
	dir := s.ProjectDir
	if dir == "" {
		dir = "."
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("project directory %s: %w", dir, err)
	}
	if st, err := os.Stat(filepath.Join(absDir, "manage.py")); err != nil || st.IsDir() {
		return nil, &Error{Kind: KindNoManagePy, Subject: absDir, Message: "manage.py not found"}
	}
	alias := s.Alias
	if alias == "" {
		alias = "default"
	}
	env := s.childEnv()

	var tried []string
	for _, c := range s.candidates(absDir, env) {
		if c.path == "" {
			tried = append(tried, fmt.Sprintf("%s (%s)", c.label, c.why))
			continue
		}
		res, err := s.run(ctx, c.path, absDir, alias, env, extra)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("plan pending Django migrations: %w", ctx.Err())
			}
			tried = append(tried, fmt.Sprintf("%s (%s: %s)", c.label, c.path, describeStartError(err)))
			continue
		}
		switch res.code {
		case 0:
			return res.stdout, nil
		case exitUserError:
			return nil, s.decodeError(res, scrub)
		case exitNoDjango, exitOldPython, exitNotFound:
			why := lastLine(res.stdout)
			if why == "" {
				why = lastLine(res.stderr)
			}
			if why == "" {
				why = fmt.Sprintf("exit status %d", res.code)
			}
			tried = append(tried, fmt.Sprintf("%s (%s: %s)", c.label, c.path, why))
			continue
		default:
			return nil, scrub.scrubError(crash(res))
		}
	}
	return nil, scrub.scrubError(&Error{Kind: KindNoPython, Message: strings.Join(tried, ", ")})
}

// candidates lists the interpreters to try, in order.
func (s *Source) candidates(dir string, env []string) []candidate {
	path := childenv.Value(env, "PATH")
	if s.Python != "" {
		c := candidate{label: "ZDCD_PYTHON=" + s.Python}
		switch {
		case filepath.IsAbs(s.Python):
			c.path = s.Python
		case strings.ContainsRune(s.Python, '/'):
			c.path = filepath.Join(dir, s.Python)
		default:
			c.path = childenv.LookPath(s.Python, path)
			if c.path == "" {
				c.why = "not found on PATH"
			}
		}
		return []candidate{c}
	}
	var cs []candidate
	for _, name := range []string{"python", "python3"} {
		c := candidate{label: name, path: childenv.LookPath(name, path)}
		if c.path == "" {
			c.why = "not found on PATH"
		}
		cs = append(cs, c)
	}
	return cs
}

// childEnv is Env with the settings override and the read-only safety belt.
func (s *Source) childEnv() []string {
	env := append([]string(nil), s.Env...)
	if s.Settings != "" {
		env = childenv.Set(env, "DJANGO_SETTINGS_MODULE", s.Settings)
	}
	return childenv.AppendPGOptions(env, readOnlyOption)
}

type result struct {
	code   int
	stdout []byte
	stderr []byte // the tail of stderr
}

// run starts the helper with one interpreter. err is non-nil only when it could not be started.
func (s *Source) run(ctx context.Context, python, dir, alias string, env, extra []string) (*result, error) {
	args := []string{"-B", "-c", bootstrap, "--project-dir", dir, "--alias", alias}
	if s.Offline {
		args = append(args, "--offline", "--pg-version", strconv.Itoa(s.PGVersion))
	}
	if s.CommandSettings != "" {
		args = append(args, "--command-settings", s.CommandSettings)
	}
	args = append(args, extra...)
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Dir = dir
	cmd.Env = env
	if cmd.Env == nil {
		cmd.Env = []string{} // never inherit this process's environment
	}
	cmd.Stdin = bytes.NewReader(helperSource)
	var stdout bytes.Buffer
	tail := &tailBuffer{max: 16 << 10}
	cmd.Stdout = &stdout
	if s.Stderr != nil {
		cmd.Stderr = io.MultiWriter(tail, s.Stderr)
	} else {
		cmd.Stderr = tail
	}
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &result{code: 0, stdout: stdout.Bytes(), stderr: tail.Bytes()}, nil
	case errors.As(err, &exitErr):
		code := exitErr.ExitCode()
		if code < 0 { // killed by a signal
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return &result{code: -1, stdout: stdout.Bytes(), stderr: append(tail.Bytes(), []byte("\n"+exitErr.String())...)}, nil
		}
		return &result{code: code, stdout: stdout.Bytes(), stderr: tail.Bytes()}, nil
	default:
		return nil, err
	}
}

func (s *Source) decode(out []byte, scrub *scrubber) (*plan.Plan, error) {
	dec := json.NewDecoder(bytes.NewReader(out))
	if s.strict {
		dec.DisallowUnknownFields()
	}
	var p plan.Plan
	if err := dec.Decode(&p); err != nil {
		return nil, scrub.scrubError(&Error{Kind: KindCrash, Message: fmt.Sprintf("cannot decode the helper's plan: %v", err)})
	}
	return &p, nil
}

func (s *Source) decodeError(res *result, scrub *scrubber) error {
	var out struct {
		Error *struct {
			Kind    string `json:"kind"`
			Message string `json:"message"`
			File    string `json:"file"`
			Line    int    `json:"line"`
			Subject string `json:"subject"`
		} `json:"error"`
	}
	if err := json.Unmarshal(res.stdout, &out); err != nil || out.Error == nil || out.Error.Kind == "" {
		return scrub.scrubError(crash(res))
	}
	e := out.Error
	return scrub.scrubError(&Error{Kind: e.Kind, Message: e.Message, File: e.File, Line: e.Line, Subject: e.Subject})
}

func crash(res *result) *Error {
	msg := lastLine(res.stderr)
	if msg == "" {
		msg = "no output"
	}
	if res.code > 0 {
		msg = fmt.Sprintf("exit status %d: %s", res.code, msg)
	}
	return &Error{Kind: KindCrash, Message: msg}
}

func describeStartError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "not executable"
	}
	return err.Error()
}

// lastLine is the last non-empty line of b, trimmed.
func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte { return t.buf }
