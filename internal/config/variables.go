package config

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// variable is one environment variable zdcd reads, declared once: Load, Defaults, Settings
// (`zdcd-release config`), the Redactor and the check against docs/configuration.md all derive
// from the table below.
type variable struct {
	// name is the variable's name. For the database URL (namedBy set) it is the default name; the
	// real one is the value of the variable namedBy.
	name    string
	namedBy string
	// group is the heading Print shows it under.
	group string
	// def is the default as it would be written in the environment; "" when the default is no
	// value, which note then describes ("python, then python3, on PATH"). A variable with neither
	// has no default: Print shows it as (unset). In note, {ZDCD_DATABASE_VAR} stands for that
	// variable's value.
	def, note string
	// secret: the whole value is a secret (the Redactor learns it from the environment).
	secret bool
	// help says in one line what the variable is; docs/configuration.md says it in full.
	help string
	codec
	// check, when set, validates the variable against the ones before it, after it is loaded
	// (set or not); failed reports whether a variable already has an error.
	check func(c *Config, failed func(name string) bool) string
}

// codec reads a variable into a Config and shows it back.
type codec struct {
	// parse sets the variable's field of c from v (trimmed, non-empty, one line); it returns the
	// problem, completing the sentence that starts with the variable's name, or "".
	parse func(c *Config, v string) string
	// show is the effective value as it would be written in the environment, secrets redacted.
	show func(c *Config) string
}

// envName is the variable's name in c's environment.
func (v *variable) envName(c *Config) string {
	if v.namedBy != "" {
		return c.DatabaseVar
	}
	return v.name
}

// hasDefault reports whether the variable has a default (a value, or a described absence of one).
func (v *variable) hasDefault() bool { return v.def != "" || v.note != "" }

// Print's groups.
const (
	groupDatabase = "Database"
	groupHeroku   = "Heroku"
	groupApproval = "Approvals"
	groupDjango   = "Django"
	groupLocks    = "Locks and timeouts"
	groupBackup   = "Backup"
	groupNightly  = "Nightly"
)

