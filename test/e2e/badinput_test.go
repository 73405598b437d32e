package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/pgtest"
)

// badValues are what a flag or variable may be given by mistake: empty, huge, not UTF-8, of the
// wrong type, and with a newline (which must not split the one-line error).
var badValues = map[string]string{
	"empty":     "",
	"huge":      strings.Repeat("x", 1<<16),
	"non-utf8":  "\xff\xfe\xfd",
	"wrongtype": "maybe?",
	"newline":   "a\nb",
	"negative":  "-1",
}

// assertOneLineError checks a failed run: exit 2, and an error of one line per problem, each
// starting with "zdcd-release:", valid UTF-8, short, never a panic, never the huge value echoed.
func assertOneLineError(t *testing.T, what string, r result) {
	t.Helper()
	if r.code != 2 {
		t.Errorf("%s: exit %d, want 2 (or success):\n%.2000s", what, r.code, r.stderr)
		return
	}
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
		t.Errorf("%s: panicked:\n%.2000s", what, r.stderr)
	}
	if !utf8.ValidString(r.stderr) {
		t.Errorf("%s: stderr is not UTF-8: %q", what, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	for _, l := range lines {
		if !strings.HasPrefix(l, "zdcd-release") && !strings.HasPrefix(l, "Usage") && !strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "       ") && !strings.HasPrefix(l, "    \t") {
			t.Errorf("%s: a line of the error does not say who speaks: %q", what, l)
		}
		if len(l) > 1500 {
			t.Errorf("%s: a line of %d bytes (the value echoed?): %.200s…", what, len(l), l)
		}
	}
}

// flagRe reads flag.PrintDefaults' "  -name type" lines.
var flagRe = regexp.MustCompile(`(?m)^  -([a-z-]+)(?: ([a-z]+))?$`)

// Every flag of every command, given a bad value, ends in one clear error (exit 2) or is
// accepted; nothing panics. No database is configured, so nothing can change.
func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	seen := 0
	for _, cmd := range []string{"release", "nightly", "approve", "rollback", "hooks", "check", "lint", "explain", "history", "config", "version"} {
		help := run(t, dir, lintEnv(), cmd, "--help")
		flags := flagRe.FindAllStringSubmatch(help.stderr, -1)
		seen += len(flags)
		for _, f := range flags {
			name, typ := f[1], f[2]
			for label, v := range badValues {
				if typ == "" && label != "wrongtype" {
					continue // a bool flag takes no value: only --flag=maybe? is wrong
				}
				r := run(t, dir, lintEnv(), cmd, "--"+name+"="+v)
				if r.code == 0 || r.code == 1 {
					continue // accepted (a string flag), or a verdict
				}
				assertOneLineError(t, cmd+" --"+name+" "+label, r)
			}
		}
		// A positional argument of each bad kind.
		for label, v := range badValues {
			if r := run(t, dir, lintEnv(), cmd, v); r.code != 0 && r.code != 1 {
				assertOneLineError(t, cmd+" <"+label+">", r)
			}
		}
	}
	// The flags are read from --help: if that reading broke, the test would check nothing.
	if seen < 20 {
		t.Fatalf("read %d flags from the commands' --help, want at least 20", seen)
	}
}

// Every variable of the configuration, given a bad value, makes `config` and `release` stop with
// one line per problem naming the variable, exit 2, and the release changes nothing: no ledger
// schema appears in the database.
func TestBadVariables(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	dir := copySampleApp(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range config.Defaults().Settings() {
		if s.Name == "DATABASE_URL" {
			continue // its bad values are TestCheckBadInput's
		}
		for label, v := range badValues {
			env := append(baseEnv(dbURL), "ZDCD_BACKUP_DIR="+t.TempDir(), s.Name+"="+v)
			r := run(t, dir, env, "config")
			if r.code == 0 {
				continue // a value this variable accepts (a path, a name)
			}
			what := s.Name + " " + label
			assertOneLineError(t, what, r)
			if !strings.Contains(r.stderr, s.Name) {
				t.Errorf("%s: the error does not name the variable:\n%.500s", what, r.stderr)
			}
			rel := run(t, dir, env, "release")
			assertOneLineError(t, what+" (release)", rel)
			var ledger bool
			if err := conn.QueryRow(ctx, "SELECT to_regnamespace('zdcd_ledger') IS NOT NULL").Scan(&ledger); err != nil || ledger {
				t.Fatalf("%s: release with a bad variable created the ledger (%v)", what, err)
			}
			assertNoSecret(t, rel, password(t, dbURL))
		}
	}
}
