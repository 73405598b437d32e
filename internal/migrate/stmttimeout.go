package migrate

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// ErrStatementTimeout is wrapped by an attempt's error when the command failed on
// statement_timeout (ZDCD_STATEMENT_TIMEOUT): the message names the variable to raise.
var ErrStatementTimeout = errors.New("a statement ran past ZDCD_STATEMENT_TIMEOUT")

// statementTimeoutRe is the server's English message for SQLSTATE 57014 raised by
// statement_timeout (psycopg's QueryCanceled is also raised by a cancel request, whose message
// differs).
var statementTimeoutRe = regexp.MustCompile(`canceling statement due to statement timeout`)

// IsStatementTimeout reports whether the output of a failed migrate command shows that it failed
// on statement_timeout, reading only the exception lines of the final exception chain, as
// IsLockTimeout does.
func IsStatementTimeout(lines []string) bool {
	start := chainStart(lines)
	if start < 0 {
		return false
	}
	for _, l := range lines[start:] {
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			continue
		}
		if statementTimeoutRe.MatchString(l) {
			return true
		}
	}
	return false
}

// statementTimeoutError wraps an attempt's error with what to change.
func statementTimeoutError(err error, timeout time.Duration) error {
	return fmt.Errorf("%w (%s): %w; if the migration needs longer, raise ZDCD_STATEMENT_TIMEOUT (0 for none)", ErrStatementTimeout, timeout, err)
}