// variables is every variable zdcd reads, in Print's order (which is also the order of Load's
// errors).
var variables = []variable{
	{name: "ZDCD_DATABASE_VAR", group: groupDatabase, def: DefaultDatabaseVar,
		help:  "the name of the variable holding the database URL",
		codec: text(func(c *Config) *string { return &c.DatabaseVar }, checkVarName)},
	{name: DefaultDatabaseVar, namedBy: "ZDCD_DATABASE_VAR", group: groupDatabase,
		help: "the database URL (its password is a secret)", codec: databaseURL()},
	{name: "ZDCD_DATABASE_ALIAS", group: groupDatabase, def: DefaultDatabaseAlias,
		help:  "the key of Django's DATABASES to plan for",
		codec: text(func(c *Config) *string { return &c.DatabaseAlias }, checkAlias)},
	{name: "ZDCD_DATABASE_ADDON", group: groupDatabase, note: "the Heroku Postgres add-on attached as {ZDCD_DATABASE_VAR}",
		help:  "the Heroku Postgres add-on (id or name) to back up and restore",
		codec: text(func(c *Config) *string { return &c.DatabaseAddon }, checkAddon)},

	{name: "HEROKU_APP_NAME", group: groupHeroku,
		help:  "the Heroku app",
		codec: text(func(c *Config) *string { return &c.AppName }, checkAppName)},
	{name: "HEROKU_API_KEY", group: groupHeroku, secret: true,
		help: "the Heroku API token", codec: apiKey()},
	{name: "ZDCD_PLATFORM_API_URL", group: groupHeroku, def: DefaultPlatformAPIURL,
		help:  "the Heroku Platform API's base URL",
		codec: apiURL(func(c *Config) *string { return &c.PlatformAPIURL }, DefaultPlatformAPIURL)},
	{name: "ZDCD_DATA_API_URL", group: groupHeroku, def: DefaultDataAPIURL,
		help:  "the Heroku Postgres backups API's base URL",
		codec: apiURL(func(c *Config) *string { return &c.DataAPIURL }, DefaultDataAPIURL)},
	{name: "ZDCD_API_TIMEOUT", group: groupHeroku, def: formatDuration(DefaultAPITimeout),
		help:  "the bound on the Heroku API calls of one step",
		codec: duration(func(c *Config) *time.Duration { return &c.APITimeout }, positive)},
	{name: "ZDCD_API_POLL_INTERVAL", group: groupHeroku, def: formatDuration(DefaultAPIPollInterval),
		help:  "the pause between two polls of a Heroku backup or restore",
		codec: duration(func(c *Config) *time.Duration { return &c.APIPollInterval }, positive)},

	{name: "NIGHTLY_BUILD", group: groupApproval, def: "false",
		help: "the nightly maintenance window: every migration is approved", codec: nightlyBuild()},
	{name: "ZDCD_ALLOW", group: groupApproval, note: "none",
		help: "migrations approved as a whole or for one rule", codec: allowList()},
	{name: "ZDCD_ENABLE_RULES", group: groupApproval, note: "none (opt-in rules off)",
		help: "opt-in rules to run", codec: enableRules()},

	{name: "ZDCD_PROJECT_DIR", group: groupDjango, def: DefaultProjectDir,
		help:  "the Django project directory (holding manage.py)",
		codec: text(func(c *Config) *string { return &c.ProjectDir }, nil)},
	{name: "ZDCD_PYTHON", group: groupDjango, note: "python, then python3, on PATH",
		help:  "the Python interpreter that can import django",
		codec: text(func(c *Config) *string { return &c.Python }, nil)},
	{name: "DJANGO_SETTINGS_MODULE", group: groupDjango, note: "the one manage.py sets",
		help:  "the Django settings module to plan with",
		codec: text(func(c *Config) *string { return &c.DjangoSettings }, checkSettingsModule)},
	{name: "ZDCD_MIGRATE_COMMAND", group: groupDjango, def: DefaultMigrateCommand,
		help:  "the command that applies the migrations",
		codec: text(func(c *Config) *string { return &c.MigrateCommand }, checkMigrateCommand)},

	{name: "ZDCD_LOCK_TIMEOUT", group: groupLocks, def: formatDuration(DefaultLockTimeout),
		help:  "PostgreSQL's lock_timeout for the migration's sessions",
		codec: duration(func(c *Config) *time.Duration { return &c.LockTimeout }, pgSetting)},
	{name: "ZDCD_STATEMENT_TIMEOUT", group: groupLocks, def: formatDuration(DefaultStatementTimeout),
		help:  "PostgreSQL's statement_timeout for the migration's sessions (0: none)",
		codec: duration(func(c *Config) *time.Duration { return &c.StatementTimeout }, pgSetting|zeroOK)},
	{name: "ZDCD_LOCK_RETRIES", group: groupLocks, def: strconv.Itoa(DefaultLockRetries),
		help: "how many times a migration that hit lock_timeout is retried", codec: lockRetries()},
	{name: "ZDCD_LOCK_RETRY_DELAY", group: groupLocks, def: formatDuration(DefaultLockRetryDelay),
		help:  "the first backoff between retries",
		codec: duration(func(c *Config) *time.Duration { return &c.LockRetryDelay }, positive)},
	{name: "ZDCD_LOCK_RETRY_MAX_DELAY", group: groupLocks, def: formatDuration(DefaultLockRetryMaxDelay),
		help:  "the backoff's cap",
		codec: duration(func(c *Config) *time.Duration { return &c.LockRetryMaxDelay }, positive),
		check: checkRetryDelays},
	{name: "ZDCD_LOCK_WAIT", group: groupLocks, def: formatDuration(DefaultLockWait),
		help:  "how long to wait, before each attempt, for conflicting locks on the tables to clear",
		codec: duration(func(c *Config) *time.Duration { return &c.LockWait }, zeroOK)},
	{name: "ZDCD_RELEASE_LOCK_WAIT", group: groupLocks, def: formatDuration(DefaultReleaseLockWait),
		help:  "how long a second concurrent release waits for the first",
		codec: duration(func(c *Config) *time.Duration { return &c.ReleaseLockWait }, zeroOK)},
	{name: "ZDCD_RELEASE_DEADLINE", group: groupLocks, def: formatDuration(DefaultReleaseDeadline),
		help: "how long a release may run, recovery included", codec: releaseDeadline()},

	{name: "ZDCD_BACKUP", group: groupBackup, def: string(DefaultBackup),
		help: "when the release backs the database up", codec: backupPolicy()},
	{name: "ZDCD_BACKUP_DIR", group: groupBackup, note: "a temporary directory",
		help:  "where pg_dump writes when not on Heroku",
		codec: text(func(c *Config) *string { return &c.BackupDir }, nil)},
	{name: "ZDCD_MAINTENANCE", group: groupBackup, def: string(DefaultMaintenance),
		help: "when the release phase switches maintenance mode on", codec: maintenancePolicy()},

	{name: "ZDCD_NIGHTLY_WINDOW", group: groupNightly, note: "any time",
		help: "when zdcd-release nightly may deploy", codec: nightlyWindow()},
	{name: "ZDCD_NIGHTLY_RELEASE_TIMEOUT", group: groupNightly, def: formatDuration(DefaultNightlyReleaseTimeout),
		help:  "how long the nightly run waits for the release it created",
		codec: duration(func(c *Config) *time.Duration { return &c.NightlyReleaseTimeout }, positive)},
}

