package config

import (
	"encoding/json"
	"io"
	"strings"
	"time"
)

// Source says where a setting's value comes from.
type Source string

const (
	// FromEnv is a value set in the environment.
	FromEnv Source = "env"
	// FromDefault is zdcd's default (the variable is unset or empty).
	FromDefault Source = "default"
	// Unset is a variable with no default that is not set.
	Unset Source = "unset"
)

// Setting is one variable as `zdcd-release config` shows it.
type Setting struct {
	Name string `json:"name"`
	// Value is the effective value as it would be written in the environment, with secrets
	// redacted; empty when unset, or when the default is "nothing" (see Note).
	Value  string `json:"value"`
	Source Source `json:"source"`
	// Note says what an empty default means ("python, then python3 on PATH").
	Note string `json:"note,omitempty"`
	// Group is the heading the setting is printed under.
	Group string `json:"group"`
}

// Settings lists every variable zdcd reads with its effective value, grouped, secrets redacted.
func (c *Config) Settings() []Setting {
	out := make([]Setting, 0, len(variables))
	for i := range variables {
		v := &variables[i]
		name := v.envName(c)
		s := Setting{Name: name, Value: v.show(c), Group: v.group}
		switch {
		case c.set[name]:
			s.Source = FromEnv
		case v.hasDefault():
			s.Source = FromDefault
			s.Note = strings.ReplaceAll(v.note, "{ZDCD_DATABASE_VAR}", c.DatabaseVar)
		default:
			s.Source = Unset
		}
		out = append(out, s)
	}
	return out
}

// Print writes every variable, one per line as NAME=value, grouped under "# Group" headings.
// Secrets are redacted. A default is marked: "ZDCD_LOCK_TIMEOUT=100ms (default)", or
// "ZDCD_PYTHON=(default: python, then python3, on PATH)" when the default is no value; a variable
// with no default that is not set reads "HEROKU_APP_NAME=(unset)".
func (c *Config) Print(w io.Writer) error {
	var b strings.Builder
	group := ""
	for _, s := range c.Settings() {
		if s.Group != group {
			if group != "" {
				b.WriteByte('\n')
			}
			group = s.Group
			b.WriteString("# " + group + "\n")
		}
		b.WriteString(s.Name + "=")
		switch {
		case s.Source == Unset:
			b.WriteString("(unset)")
		case s.Source == FromDefault && s.Value == "":
			b.WriteString("(default: " + s.Note + ")")
		case s.Source == FromDefault:
			b.WriteString(s.Value + " (default)")
		default:
			b.WriteString(s.Value)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// PrintJSON writes the same content as Print as a JSON array of Setting, indented, secrets
// redacted.
func (c *Config) PrintJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(c.Settings())
}

// formatDuration writes a duration the short way a person would set it: "30m" rather than
// time.Duration's "30m0s", "0" for none.
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
