package migrate

import (
	"errors"
	"strings"
)

// SplitCommand splits ZDCD_MIGRATE_COMMAND into argv the way a POSIX shell splits plain words:
// blanks separate words; single quotes keep everything literally; double quotes keep everything
// but a backslash before ", \, $ or `; a backslash outside quotes keeps the next character.
//
// zdcd runs the command itself rather than through `sh -c`, so that it can append
// `<app> <migration>` when applying one migration at a time, and so that the process group it
// signals is the command itself. Anything that would need a shell (pipes, ;, &&, redirections,
// $VAR expansion, backquotes, globs) is refused with an error saying to wrap the command in
// `sh -c '...'` explicitly.
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
				return nil, errors.New("it uses shell expansion ($ or `) inside double quotes; wrap the command in sh -c '...'")
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
			return nil, errors.New("it uses shell syntax (" + string(r) + "); zdcd runs the command without a shell: wrap it in sh -c '...'")
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