// isSecretVar reports whether the variable name holds a secret as a whole.
func isSecretVar(name string) bool {
	for i := range variables {
		if variables[i].secret && variables[i].name == name {
			return true
		}
	}
	return false
}

// text is a string variable, validated by check (which returns the problem, or "") unless nil.
func text(field func(*Config) *string, check func(v string) string) codec {
	return codec{
		parse: func(c *Config, v string) string {
			if check != nil {
				if problem := check(v); problem != "" {
					return problem
				}
			}
			*field(c) = v
			return ""
		},
		show: func(c *Config) string { return *field(c) },
	}
}

func databaseURL() codec {
	return codec{
		parse: func(c *Config, v string) string {
			d, err := ParseDatabaseURL(v)
			if err != nil {
				return "is malformed: " + err.Error()
			}
			c.Database = d
			return ""
		},
		show: func(c *Config) string {
			if c.Database == nil {
				return ""
			}
			return c.Database.String()
		},
	}
}

func apiKey() codec {
	return codec{
		parse: func(c *Config, v string) string {
			if strings.ContainsFunc(v, unicode.IsSpace) {
				return "is invalid: it contains whitespace; expected the token alone, as printed by heroku authorizations:create"
			}
			c.APIKey = NewSecret(v)
			return ""
		},
		show: func(c *Config) string { return c.APIKey.String() },
	}
}

// apiURL is a Heroku API base URL, kept without a trailing slash. It is never quoted in errors: a
// URL may carry credentials.
func apiURL(field func(*Config) *string, example string) codec {
	return codec{
		parse: func(c *Config, v string) string {
			expected := "expected an absolute http:// or https:// URL such as " + example
			u, err := url.Parse(v)
			switch {
			case err != nil:
				return "is invalid: it is not a URL; " + expected
			case u.Scheme != "http" && u.Scheme != "https":
				return "is invalid: scheme must be http:// or https://; " + expected
			case u.Host == "":
				return "is invalid: it names no host; " + expected
			case u.User != nil:
				return "is invalid: it must not contain a user name or password (HEROKU_API_KEY is sent as the token); " + expected
			case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(v, "?"):
				return "is invalid: it must not contain a query or fragment; " + expected
			}
			*field(c) = strings.TrimRight(v, "/")
			return ""
		},
		show: func(c *Config) string { return *field(c) },
	}
}

// duration is a duration variable; flags constrain it (see parseDuration).
func duration(field func(*Config) *time.Duration, flags int) codec {
	return codec{
		parse: func(c *Config, v string) string {
			d, problem := parseDuration(v, flags)
			if problem == "" {
				*field(c) = d
			}
			return problem
		},
		show: func(c *Config) string { return formatDuration(*field(c)) },
	}
}

