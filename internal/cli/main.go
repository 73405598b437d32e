// Package cli is zdcd-release's command line: one file per subcommand, each parsing its flags
// into an Options struct and calling run(opts). Errors come back to Main, the one place that
// maps them to the exit codes of DESIGN.md. The judgement of a plan lives in internal/judge; the
// tests run the commands in-process (Main with an IO of buffers and an injected environment).
package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/journal"
)

// IO is where a command reads and writes; the report goes to Out, logs and errors to Err.
type IO struct {
	Out io.Writer
	Err io.Writer
	// OutIsTTY is true when Out is a terminal (colour allowed unless NO_COLOR is set).
	OutIsTTY bool
	// Environ is the environment handed to child processes (the Django helper).
	Environ []string
	// Getwd returns the working directory.
	Getwd func() (string, error)
	// Start is when the process started: the release's time budget (ZDCD_RELEASE_DEADLINE) counts
	// from it. Zero: when the command starts.
	Start time.Time
}

// System returns the process's real IO. Its environment is read by config.ProcessEnviron
// (envconfig for zdcd's own variables).
func System() IO {
	environ, err := config.ProcessEnviron()
	if err != nil {
		// envconfig fails only on a field it cannot parse; every field it reads is a *string.
		environ = os.Environ()
	}
	return IO{
		Out:      os.Stdout,
		Err:      os.Stderr,
		OutIsTTY: isTerminal(os.Stdout) && os.Getenv("NO_COLOR") == "",
		Environ:  environ,
		Getwd:    os.Getwd,
		Start:    time.Now(),
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, io IO) error
}

func commands() []command {
	return []command{
		{"release", "the release phase: refuse unsafe migrations, back up, migrate under lock timeouts, recover on failure", runRelease},
		{"nightly", "the Heroku Scheduler job: in the nightly window, release a refused release again with its unsafe migrations approved", runNightly},
		{"approve", "record a reviewed approval of an unsafe migration's exact plan, with a reason and an expiry; --list shows them", runApprove},
		{"rollback", "roll the app back to an earlier release, restoring the database behind maintenance mode when its code cannot run on the current schema; a dry run unless --confirm APP", runRollback},
		{"check", "print the pending migrations, the SQL they run and a verdict; exit 1 if any is unsafe", runCheck},
		{"hooks", "install (or uninstall) a git commit-msg hook that blocks commits of unsafe migrations, checked against your local database", runHooks},
		{"lint", "judge SQL files, or the Django project's migrations, without a database (for CI)", runLint},
		{"history", "list the runs the ledger recorded (release, nightly), newest first; a run id shows it in full", runHistory},
		{"explain", "print a rule's page (the problem, the safe steps, the Django recipe); no rule: list them", runExplain},
		{"config", "print the effective configuration, secrets redacted", runConfig},
		{"version", "print the version", runVersion},
	}
}

// Main runs zdcd-release with args (args[0] is the program name) and returns the exit code.
func Main(args []string, io IO) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) < 2 {
		usage(io.Err)
		return journal.ExitUsage
	}
	// Every byte zdcd writes — reports, logs, a child's output passed through, the final error
	// line — goes through one redactor built from the environment's secrets (SECURITY.md).
	red := config.RedactorFromEnv(io.Environ)
	out, errw := config.NewRedactWriter(io.Out, red), config.NewRedactWriter(io.Err, red)
	defer errw.Flush()
	defer out.Flush()
	io.Out, io.Err = out, errw
	name, rest := args[1], args[2:]
	switch name {
	case "help", "-h", "--help":
		usage(io.Out)
		return journal.ExitOK
	case "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name {
			return exit(io.Err, red, c.run(ctx, rest, io))
		}
	}
	fmt.Fprintf(io.Err, "zdcd-release: unknown command %q: run `zdcd-release help` for the list\n", name)
	return journal.ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: zdcd-release <command> [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nConfiguration comes from the environment: run `zdcd-release config` to see it.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 refused (unsafe), 2 usage or configuration error, 3 migration failed, 4 recovery failed.")
}

