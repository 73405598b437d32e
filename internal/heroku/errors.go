package heroku

import (
	"errors"
	"fmt"
	"net/http"

	hk "github.com/heroku/heroku-go/v5"
)

// APIError is an error answer from Heroku: its HTTP status and the id and message of its JSON body
// (HEROKU.md 2.3), such as 404 "not_found" "Couldn't find that app.". It wraps heroku-go's
// heroku.Error. Its text never contains the API key.
type APIError struct {
	Status  int
	ID      string
	Message string

	cause hk.Error
}

func newAPIError(herr hk.Error, redact func(string) string) *APIError {
	return &APIError{Status: herr.StatusCode, ID: redact(herr.ID), Message: redact(message(herr)), cause: herr}
}

// message is heroku.Error's text; a zero heroku.Error has no embedded error to ask.
func message(herr hk.Error) (msg string) {
	defer func() {
		if recover() != nil {
			msg = ""
		}
	}()
	return herr.Error()
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("heroku: %d %s", e.Status, http.StatusText(e.Status))
	if e.ID != "" {
		s += " (" + e.ID + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns heroku-go's error.
func (e *APIError) Unwrap() error { return e.cause }

// ErrOutcomeUnknown is wrapped by the error of a non-idempotent operation (release create,
// rollback, backup capture, restore) that failed ambiguously — a 5xx or a broken connection after
// the request was sent — when the client could not then find out whether Heroku acted. The
// operation must not be retried blindly: look at the releases or transfers first.
var ErrOutcomeUnknown = errors.New("outcome unknown (Heroku may have acted: check its releases or backups before retrying)")

// ErrNotStarted is in the chain of the error of a transfer-creating POST (backup capture,
// restore) when Heroku certainly did not start the transfer: it refused the request (a 4xx), or
// it failed ambiguously and the transfers list holds no new one. A restore that was not started
// did not touch the database.
//
//lint:ignore ST1005 "Heroku" is a proper name
var ErrNotStarted = errors.New("Heroku did not start the transfer")

// notStarted marks err as ErrNotStarted without changing its text.
type notStarted struct{ error }

func (e notStarted) Unwrap() error        { return e.error }
func (e notStarted) Is(target error) bool { return target == ErrNotStarted }

// StatusOf returns the HTTP status of the *APIError in err's chain, or 0.
func StatusOf(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsNotFound reports whether err is Heroku's 404.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }
