package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// Redacted is what every printed form of a secret shows instead of its value.
const Redacted = "********"

// Secret holds a credential (an API key, a database password). Every way of printing or encoding
// it — String, fmt's %v %+v %#v %s %q %x, JSON, text marshalling, slog — shows Redacted (or ""
// when empty), so a Config can be logged, dumped or marshalled without leaking it. Reveal returns
// the value for the one place that must send it.
//
// A Secret must sit in an exported field: fmt prints unexported fields by reflection, without
// calling their methods.
type Secret struct {
	value string
}

// NewSecret wraps a value.
func NewSecret(value string) Secret { return Secret{value: value} }

// Reveal returns the secret's value. Call it only to hand the value to the thing that needs it
// (an Authorization header, a connection string); never to print it.
func (s Secret) Reveal() string { return s.value }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s.value != "" }

// String returns Redacted, or "" when the secret is empty.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return Redacted
}

// GoString implements fmt.GoStringer (%#v), redacted.
func (s Secret) GoString() string { return "config.Secret(" + strconv.Quote(s.String()) + ")" }

// Format implements fmt.Formatter so that no verb, flag or width prints the value.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, s.GoString())
	case verb == 'q':
		io.WriteString(f, strconv.Quote(s.String()))
	default:
		io.WriteString(f, s.String())
	}
}

// MarshalJSON encodes the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText encodes the redacted form (used by encoders that prefer text, and for map keys).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue implements slog.LogValuer, redacted.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