// usageError is a bad flag or argument.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// errRefused means unsafe migrations are pending and not approved. The report already said why.
var errRefused = errors.New("refused: unsafe migrations pending")

// exit prints err as one line, secrets redacted before it is shortened (a cut secret would no
// longer be recognised), and returns its exit code.
func exit(w io.Writer, red *config.Redactor, err error) int {
	if err == nil {
		return journal.ExitOK
	}
	code := exitCode(err)
	var several config.Errors
	switch {
	case errors.Is(err, errRefused), errors.Is(err, flag.ErrHelp):
		// The report, or the flag set's usage, already said it all.
	case errors.As(err, &several):
		// One line per bad variable, so a failed release shows every fix to make.
		for _, e := range several {
			fmt.Fprintln(w, "zdcd-release: "+oneLine(red.Redact(e.Error())))
		}
	default:
		fmt.Fprintln(w, "zdcd-release: "+oneLine(red.Redact(err.Error())))
	}
	return code
}

// maxQuoted is how much of a quoted value an error line keeps: a huge argument or variable is
// named, not echoed.
const maxQuoted = 60

// shortenQuoted cuts every double-quoted string of s (Go's %q form) longer than maxQuoted bytes
// to its start and "…".
func shortenQuoted(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '"' {
			b.WriteByte(s[i])
			i++
			continue
		}
		end := i + 1
		for end < len(s) && s[end] != '"' {
			if s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(s) { // unterminated: keep as is
			b.WriteString(s[i:])
			break
		}
		q := s[i : end+1]
		if len(q) > maxQuoted+2 {
			cut := maxQuoted
			for cut > 1 && (q[cut-1] == '\\' || !utf8.RuneStart(q[cut])) { // never cut an escape or a character in half
				cut--
			}
			q = q[:cut] + "…\""
		}
		b.WriteString(q)
		i = end + 1
	}
	return b.String()
}

// exitCode is the one place errors become exit codes. Everything check and config can fail on is
// a usage or configuration problem that changed nothing: 2. The release flow brings its own
// typed errors for 3 and 4.
func exitCode(err error) int {
	var exit *journal.Error
	switch {
	case errors.As(err, &exit):
		return exit.Code
	case errors.Is(err, flag.ErrHelp):
		return journal.ExitOK
	case errors.Is(err, errRefused):
		return journal.ExitRefused
	default:
		return journal.ExitUsage
	}
}

func oneLine(s string) string {
	s = shortenQuoted(strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD"))
	words := strings.Fields(strings.ReplaceAll(s, "\n", " "))
	for i, w := range words {
		// An unquoted huge value (a path built from an argument) is cut like a quoted one.
		if len(w) > 4*maxQuoted {
			cut := 2 * maxQuoted
			for cut > 1 && !utf8.RuneStart(w[cut]) {
				cut--
			}
			words[i] = w[:cut] + "…"
		}
	}
	return strings.Join(words, " ")
}

// newFlags returns a flag set that reports errors instead of exiting. What the flag package
// writes (its own error line, the usage) is held back: shown for --help, dropped on a bad flag,
// whose error Main prints as one line.
func newFlags(name string, io IO) *flag.FlagSet {
	fs := flag.NewFlagSet("zdcd-release "+name, flag.ContinueOnError)
	fs.SetOutput(&heldOutput{w: io.Err})
	return fs
}

// heldOutput keeps what a flag set writes until parse decides whether to show it.
type heldOutput struct {
	w   io.Writer
	buf bytes.Buffer
}

func (h *heldOutput) Write(p []byte) (int, error) { return h.buf.Write(p) }

// parse parses args once: the usage is shown for -h/--help only; any other error becomes a
// usageError.
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if h, ok := fs.Output().(*heldOutput); ok {
		if errors.Is(err, flag.ErrHelp) {
			_, _ = h.w.Write(h.buf.Bytes())
		}
		h.buf.Reset()
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return err
	default:
		return &usageError{msg: err.Error()}
	}
}

// parseInterspersed parses args where flags may come before, between or after the positional
// arguments (`history 12 --format json`), and returns the positional ones. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		rest := fs.Args()
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseFlags parses args, rejecting positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}
