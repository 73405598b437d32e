package config

import (
	"encoding/json"
	"io"
	"strconv"
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
	var out []Setting
	group := ""
	add := func(name, value string, hasDefault bool, note string) {
		s := Setting{Name: name, Value: value, Note: note, Group: group}
		switch {
		case c.set[name]:
			s.Source = FromEnv
			s.Note = ""
		case hasDefault:
			s.Source = FromDefault
		default:
			s.Source = Unset
		}
		out = append(out, s)
	}

	group = "Database"
	add("ZDCD_DATABASE_VAR", c.DatabaseVar, true, "")
	db := ""
	if c.Database != nil {
		db = c.Database.String()
	}
	add(c.DatabaseVar, db, false, "")
	add("ZDCD_DATABASE_ALIAS", c.DatabaseAlias, true, "")
	add("ZDCD_DATABASE_ADDON", c.DatabaseAddon, true, "the Heroku Postgres add-on attached as "+c.DatabaseVar)

	group = "Heroku"
	add("HEROKU_APP_NAME", c.AppName, false, "")
	add("HEROKU_API_KEY", c.APIKey.String(), false, "")
	add("ZDCD_PLATFORM_API_URL", c.PlatformAPIURL, true, "")
	add("ZDCD_DATA_API_URL", c.DataAPIURL, true, "")
	add("ZDCD_API_TIMEOUT", formatDuration(c.APITimeout), true, "")
	add("ZDCD_API_POLL_INTERVAL", formatDuration(c.APIPollInterval), true, "")

	group = "Approvals"
	add("NIGHTLY_BUILD", strconv.FormatBool(c.NightlyBuild), true, "")
	allow := make([]string, len(c.Allow))
	for i, a := range c.Allow {
		allow[i] = a.String()
	}
	add("ZDCD_ALLOW", strings.Join(allow, ","), true, "none")
	add("ZDCD_ENABLE_RULES", strings.Join(c.EnableRules, ","), true, "none (opt-in rules off)")

	group = "Django"
	add("ZDCD_PROJECT_DIR", c.ProjectDir, true, "")
	add("ZDCD_PYTHON", c.Python, true, "python, then python3, on PATH")
	add("DJANGO_SETTINGS_MODULE", c.DjangoSettings, true, "the one manage.py sets")
	add("ZDCD_MIGRATE_COMMAND", c.MigrateCommand, true, "")

	group = "Locks and timeouts"
	add("ZDCD_LOCK_TIMEOUT", formatDuration(c.LockTimeout), true, "")
	add("ZDCD_STATEMENT_TIMEOUT", formatDuration(c.StatementTimeout), true, "")
	add("ZDCD_LOCK_RETRIES", strconv.Itoa(c.LockRetries), true, "")
	add("ZDCD_LOCK_RETRY_DELAY", formatDuration(c.LockRetryDelay), true, "")
	add("ZDCD_LOCK_RETRY_MAX_DELAY", formatDuration(c.LockRetryMaxDelay), true, "")
	add("ZDCD_LOCK_WAIT", formatDuration(c.LockWait), true, "")
	add("ZDCD_RELEASE_LOCK_WAIT", formatDuration(c.ReleaseLockWait), true, "")
	add("ZDCD_RELEASE_DEADLINE", formatDuration(c.ReleaseDeadline), true, "")

	group = "Backup"
	add("ZDCD_BACKUP", string(c.Backup), true, "")
	add("ZDCD_BACKUP_DIR", c.BackupDir, true, "a temporary directory")
	add("ZDCD_MAINTENANCE", string(c.Maintenance), true, "")

	group = "Nightly"
	add("ZDCD_NIGHTLY_WINDOW", c.NightlyWindow.String(), true, "any time")
	add("ZDCD_NIGHTLY_RELEASE_TIMEOUT", formatDuration(c.NightlyReleaseTimeout), true, "")
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