func releaseDeadline() codec {
	return codec{
		parse: func(c *Config, v string) string {
			d, problem := parseDuration(v, positive)
			if problem != "" {
				return problem
			}
			if d > MaxReleaseDeadline {
				// Heroku stops the release phase at one hour, and the limit cannot be extended
				// (HEROKU.md 1.2): a later deadline would leave recovery to be cut off by Heroku.
				return "is invalid: " + formatDuration(d) + " is past Heroku's one-hour limit on the release phase, which cannot be extended; expected at most 1h (the default 55m leaves time to record the outcome)"
			}
			c.ReleaseDeadline = d
			return ""
		},
		show: func(c *Config) string { return formatDuration(c.ReleaseDeadline) },
	}
}

func checkRetryDelays(c *Config, failed func(string) bool) string {
	if failed("ZDCD_LOCK_RETRY_DELAY") || failed("ZDCD_LOCK_RETRY_MAX_DELAY") || c.LockRetryMaxDelay >= c.LockRetryDelay {
		return ""
	}
	return "is invalid: " + formatDuration(c.LockRetryMaxDelay) + " is less than ZDCD_LOCK_RETRY_DELAY (" + formatDuration(c.LockRetryDelay) + "); expected at least that"
}

func lockRetries() codec {
	return codec{
		parse: func(c *Config, v string) string {
			n, err := strconv.Atoi(v)
			switch {
			case err != nil:
				return "is invalid: " + quote(v) + " is not a whole number; expected 0 or more, such as 30"
			case n < 0:
				return "is invalid: " + quote(v) + " is negative; expected 0 or more, such as 30"
			}
			c.LockRetries = n
			return ""
		},
		show: func(c *Config) string { return strconv.Itoa(c.LockRetries) },
	}
}

func nightlyBuild() codec {
	return codec{
		parse: func(c *Config, v string) string {
			switch strings.ToLower(v) {
			case "true", "1":
				c.NightlyBuild = true
			case "false", "0":
				c.NightlyBuild = false
			default:
				return "is invalid: " + quote(v) + "; expected true, false, 1 or 0"
			}
			return ""
		},
		show: func(c *Config) string { return strconv.FormatBool(c.NightlyBuild) },
	}
}

func allowList() codec {
	return codec{
		parse: func(c *Config, v string) string {
			allow, problem := parseAllow(v)
			if problem == "" {
				c.Allow = allow
			}
			return problem
		},
		show: func(c *Config) string {
			items := make([]string, len(c.Allow))
			for i, a := range c.Allow {
				items[i] = a.String()
			}
			return strings.Join(items, ",")
		},
	}
}

func enableRules() codec {
	return codec{
		parse: func(c *Config, v string) string {
			rules := []string{}
			for _, item := range strings.Split(v, ",") {
				item = strings.TrimSpace(item)
				if item == "" {
					continue
				}
				if !isKebab(item) {
					return "is invalid: item " + quote(item) + " is not a rule name (kebab-case: lowercase letters, digits and dashes); expected a comma-separated list such as require-table-schema"
				}
				rules = append(rules, item)
			}
			c.EnableRules = rules
			return ""
		},
		show: func(c *Config) string { return strings.Join(c.EnableRules, ",") },
	}
}

func backupPolicy() codec {
	return codec{
		parse: func(c *Config, v string) string {
			switch p := BackupPolicy(strings.ToLower(v)); p {
			case BackupAlways, BackupNever, BackupUnsafeOnly:
				c.Backup = p
				return ""
			}
			return "is invalid: " + quote(v) + "; expected always, never or unsafe-only"
		},
		show: func(c *Config) string { return string(c.Backup) },
	}
}

func maintenancePolicy() codec {
	return codec{
		parse: func(c *Config, v string) string {
			switch p := MaintenancePolicy(strings.ToLower(v)); p {
			case MaintenanceUnsafe, MaintenanceRecovery:
				c.Maintenance = p
				return ""
			}
			return "is invalid: " + quote(v) + "; expected unsafe or recovery"
		},
		show: func(c *Config) string { return string(c.Maintenance) },
	}
}

func nightlyWindow() codec {
	return codec{
		parse: func(c *Config, v string) string {
			w, err := ParseWindow(v)
			if err != nil {
				return "is invalid: " + err.Error()
			}
			c.NightlyWindow = w
			return ""
		},
		show: func(c *Config) string { return c.NightlyWindow.String() },
	}
}

// Duration constraints, for parseDuration. Without flags a duration must be positive.
const positive = 0

const (
	// zeroOK allows 0 (meaning "none").
	zeroOK = 1 << iota
	// pgSetting marks a PostgreSQL setting: at least 1ms (its resolution) unless 0, at most
	// maxPGTimeout.
	pgSetting
)

// parseDuration parses a duration variable's value; problem is "" when it is valid.
func parseDuration(v string, flags int) (d time.Duration, problem string) {
	expected := "expected a positive duration such as 100ms, 2s or 1m"
	if flags&zeroOK != 0 {
		expected = "expected a duration such as 30s or 10m, or 0 for none"
	}
	fail := func(what string) (time.Duration, string) {
		return 0, "is invalid: " + quote(v) + " " + what + "; " + expected
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		if _, numErr := strconv.ParseFloat(v, 64); numErr == nil {
			return fail("has no unit")
		}
		return fail("is not a duration")
	case d < 0:
		return fail("is negative")
	case d == 0 && flags&zeroOK == 0:
		return fail("is zero")
	case d == 0:
		return 0, ""
	case flags&pgSetting != 0 && d < time.Millisecond:
		return fail("is less than 1ms, PostgreSQL's resolution")
	case flags&pgSetting != 0 && d > maxPGTimeout:
		return fail("is more than PostgreSQL's limit of " + formatDuration(maxPGTimeout))
	}
	return d, ""
}

// checkVarName validates ZDCD_DATABASE_VAR. The value is never quoted: a common mistake is to put
// the URL itself there, password included.
func checkVarName(v string) string {
	const expected = "expected the name of the variable that holds the database URL, such as DATABASE_URL or HEROKU_POSTGRESQL_RED_URL"
	if strings.Contains(v, "://") {
		return "is invalid: it holds a URL, not a variable name; " + expected
	}
	for i, r := range v {
		if r != '_' && !isASCIILetter(r) && (i == 0 || r < '0' || r > '9') {
			return "is invalid: it is not a variable name (letters, digits and underscores, not starting with a digit); " + expected
		}
	}
	return ""
}

func checkAlias(v string) string {
	if strings.ContainsFunc(v, unicode.IsSpace) {
		return "is invalid: it contains whitespace; expected a key of Django's DATABASES, such as default"
	}
	return ""
}

// checkAddon accepts an add-on id (UUID) or name. The value goes into API paths, so anything that
// could change a path ('/', '?', '%', ...) is refused.
func checkAddon(v string) string {
	for _, r := range v {
		if !isASCIILetter(r) && (r < '0' || r > '9') && r != '-' && r != '_' {
			return "is invalid: expected a Heroku Postgres add-on id (a UUID) or name, such as postgresql-curved-12345"
		}
	}
	return ""
}

// checkAppName accepts a Heroku app name or id: lowercase letters, digits and dashes, not starting
// with a dash.
func checkAppName(v string) string {
	for i, r := range v {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && (r != '-' || i == 0) {
			return "is invalid: expected the Heroku app's name (lowercase letters, digits and dashes) or id"
		}
	}
	return ""
}

func checkSettingsModule(v string) string {
	if !isDottedPath(v) {
		return "is invalid: " + quote(v) + " is not a dotted module path; expected e.g. myproject.settings"
	}
	return ""
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// isDottedPath accepts a Python dotted module path: "myproject.settings.production".
func isDottedPath(v string) bool {
	for _, part := range strings.Split(v, ".") {
		if !isIdentifier(part) {
			return false
		}
	}
	return true
}

// quote quotes a non-secret value for an error message, on one line, shortened when long.
func quote(v string) string {
	const max = 60
	if r := []rune(v); len(r) > max {
		v = string(r[:max]) + "..."
	}
	return strconv.Quote(v)
}
