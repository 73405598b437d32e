// Package config is zdcd's configuration: every environment variable zdcd reads, its default, and
// its validation, declared once in one table (variables.go) from which Load, Defaults, Settings
// (`zdcd-release config`) and the check against docs/configuration.md derive. Load reads an
// environment it is given (os.Environ's form), so that commands can be tested in-process; it is
// the only place in zdcd that reads configuration from the environment.
//
// Load parses and validates each variable itself, because a generic decoder's errors quote the
// raw value (which may be a secret) and do not say what is expected. Every error is a *Error that
// names the variable, says what is wrong and what is expected, in one line, and never contains a
// secret; the CLI maps it to exit code 2.
//
// Rules that apply to every variable:
//   - Surrounding whitespace is ignored (a trailing newline pasted into a config var is common).
//   - An empty value is the same as an unset one: the default applies.
//   - Secrets (HEROKU_API_KEY, the database password) are held in Secret, which never prints.
package config

import (
	"strings"
	"time"
	"unicode"

	"github.com/zdcd/zdcd/internal/childenv"
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
	// envRedactor returns the Redactor of the secrets of the environment Load read (nil for
	// Defaults), for Redactor.
	// It is a function so that no printed form of a Config shows the environment: fmt prints a
	// func as its address.
	envRedactor func() *Redactor
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

// Defaults returns the configuration with every variable unset: each variable's default, parsed
// as Load parses a value. It reads nothing.
func Defaults() *Config {
	c := &Config{Allow: []Allow{}, EnableRules: []string{}, set: map[string]bool{}}
	for i := range variables {
		v := &variables[i]
		if v.def == "" {
			continue
		}
		if problem := v.parse(c, v.def); problem != "" {
			panic("config: the default of " + v.name + " " + problem)
		}
	}
	return c
}

// Redactor returns the Redactor of every secret of the environment c was loaded from
// (RedactorFromEnv: the API key, every database URL's password) and of c, for free text: what the
// ledger stores, what is printed.
func (c *Config) Redactor() *Redactor {
	secrets := []string{c.APIKey.Reveal()}
	if c.Database != nil {
		secrets = append(secrets, c.Database.Password.Reveal())
	}
	var env *Redactor // nil redacts nothing
	if c.envRedactor != nil {
		env = c.envRedactor()
	}
	return env.With(secrets...)
}

// Load reads and validates the configuration from environ, a process environment in os.Environ's
// form (KEY=value entries; of a key given twice the last wins, as in the environment exec gives
// the Django child). An unset database URL is not an error here (see RequireDatabase); any
// malformed variable is. The error is a *Error when one variable is wrong, Errors when several
// are.
func Load(environ []string) (*Config, error) {
	c := Defaults()
	red := RedactorFromEnv(environ)
	c.envRedactor = func() *Redactor { return red }
	l := &loader{c: c, environ: environ}
	for i := range variables {
		v := &variables[i]
		if v.namedBy != "" && l.failed(v.namedBy) {
			continue // its name is unknown
		}
		name := v.envName(c)
		if value, ok := l.value(name); ok {
			if problem := v.parse(c, value); problem != "" {
				l.fail(name, problem)
			}
		}
		if v.check != nil {
			if problem := v.check(c, l.failed); problem != "" {
				l.fail(name, problem)
			}
		}
	}
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
	c       *Config
	environ []string
	errs    Errors
}

// value returns a variable's trimmed value and whether it is set (non-empty), recording it as set
// for Print. A value with a control character inside is an error (never quoted: it may be a secret).
func (l *loader) value(name string) (string, bool) {
	v := strings.TrimSpace(childenv.Value(l.environ, name))
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
