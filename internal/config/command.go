package config

import (
	"errors"
	"path"
	"regexp"
	"strings"
)

// The rules for ZDCD_MIGRATE_COMMAND (docs/configuration.md), checked by Load for every command:
//
//   - zdcd runs the command without a shell, split into words by SplitCommand. When it applies
//     migrations one at a time (a CONCURRENTLY migration among others) it appends `<app>
//     <migration>`, and each attempt must apply that migration only.
//   - Anything that needs a shell (&&, ;, |, redirections, $VAR) is refused: it must be written as
//     an explicit shell script that passes the appended words on, `sh -c '… "$@"' sh`.
//   - A shell `-c` script that does not use "$@" (or $*) would drop the appended words, and a
//     script with no word after it would take the app for $0: the one attempt meant for one
//     migration would apply the whole plan, with the lock_timeout meant for that one migration
//     (0 for a CONCURRENTLY build). Both are refused here, before anything runs.
//   - What cannot be read statically (a script file, a wrapper binary) is checked as it runs: the
//     runner compares django_migrations before and after every one-at-a-time attempt and stops when
//     it applied more than its target (internal/migrate).

// shellWrapHint is the valid way to write a command that needs a shell, for error messages.
const shellWrapHint = `sh -c '<your commands> && exec python manage.py migrate --noinput "$@"' sh`

// SplitCommand splits ZDCD_MIGRATE_COMMAND into argv the way a POSIX shell splits plain words:
// blanks separate words; single quotes keep everything literally; double quotes keep everything
// but a backslash before ", \, $ or `; a backslash outside quotes keeps the next character.
// Anything that would need a shell (pipes, ;, &&, redirections, $VAR expansion, backquotes, globs)
// is an error saying how to wrap the command in an explicit shell script. The error never quotes
// the command (it may hold a secret).
func SplitCommand(s string) ([]string, error) {
	var (
		args    []string
		cur     strings.Builder
		inWord  bool
		quote   rune // 0, '\'' or '"'
		escaped bool // after a backslash outside quotes
		dqEsc   bool // after a backslash inside double quotes
	)
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case dqEsc:
			if !strings.ContainsRune("\"\\$`", r) {
				cur.WriteRune('\\')
			}
			cur.WriteRune(r)
			dqEsc = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				dqEsc = true
			case '$', '`':
				return nil, errors.New("it uses shell expansion ($ or `) inside double quotes, and zdcd runs the command without a shell; write it as a shell script that passes on the app and migration zdcd appends: " + shellWrapHint)
			default:
				cur.WriteRune(r)
			}
		case r == '\\':
			escaped, inWord = true, true
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune("|&;<>()$`*?[#~", r):
			return nil, errors.New("it uses shell syntax (" + string(r) + "), and zdcd runs the command without a shell; write it as a shell script that passes on the app and migration zdcd appends: " + shellWrapHint)
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if escaped || dqEsc || quote != 0 {
		return nil, errors.New("it ends inside a quote or after a backslash")
	}
	if inWord {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, errors.New("it is empty")
	}
	return args, nil
}

// shells are the interpreters whose -c script CheckCommand reads.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true, "ksh": true, "mksh": true, "zsh": true, "busybox": true}

// argsRe matches a shell script's use of its positional parameters as a whole: $@, ${@}, $*, ${*}.
var argsRe = regexp.MustCompile(`\$\{?[@*]`)

// CheckCommand reports why argv (ZDCD_MIGRATE_COMMAND, split) cannot honour the `<app>
// <migration>` zdcd appends to it, or "" when nothing says so statically. It reads through a
// leading `env [-i] [NAME=value…]` and recognises a shell (sh, bash, dash, …) running a -c script:
// the script must use "$@" (or $*), and a word for $0 must follow it.
func CheckCommand(argv []string) string {
	i := 0
	if i < len(argv) && path.Base(argv[i]) == "env" {
		i++
		for i < len(argv) && (strings.HasPrefix(argv[i], "-") || strings.Contains(argv[i], "=")) {
			i++
		}
	}
	if i >= len(argv) || !shells[path.Base(argv[i])] {
		return ""
	}
	if path.Base(argv[i]) == "busybox" {
		i++
		if i >= len(argv) || !shells[argv[i]] {
			return ""
		}
	}
	i++
	script := false
	for ; i < len(argv); i++ {
		a := argv[i]
		if a == "--" || a == "-" {
			i++
			break
		}
		if strings.HasPrefix(a, "--") {
			continue // bash's long options (--norc, --login): no argument
		}
		if len(a) < 2 || (a[0] != '-' && a[0] != '+') {
			break
		}
		if strings.ContainsRune(a[1:], 'c') && a[0] == '-' {
			script = true
		}
		if strings.ContainsRune(a[1:], 'o') || strings.ContainsRune(a[1:], 'O') {
			i++ // -o option takes the option's name
		}
	}
	if !script {
		return "" // a script file: checked as it runs
	}
	if i >= len(argv) {
		return "is invalid: its shell's -c option has no script after it; expected " + shellWrapHint
	}
	if !argsRe.MatchString(argv[i]) {
		return `is invalid: its sh -c script ignores the arguments zdcd appends (<app> <migration>, to apply one migration at a time), so one attempt would apply every pending migration under the lock_timeout meant for one; pass them on with "$@" and name $0 after the script: ` + shellWrapHint
	}
	if i+1 >= len(argv) {
		return `is invalid: no word follows its sh -c script, so the app zdcd appends would become $0 and "$@" would lose it; add one (such as sh) after the script: ` + shellWrapHint
	}
	return ""
}

// checkMigrateCommand validates ZDCD_MIGRATE_COMMAND (a problem for *Error, or "").
func checkMigrateCommand(v string) string {
	argv, err := SplitCommand(v)
	if err != nil {
		return "is invalid: " + err.Error()
	}
	if problem := checkCommandSettings(argv); problem != "" {
		return problem
	}
	return CheckCommand(argv)
}
