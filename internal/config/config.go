// Package config is zdcd's configuration: every environment variable zdcd reads, its default, and
// its validation. Load is the only place in zdcd that reads the environment.
//
// envconfig reads the variables as raw text (see env); this package then parses and validates
// each one itself, because envconfig's errors quote the raw value (which may be a secret) and do
// not say what is expected. Every error is a *Error that names the variable, says what is wrong
// and what is expected, in one line, and never contains a secret; the CLI maps it to exit code 2.
//
// Rules that apply to every variable:
//   - Surrounding whitespace is ignored (a trailing newline pasted into a config var is common).
//   - An empty value is the same as an unset one: the default applies.
//   - Secrets (HEROKU_API_KEY, the database password) are held in Secret, which never prints.
package config

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/kelseyhightower/envconfig"
)

// BackupPolicy is ZDCD_BACKUP: when the release backs the database up before migrating.
type BackupPolicy string

const (
	// BackupAlways backs up before every migration run (the default).
	BackupAlways BackupPolicy = "always"
	// BackupNever never backs up: a failed unsafe migration cannot be restored.
	BackupNever BackupPolicy = "never"
	// BackupUnsafeOnly backs up only when an unsafe migration (approved, e.g. nightly) will run.
	BackupUnsafeOnly BackupPolicy = "unsafe-only"
)

// MaintenancePolicy is ZDCD_MAINTENANCE: when the release phase switches maintenance mode on.
type MaintenancePolicy string

const (
	// MaintenanceUnsafe (the default): before the backup, whenever the plan holds a migration the
	// old release may not survive (approved, or NIGHTLY_BUILD), with the worker dynos stopped, so
	// that nothing writes between the backup and a restore; and for a restore.
	MaintenanceUnsafe MaintenancePolicy = "unsafe"
	// MaintenanceRecovery: only for a restore. Such a plan then runs under live traffic, and a
	// restore loses the writes committed between the backup and maintenance mode.
	MaintenanceRecovery MaintenancePolicy = "recovery"
)

// Defaults. ZDCD_LOCK_TIMEOUT and ZDCD_STATEMENT_TIMEOUT become PostgreSQL's lock_timeout and
// statement_timeout, whose unit is the millisecond: Load refuses a non-zero value below 1ms (which
// PostgreSQL would round to 0, "no timeout") or above PostgreSQL's limit.
const (
	DefaultDatabaseVar       = "DATABASE_URL"
	DefaultProjectDir        = "."
	DefaultDatabaseAlias     = "default"
	DefaultMigrateCommand    = "python manage.py migrate --noinput"
	DefaultLockTimeout       = 100 * time.Millisecond
	DefaultStatementTimeout  = 30 * time.Minute
	DefaultLockRetries       = 30
	DefaultLockRetryDelay    = 500 * time.Millisecond
	DefaultLockRetryMaxDelay = 15 * time.Second
	DefaultLockWait          = 30 * time.Second
	DefaultReleaseLockWait   = 10 * time.Minute
	DefaultReleaseDeadline   = 55 * time.Minute
	// MaxReleaseDeadline is Heroku's limit on the release phase (HEROKU.md 1.2).
	MaxReleaseDeadline     = time.Hour
	DefaultBackup          = BackupAlways
	DefaultMaintenance     = MaintenanceUnsafe
	DefaultPlatformAPIURL  = "https://api.heroku.com"
	DefaultDataAPIURL      = "https://api.data.heroku.com"
	DefaultAPITimeout      = 5 * time.Minute
	DefaultAPIPollInterval = 3 * time.Second
)

// maxPGTimeout is the largest lock_timeout / statement_timeout PostgreSQL accepts (INT_MAX ms).
const maxPGTimeout = 2147483647 * time.Millisecond

// Config is zdcd's validated configuration. Build it with Load (from the environment) or
// Defaults (for tests).
type Config struct {
	// DatabaseVar is ZDCD_DATABASE_VAR: the name of the variable holding the database URL
	// (DATABASE_URL, or HEROKU_POSTGRESQL_<COLOR>_URL on apps with several databases).
	DatabaseVar string
	// Database is the URL read from the variable DatabaseVar names; nil when that is unset.
	// Commands that need it call RequireDatabase.
	Database *DatabaseURL
	// DatabaseAlias is ZDCD_DATABASE_ALIAS: the key of Django's DATABASES to plan for.
	DatabaseAlias string
	// DatabaseAddon is ZDCD_DATABASE_ADDON: the Heroku Postgres add-on (id or name) to back up and
	// restore; empty means resolve it from DatabaseVar's add-on attachment.
	DatabaseAddon string

	// AppName is HEROKU_APP_NAME (empty when unset).
	AppName string
	// APIKey is HEROKU_API_KEY, for the Platform API and the Postgres backups API.
	APIKey Secret
	// PlatformAPIURL and DataAPIURL are ZDCD_PLATFORM_API_URL and ZDCD_DATA_API_URL, without a
	// trailing slash.
	PlatformAPIURL string
	DataAPIURL     string
	// APITimeout is ZDCD_API_TIMEOUT: the bound on the Heroku API calls of one step (a request and
	// its retries, a capture's POST, a release's wait). The wait for a backup or a restore is not
	// bounded by it but by ReleaseDeadline: a transfer of a few GB takes tens of minutes.
	APITimeout time.Duration
	// APIPollInterval is ZDCD_API_POLL_INTERVAL: the pause between two polls of a Heroku backup
	// or restore (the Heroku CLI's 3s).
	APIPollInterval time.Duration

	// NightlyBuild is NIGHTLY_BUILD: the nightly maintenance window, where every migration is
	// approved.
	NightlyBuild bool
	// Allow is ZDCD_ALLOW: migrations approved as a whole or for one rule. Never nil.
	Allow []Allow
	// EnableRules is ZDCD_ENABLE_RULES: opt-in rules to run (require-table-schema). Never nil.
	EnableRules []string

	// ProjectDir is ZDCD_PROJECT_DIR: the Django project directory (holding manage.py).
	ProjectDir string
	// Python is ZDCD_PYTHON: the interpreter; empty means try python, then python3, on PATH.
	Python string
	// DjangoSettings is DJANGO_SETTINGS_MODULE; empty means the one manage.py sets.
	DjangoSettings string
	// MigrateCommand is ZDCD_MIGRATE_COMMAND: the command that applies the migrations.
	MigrateCommand string

	// LockTimeout is ZDCD_LOCK_TIMEOUT: PostgreSQL's lock_timeout for the migration's sessions.
	// Short on purpose: while DDL waits for its lock, every later query on the table waits behind
	// it (DESIGN.md, release step 6). Always positive.
	LockTimeout time.Duration
	// StatementTimeout is ZDCD_STATEMENT_TIMEOUT: statement_timeout for the migration's sessions;
	// 0 means none.
	StatementTimeout time.Duration
	// LockRetries is ZDCD_LOCK_RETRIES: how many times a migration that hit lock_timeout is
	// retried (0 = never).
	LockRetries int
	// LockRetryDelay and LockRetryMaxDelay are ZDCD_LOCK_RETRY_DELAY and
	// ZDCD_LOCK_RETRY_MAX_DELAY: the first backoff between retries and its cap
	// (LockRetryMaxDelay >= LockRetryDelay > 0).
	LockRetryDelay    time.Duration
	LockRetryMaxDelay time.Duration
	// LockWait is ZDCD_LOCK_WAIT: how long to wait, before each attempt, for sessions holding or
	// awaiting conflicting locks on the tables to finish; 0 means attempt at once.
	LockWait time.Duration
	// ReleaseLockWait is ZDCD_RELEASE_LOCK_WAIT: how long a second concurrent release waits for
	// the advisory lock before failing; 0 means fail at once.
	ReleaseLockWait time.Duration
	// ReleaseDeadline is ZDCD_RELEASE_DEADLINE: how long, from the start of the process, a
	// release may run, recovery included. Heroku stops a release phase at one hour (HEROKU.md
	// §1.2); the default, 55 minutes, leaves 5 for the last words. The backup and the migrations
	// must end a recovery reserve earlier (release.RecoveryReserve), so that a restore has time.
	ReleaseDeadline time.Duration

	// Backup is ZDCD_BACKUP.
	Backup BackupPolicy
	// Maintenance is ZDCD_MAINTENANCE.
	Maintenance MaintenancePolicy
	// BackupDir is ZDCD_BACKUP_DIR: where pg_dump writes when not on Heroku; empty means a
	// temporary directory.
	BackupDir string

	// NightlyWindow is ZDCD_NIGHTLY_WINDOW: when `zdcd-release nightly` may deploy; nil means
	// any time.
	NightlyWindow *Window
	// NightlyReleaseTimeout is ZDCD_NIGHTLY_RELEASE_TIMEOUT: how long the nightly run waits for
	// the release it created (its release phase) and then for its dynos.
	NightlyReleaseTimeout time.Duration

	// set records the variables given a non-empty value in the environment, for Print.
	set map[string]bool
}

// env is what envconfig reads: every variable as its raw text, nil when unset. The database URL is
// not here: its variable's name is itself configuration (ZDCD_DATABASE_VAR), so Load looks it up
// by that name.
type env struct {
	DatabaseVar       *string `envconfig:"ZDCD_DATABASE_VAR"`
	DatabaseAlias     *string `envconfig:"ZDCD_DATABASE_ALIAS"`
	DatabaseAddon     *string `envconfig:"ZDCD_DATABASE_ADDON"`
	AppName           *string `envconfig:"HEROKU_APP_NAME"`
	APIKey            *string `envconfig:"HEROKU_API_KEY"`
	PlatformAPIURL    *string `envconfig:"ZDCD_PLATFORM_API_URL"`
	DataAPIURL        *string `envconfig:"ZDCD_DATA_API_URL"`
	APITimeout        *string `envconfig:"ZDCD_API_TIMEOUT"`
	APIPollInterval   *string `envconfig:"ZDCD_API_POLL_INTERVAL"`
	NightlyBuild      *string `envconfig:"NIGHTLY_BUILD"`
	Allow             *string `envconfig:"ZDCD_ALLOW"`
	EnableRules       *string `envconfig:"ZDCD_ENABLE_RULES"`
	ProjectDir        *string `envconfig:"ZDCD_PROJECT_DIR"`
	Python            *string `envconfig:"ZDCD_PYTHON"`
	DjangoSettings    *string `envconfig:"DJANGO_SETTINGS_MODULE"`
	MigrateCommand    *string `envconfig:"ZDCD_MIGRATE_COMMAND"`
	LockTimeout       *string `envconfig:"ZDCD_LOCK_TIMEOUT"`
	StatementTimeout  *string `envconfig:"ZDCD_STATEMENT_TIMEOUT"`
	LockRetries       *string `envconfig:"ZDCD_LOCK_RETRIES"`
	LockRetryDelay    *string `envconfig:"ZDCD_LOCK_RETRY_DELAY"`
	LockRetryMaxDelay *string `envconfig:"ZDCD_LOCK_RETRY_MAX_DELAY"`
	LockWait          *string `envconfig:"ZDCD_LOCK_WAIT"`
	ReleaseLockWait   *string `envconfig:"ZDCD_RELEASE_LOCK_WAIT"`
	ReleaseDeadline   *string `envconfig:"ZDCD_RELEASE_DEADLINE"`
	Backup            *string `envconfig:"ZDCD_BACKUP"`
	Maintenance       *string `envconfig:"ZDCD_MAINTENANCE"`
	BackupDir         *string `envconfig:"ZDCD_BACKUP_DIR"`
	NightlyWindow     *string `envconfig:"ZDCD_NIGHTLY_WINDOW"`
	NightlyTimeout    *string `envconfig:"ZDCD_NIGHTLY_RELEASE_TIMEOUT"`
}

// Error is a missing or malformed variable. Its message is one line: the variable's name followed
// by Problem, which says what is wrong and what is expected ("DATABASE_URL is malformed: scheme
// must be postgres:// or postgresql://"). It never contains a secret.
type Error struct {
	Var string
	// Problem completes the sentence that starts with the variable's name: "is invalid: ...",
	// "is malformed: ...", "is not set: ...".
	Problem string
}

func (e *Error) Error() string { return e.Var + " " + e.Problem }

// Errors is several configuration errors, one per bad variable, in the order of Print. Load
// returns it when more than one variable is wrong, so that one failed release shows every fix to
// make; errors.As(err, new(*Error)) finds the first.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Defaults returns the configuration with every variable unset. It reads nothing.
func Defaults() *Config {
	return &Config{
		DatabaseVar:       DefaultDatabaseVar,
		DatabaseAlias:     DefaultDatabaseAlias,
		PlatformAPIURL:    DefaultPlatformAPIURL,
		DataAPIURL:        DefaultDataAPIURL,
		APITimeout:        DefaultAPITimeout,
		APIPollInterval:   DefaultAPIPollInterval,
		Allow:             []Allow{},
		EnableRules:       []string{},
		ProjectDir:        DefaultProjectDir,
		MigrateCommand:    DefaultMigrateCommand,
		LockTimeout:       DefaultLockTimeout,
		StatementTimeout:  DefaultStatementTimeout,
		LockRetries:       DefaultLockRetries,
		LockRetryDelay:    DefaultLockRetryDelay,
		LockRetryMaxDelay: DefaultLockRetryMaxDelay,
		LockWait:          DefaultLockWait,
		ReleaseLockWait:   DefaultReleaseLockWait,
		ReleaseDeadline:   DefaultReleaseDeadline,
		Backup:            DefaultBackup,
		Maintenance:       DefaultMaintenance,
		set:               map[string]bool{},

		NightlyReleaseTimeout: DefaultNightlyReleaseTimeout,
	}
}

// Redactor returns the Redactor of every secret of the process environment (RedactorFromEnv: the
// API key, every database URL's password) and of c, for free text: what the ledger stores, what
// is printed.
func (c *Config) Redactor() *Redactor {
	secrets := []string{c.APIKey.Reveal()}
	if c.Database != nil {
		secrets = append(secrets, c.Database.Password.Reveal())
	}
	return RedactorFromEnv(os.Environ()).With(secrets...)
}

// Load reads and validates the configuration from the process environment. An unset database URL
// is not an error here (see RequireDatabase); any malformed variable is. The error is a *Error
// when one variable is wrong, Errors when several are.
func Load() (*Config, error) {
	var e env
	if err := envconfig.Process("", &e); err != nil {
		// Only a bad specification can fail: every field is a *string.
		return nil, fmt.Errorf("read environment: %w", err)
	}
	c := Defaults()
	l := &loader{c: c}

	if v, ok := l.value("ZDCD_DATABASE_VAR", e.DatabaseVar); ok {
		if problem := checkVarName(v); problem != "" {
			l.fail("ZDCD_DATABASE_VAR", problem)
		} else {
			c.DatabaseVar = v
		}
	}
	if !l.failed("ZDCD_DATABASE_VAR") {
		raw, present := os.LookupEnv(c.DatabaseVar)
		if v, ok := l.value(c.DatabaseVar, ptrIf(raw, present)); ok {
			d, err := ParseDatabaseURL(v)
			if err != nil {
				l.fail(c.DatabaseVar, "is malformed: "+err.Error())
			} else {
				c.Database = d
			}
		}
	}
	if v, ok := l.value("ZDCD_DATABASE_ALIAS", e.DatabaseAlias); ok {
		if strings.ContainsFunc(v, unicode.IsSpace) {
			l.fail("ZDCD_DATABASE_ALIAS", "is invalid: it contains whitespace; expected a key of Django's DATABASES, such as default")
		} else {
			c.DatabaseAlias = v
		}
	}
	if v, ok := l.value("ZDCD_DATABASE_ADDON", e.DatabaseAddon); ok {
		if !isAddonName(v) {
			l.fail("ZDCD_DATABASE_ADDON", "is invalid: expected a Heroku Postgres add-on id (a UUID) or name, such as postgresql-curved-12345")
		} else {
			c.DatabaseAddon = v
		}
	}

	if v, ok := l.value("HEROKU_APP_NAME", e.AppName); ok {
		if !isAppName(v) {
			l.fail("HEROKU_APP_NAME", "is invalid: expected the Heroku app's name (lowercase letters, digits and dashes) or id")
		} else {
			c.AppName = v
		}
	}
	if v, ok := l.value("HEROKU_API_KEY", e.APIKey); ok {
		if strings.ContainsFunc(v, unicode.IsSpace) {
			l.fail("HEROKU_API_KEY", "is invalid: it contains whitespace; expected the token alone, as printed by heroku authorizations:create")
		} else {
			c.APIKey = NewSecret(v)
		}
	}
	if v, ok := l.value("ZDCD_PLATFORM_API_URL", e.PlatformAPIURL); ok {
		c.PlatformAPIURL = l.apiURL("ZDCD_PLATFORM_API_URL", v, DefaultPlatformAPIURL)
	}
	if v, ok := l.value("ZDCD_DATA_API_URL", e.DataAPIURL); ok {
		c.DataAPIURL = l.apiURL("ZDCD_DATA_API_URL", v, DefaultDataAPIURL)
	}
	c.APITimeout = l.duration("ZDCD_API_TIMEOUT", e.APITimeout, c.APITimeout, positive)
	c.APIPollInterval = l.duration("ZDCD_API_POLL_INTERVAL", e.APIPollInterval, c.APIPollInterval, positive)

	if v, ok := l.value("NIGHTLY_BUILD", e.NightlyBuild); ok {
		switch strings.ToLower(v) {
		case "true", "1":
			c.NightlyBuild = true
		case "false", "0":
			c.NightlyBuild = false
		default:
			l.fail("NIGHTLY_BUILD", "is invalid: "+quote(v)+"; expected true, false, 1 or 0")
		}
	}
	if v, ok := l.value("ZDCD_ALLOW", e.Allow); ok {
		allow, problem := parseAllow(v)
		if problem != "" {
			l.fail("ZDCD_ALLOW", problem)
		} else {
			c.Allow = allow
		}
	}
	if v, ok := l.value("ZDCD_ENABLE_RULES", e.EnableRules); ok {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			if !isKebab(item) {
				l.fail("ZDCD_ENABLE_RULES", "is invalid: item "+quote(item)+" is not a rule name (kebab-case: lowercase letters, digits and dashes); expected a comma-separated list such as require-table-schema")
				break
			}
			c.EnableRules = append(c.EnableRules, item)
		}
	}

	if v, ok := l.value("ZDCD_PROJECT_DIR", e.ProjectDir); ok {
		c.ProjectDir = v
	}
	if v, ok := l.value("ZDCD_PYTHON", e.Python); ok {
		c.Python = v
	}
	if v, ok := l.value("DJANGO_SETTINGS_MODULE", e.DjangoSettings); ok {
		if !isDottedPath(v) {
			l.fail("DJANGO_SETTINGS_MODULE", "is invalid: "+quote(v)+" is not a dotted module path; expected e.g. myproject.settings")
		} else {
			c.DjangoSettings = v
		}
	}
	if v, ok := l.value("ZDCD_MIGRATE_COMMAND", e.MigrateCommand); ok {
		if problem := checkMigrateCommand(v); problem != "" {
			l.fail("ZDCD_MIGRATE_COMMAND", problem)
		} else {
			c.MigrateCommand = v
		}
	}

	c.LockTimeout = l.duration("ZDCD_LOCK_TIMEOUT", e.LockTimeout, c.LockTimeout, pgSetting)
	c.StatementTimeout = l.duration("ZDCD_STATEMENT_TIMEOUT", e.StatementTimeout, c.StatementTimeout, pgSetting|zeroOK)
	if v, ok := l.value("ZDCD_LOCK_RETRIES", e.LockRetries); ok {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			l.fail("ZDCD_LOCK_RETRIES", "is invalid: "+quote(v)+" is not a whole number; expected 0 or more, such as 30")
		case n < 0:
			l.fail("ZDCD_LOCK_RETRIES", "is invalid: "+quote(v)+" is negative; expected 0 or more, such as 30")
		default:
			c.LockRetries = n
		}
	}
	c.LockRetryDelay = l.duration("ZDCD_LOCK_RETRY_DELAY", e.LockRetryDelay, c.LockRetryDelay, positive)
	c.LockRetryMaxDelay = l.duration("ZDCD_LOCK_RETRY_MAX_DELAY", e.LockRetryMaxDelay, c.LockRetryMaxDelay, positive)
	if !l.failed("ZDCD_LOCK_RETRY_DELAY") && !l.failed("ZDCD_LOCK_RETRY_MAX_DELAY") && c.LockRetryMaxDelay < c.LockRetryDelay {
		l.fail("ZDCD_LOCK_RETRY_MAX_DELAY", fmt.Sprintf("is invalid: %s is less than ZDCD_LOCK_RETRY_DELAY (%s); expected at least that",
			formatDuration(c.LockRetryMaxDelay), formatDuration(c.LockRetryDelay)))
	}
	c.LockWait = l.duration("ZDCD_LOCK_WAIT", e.LockWait, c.LockWait, zeroOK)
	c.ReleaseLockWait = l.duration("ZDCD_RELEASE_LOCK_WAIT", e.ReleaseLockWait, c.ReleaseLockWait, zeroOK)
	c.ReleaseDeadline = l.duration("ZDCD_RELEASE_DEADLINE", e.ReleaseDeadline, c.ReleaseDeadline, positive)
	if !l.failed("ZDCD_RELEASE_DEADLINE") && c.ReleaseDeadline > MaxReleaseDeadline {
		// Heroku stops the release phase at one hour, and the limit cannot be extended (HEROKU.md
		// 1.2): a later deadline would leave recovery to be cut off by Heroku.
		l.fail("ZDCD_RELEASE_DEADLINE", fmt.Sprintf("is invalid: %s is past Heroku's one-hour limit on the release phase, which cannot be extended; expected at most 1h (the default 55m leaves time to record the outcome)",
			formatDuration(c.ReleaseDeadline)))
	}

	if v, ok := l.value("ZDCD_BACKUP", e.Backup); ok {
		switch p := BackupPolicy(strings.ToLower(v)); p {
		case BackupAlways, BackupNever, BackupUnsafeOnly:
			c.Backup = p
		default:
			l.fail("ZDCD_BACKUP", "is invalid: "+quote(v)+"; expected always, never or unsafe-only")
		}
	}
	if v, ok := l.value("ZDCD_MAINTENANCE", e.Maintenance); ok {
		switch p := MaintenancePolicy(strings.ToLower(v)); p {
		case MaintenanceUnsafe, MaintenanceRecovery:
			c.Maintenance = p
		default:
			l.fail("ZDCD_MAINTENANCE", "is invalid: "+quote(v)+"; expected unsafe or recovery")
		}
	}
	if v, ok := l.value("ZDCD_BACKUP_DIR", e.BackupDir); ok {
		c.BackupDir = v
	}

	if v, ok := l.value("ZDCD_NIGHTLY_WINDOW", e.NightlyWindow); ok {
		w, err := ParseWindow(v)
		if err != nil {
			l.fail("ZDCD_NIGHTLY_WINDOW", "is invalid: "+err.Error())
		} else {
			c.NightlyWindow = w
		}
	}
	c.NightlyReleaseTimeout = l.duration("ZDCD_NIGHTLY_RELEASE_TIMEOUT", e.NightlyTimeout, c.NightlyReleaseTimeout, positive)

	switch len(l.errs) {
	case 0:
		return c, nil
	case 1:
		return nil, l.errs[0]
	default:
		return nil, l.errs
	}
}

// RequireDatabase returns the database URL, or a *Error naming the variable when it is unset.
func (c *Config) RequireDatabase() (*DatabaseURL, error) {
	if c.Database != nil {
		return c.Database, nil
	}
	problem := "is not set: zdcd needs the database's URL; attach a Heroku Postgres database, or set ZDCD_DATABASE_VAR to the name of the variable that holds its URL"
	if c.DatabaseVar != DefaultDatabaseVar {
		problem = "is not set: ZDCD_DATABASE_VAR names it as the variable holding the database's URL; set it, or point ZDCD_DATABASE_VAR at the variable that holds the URL"
	}
	return nil, &Error{Var: c.DatabaseVar, Problem: problem}
}

// loader collects values and errors for Load.
type loader struct {
	c    *Config
	errs Errors
}

// value returns a variable's trimmed value and whether it is set (non-empty), recording it as set
// for Print. A value with a control character inside is an error (never quoted: it may be a secret).
func (l *loader) value(name string, raw *string) (string, bool) {
	if raw == nil {
		return "", false
	}
	v := strings.TrimSpace(*raw)
	if v == "" {
		return "", false
	}
	l.c.set[name] = true
	if strings.ContainsFunc(v, unicode.IsControl) {
		l.fail(name, "is invalid: it contains a control character (a line break?); expected a single-line value")
		return "", false
	}
	return v, true
}

func (l *loader) fail(name, problem string) {
	l.errs = append(l.errs, &Error{Var: name, Problem: problem})
}

func (l *loader) failed(name string) bool {
	for _, e := range l.errs {
		if e.Var == name {
			return true
		}
	}
	return false
}

// Duration constraints, for loader.duration. Without flags a duration must be positive.
const positive = 0

const (
	// zeroOK allows 0 (meaning "none").
	zeroOK = 1 << iota
	// pgSetting marks a PostgreSQL setting: at least 1ms (its resolution) unless 0, at most
	// maxPGTimeout.
	pgSetting
)

// duration parses a duration variable, returning def when it is unset or invalid.
func (l *loader) duration(name string, raw *string, def time.Duration, flags int) time.Duration {
	v, ok := l.value(name, raw)
	if !ok {
		return def
	}
	expected := "expected a positive duration such as 100ms, 2s or 1m"
	if flags&zeroOK != 0 {
		expected = "expected a duration such as 30s or 10m, or 0 for none"
	}
	fail := func(what string) time.Duration {
		l.fail(name, "is invalid: "+quote(v)+" "+what+"; "+expected)
		return def
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
		return 0
	case flags&pgSetting != 0 && d < time.Millisecond:
		return fail("is less than 1ms, PostgreSQL's resolution")
	case flags&pgSetting != 0 && d > maxPGTimeout:
		return fail("is more than PostgreSQL's limit of " + formatDuration(maxPGTimeout))
	}
	return d
}

// apiURL validates a Heroku API base URL, returning it without a trailing slash (or def on error).
// It is never quoted in errors: a URL may carry credentials.
func (l *loader) apiURL(name, v, def string) string {
	expected := "expected an absolute http:// or https:// URL such as " + def
	u, err := url.Parse(v)
	switch {
	case err != nil:
		l.fail(name, "is invalid: it is not a URL; "+expected)
	case u.Scheme != "http" && u.Scheme != "https":
		l.fail(name, "is invalid: scheme must be http:// or https://; "+expected)
	case u.Host == "":
		l.fail(name, "is invalid: it names no host; "+expected)
	case u.User != nil:
		l.fail(name, "is invalid: it must not contain a user name or password (HEROKU_API_KEY is sent as the token); "+expected)
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(v, "?"):
		l.fail(name, "is invalid: it must not contain a query or fragment; "+expected)
	default:
		return strings.TrimRight(v, "/")
	}
	return def
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

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// isAppName accepts a Heroku app name or id: lowercase letters, digits and dashes.
func isAppName(v string) bool {
	for _, r := range v {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return v != "" && v[0] != '-'
}

// isAddonName accepts an add-on id (UUID) or name. The value goes into API paths, so anything
// that could change a path ('/', '?', '%', ...) is refused.
func isAddonName(v string) bool {
	for _, r := range v {
		if !isASCIILetter(r) && (r < '0' || r > '9') && r != '-' && r != '_' {
			return false
		}
	}
	return v != ""
}

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

func ptrIf(s string, ok bool) *string {
	if !ok {
		return nil
	}
	return &s
}
