package config

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// environ turns vars into an environment for Load, in a stable order. Tests never read the
// process environment.
func environ(vars map[string]string) []string {
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// withoutSources strips what DeepEqual should not look at.
func withoutSources(c *Config) Config {
	cc := *c
	cc.set = nil
	cc.envRedactor = nil
	return cc
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := Config{
		DatabaseVar:       "DATABASE_URL",
		DatabaseAlias:     "default",
		PlatformAPIURL:    "https://api.heroku.com",
		DataAPIURL:        "https://api.data.heroku.com",
		APITimeout:        5 * time.Minute,
		APIPollInterval:   3 * time.Second,
		Allow:             []Allow{},
		EnableRules:       []string{},
		ProjectDir:        ".",
		MigrateCommand:    "python manage.py migrate --noinput",
		LockTimeout:       100 * time.Millisecond,
		StatementTimeout:  30 * time.Minute,
		LockRetries:       30,
		LockRetryDelay:    500 * time.Millisecond,
		LockRetryMaxDelay: 15 * time.Second,
		LockWait:          30 * time.Second,
		ReleaseLockWait:   10 * time.Minute,
		ReleaseDeadline:   55 * time.Minute,
		Backup:            BackupAlways,
		Maintenance:       MaintenanceUnsafe,

		NightlyReleaseTimeout: time.Hour,
	}
	if got := withoutSources(c); !reflect.DeepEqual(got, want) {
		t.Errorf("defaults\n got %+v\nwant %+v", got, want)
	}
	if got := withoutSources(Defaults()); !reflect.DeepEqual(got, want) {
		t.Errorf("Defaults() differs from Load with nothing set")
	}
	if _, err := c.RequireDatabase(); err == nil || err.Error() != "DATABASE_URL is not set: zdcd needs the database's URL; attach a Heroku Postgres database, or set ZDCD_DATABASE_VAR to the name of the variable that holds its URL" {
		t.Errorf("RequireDatabase: %v", err)
	}
}

// The ends of the duration variables' error messages.
const (
	posDur  = "expected a positive duration such as 100ms, 2s or 1m"
	zeroDur = "expected a duration such as 30s or 10m, or 0 for none"
)

// loadTest is one case of TestLoad.
type loadTest struct {
	name string
	env  map[string]string
	// want changes the defaults into the expected Config; err is the exact error instead.
	want func(c *Config)
	err  string
}

var loadTests = []loadTest{
	// ZDCD_DATABASE_VAR and the database URL.
	{name: "database url", env: map[string]string{"DATABASE_URL": "postgres://u:p@h:5432/d?sslmode=require"},
		want: func(c *Config) {
			c.Database = &DatabaseURL{Host: "h", Port: 5432, User: "u", Password: NewSecret("p"), Database: "d", Params: map[string]string{"sslmode": "require"}}
		}},
	{name: "database var names another variable",
		env: map[string]string{"ZDCD_DATABASE_VAR": "HEROKU_POSTGRESQL_RED_URL", "HEROKU_POSTGRESQL_RED_URL": "postgresql://u:p@red:5432/r", "DATABASE_URL": "postgres://u:p@other/o"},
		want: func(c *Config) {
			c.DatabaseVar = "HEROKU_POSTGRESQL_RED_URL"
			c.Database = &DatabaseURL{Host: "red", Port: 5432, User: "u", Password: NewSecret("p"), Database: "r", Params: map[string]string{}}
		}},
	{name: "database var holds a URL", env: map[string]string{"ZDCD_DATABASE_VAR": "postgres://u:p@h/d"},
		err: "ZDCD_DATABASE_VAR is invalid: it holds a URL, not a variable name; expected the name of the variable that holds the database URL, such as DATABASE_URL or HEROKU_POSTGRESQL_RED_URL"},
	{name: "database var not a name", env: map[string]string{"ZDCD_DATABASE_VAR": "1DB-URL"},
		err: "ZDCD_DATABASE_VAR is invalid: it is not a variable name (letters, digits and underscores, not starting with a digit); expected the name of the variable that holds the database URL, such as DATABASE_URL or HEROKU_POSTGRESQL_RED_URL"},
	{name: "malformed database url", env: map[string]string{"DATABASE_URL": "mysql://u:p@h/d"},
		err: "DATABASE_URL is malformed: scheme must be postgres:// or postgresql://"},
	{name: "malformed url in the named variable", env: map[string]string{"ZDCD_DATABASE_VAR": "HEROKU_POSTGRESQL_RED_URL", "HEROKU_POSTGRESQL_RED_URL": "postgres://u:p@h:5432"},
		err: "HEROKU_POSTGRESQL_RED_URL is malformed: it names no database; expected postgres://user:password@host:5432/database"},
	{name: "database url with a line break", env: map[string]string{"DATABASE_URL": "postgres://u:p@h/d\nx"},
		err: "DATABASE_URL is invalid: it contains a control character (a line break?); expected a single-line value"},
	{name: "database alias", env: map[string]string{"ZDCD_DATABASE_ALIAS": "replica"}, want: func(c *Config) { c.DatabaseAlias = "replica" }},
	{name: "database alias with space", env: map[string]string{"ZDCD_DATABASE_ALIAS": "my db"},
		err: "ZDCD_DATABASE_ALIAS is invalid: it contains whitespace; expected a key of Django's DATABASES, such as default"},
	{name: "database addon", env: map[string]string{"ZDCD_DATABASE_ADDON": "postgresql-curved-12345"}, want: func(c *Config) { c.DatabaseAddon = "postgresql-curved-12345" }},
	{name: "database addon uuid", env: map[string]string{"ZDCD_DATABASE_ADDON": "6f9e1c7a-4f1e-4d4b-9a57-0c7c9a3c2b11"}, want: func(c *Config) { c.DatabaseAddon = "6f9e1c7a-4f1e-4d4b-9a57-0c7c9a3c2b11" }},
	{name: "database addon with a slash", env: map[string]string{"ZDCD_DATABASE_ADDON": "../apps"},
		err: "ZDCD_DATABASE_ADDON is invalid: expected a Heroku Postgres add-on id (a UUID) or name, such as postgresql-curved-12345"},

	// Heroku.
	{name: "app name", env: map[string]string{"HEROKU_APP_NAME": "shop-prod"}, want: func(c *Config) { c.AppName = "shop-prod" }},
	{name: "app name invalid", env: map[string]string{"HEROKU_APP_NAME": "Shop Prod"},
		err: "HEROKU_APP_NAME is invalid: expected the Heroku app's name (lowercase letters, digits and dashes) or id"},
	{name: "app name starting with a dash", env: map[string]string{"HEROKU_APP_NAME": "-shop"},
		err: "HEROKU_APP_NAME is invalid: expected the Heroku app's name (lowercase letters, digits and dashes) or id"},
	{name: "app name with a dash inside", env: map[string]string{"HEROKU_APP_NAME": "shop-prod-2"}, want: func(c *Config) { c.AppName = "shop-prod-2" }},
	{name: "api key trimmed", env: map[string]string{"HEROKU_API_KEY": " HRKU-abc123\n"}, want: func(c *Config) { c.APIKey = NewSecret("HRKU-abc123") }},
	{name: "api key with space", env: map[string]string{"HEROKU_API_KEY": "HRKU-abc 123"},
		err: "HEROKU_API_KEY is invalid: it contains whitespace; expected the token alone, as printed by heroku authorizations:create"},
	{name: "platform api url", env: map[string]string{"ZDCD_PLATFORM_API_URL": "http://127.0.0.1:8080/"}, want: func(c *Config) { c.PlatformAPIURL = "http://127.0.0.1:8080" }},
	{name: "data api url with path", env: map[string]string{"ZDCD_DATA_API_URL": "https://fake.test/data"}, want: func(c *Config) { c.DataAPIURL = "https://fake.test/data" }},
	{name: "platform api url relative", env: map[string]string{"ZDCD_PLATFORM_API_URL": "api.heroku.com"},
		err: "ZDCD_PLATFORM_API_URL is invalid: scheme must be http:// or https://; expected an absolute http:// or https:// URL such as https://api.heroku.com"},
	{name: "data api url ftp", env: map[string]string{"ZDCD_DATA_API_URL": "ftp://api.data.heroku.com"},
		err: "ZDCD_DATA_API_URL is invalid: scheme must be http:// or https://; expected an absolute http:// or https:// URL such as https://api.data.heroku.com"},
	{name: "api url without host", env: map[string]string{"ZDCD_PLATFORM_API_URL": "https:///v1"},
		err: "ZDCD_PLATFORM_API_URL is invalid: it names no host; expected an absolute http:// or https:// URL such as https://api.heroku.com"},
	{name: "api url with credentials", env: map[string]string{"ZDCD_PLATFORM_API_URL": "https://me:tok@api.heroku.com"},
		err: "ZDCD_PLATFORM_API_URL is invalid: it must not contain a user name or password (HEROKU_API_KEY is sent as the token); expected an absolute http:// or https:// URL such as https://api.heroku.com"},
	{name: "api url with query", env: map[string]string{"ZDCD_DATA_API_URL": "https://api.data.heroku.com?x=1"},
		err: "ZDCD_DATA_API_URL is invalid: it must not contain a query or fragment; expected an absolute http:// or https:// URL such as https://api.data.heroku.com"},
	{name: "api url unparseable", env: map[string]string{"ZDCD_DATA_API_URL": "https://[::1"},
		err: "ZDCD_DATA_API_URL is invalid: it is not a URL; expected an absolute http:// or https:// URL such as https://api.data.heroku.com"},
	{name: "api timeout", env: map[string]string{"ZDCD_API_TIMEOUT": "90s"}, want: func(c *Config) { c.APITimeout = 90 * time.Second }},
	{name: "api timeout zero", env: map[string]string{"ZDCD_API_TIMEOUT": "0"}, err: `ZDCD_API_TIMEOUT is invalid: "0" is zero; ` + posDur},

	// Approvals.
	{name: "nightly true", env: map[string]string{"NIGHTLY_BUILD": "true"}, want: func(c *Config) { c.NightlyBuild = true }},
	{name: "nightly 1", env: map[string]string{"NIGHTLY_BUILD": "1"}, want: func(c *Config) { c.NightlyBuild = true }},
	{name: "nightly TRUE", env: map[string]string{"NIGHTLY_BUILD": "TRUE"}, want: func(c *Config) { c.NightlyBuild = true }},
	{name: "nightly false", env: map[string]string{"NIGHTLY_BUILD": "false"}, want: func(c *Config) {}},
	{name: "nightly 0", env: map[string]string{"NIGHTLY_BUILD": "0"}, want: func(c *Config) {}},
	{name: "nightly yes", env: map[string]string{"NIGHTLY_BUILD": "yes"}, err: `NIGHTLY_BUILD is invalid: "yes"; expected true, false, 1 or 0`},
	{name: "allow", env: map[string]string{"ZDCD_ALLOW": " shop.0007_remove_price , billing.0002_x:index-create-blocking,"},
		want: func(c *Config) {
			c.Allow = []Allow{{App: "shop", Migration: "0007_remove_price"}, {App: "billing", Migration: "0002_x", Rule: "index-create-blocking"}}
		}},
	{name: "enable rules", env: map[string]string{"ZDCD_ENABLE_RULES": " require-table-schema ,"},
		want: func(c *Config) { c.EnableRules = []string{"require-table-schema"} }},
	{name: "enable rules bad name", env: map[string]string{"ZDCD_ENABLE_RULES": "Require_Table"},
		err: `ZDCD_ENABLE_RULES is invalid: item "Require_Table" is not a rule name (kebab-case: lowercase letters, digits and dashes); expected a comma-separated list such as require-table-schema`},
	{name: "allow without dot", env: map[string]string{"ZDCD_ALLOW": "shop.0001_initial,shop-0007"},
		err: `ZDCD_ALLOW is invalid: item "shop-0007" has no '.' between app label and migration name; expected app.migration or app.migration:rule, such as shop.0007_remove_price or shop.0007_remove_price:remove-field`},
	{name: "allow bad app label", env: map[string]string{"ZDCD_ALLOW": "1shop.0007"},
		err: `ZDCD_ALLOW is invalid: item "1shop.0007" has an invalid app label (letters, digits and underscores, not starting with a digit); expected app.migration or app.migration:rule, such as shop.0007_remove_price or shop.0007_remove_price:remove-field`},
	{name: "allow bad migration", env: map[string]string{"ZDCD_ALLOW": "shop.0007-remove"},
		err: `ZDCD_ALLOW is invalid: item "shop.0007-remove" has an invalid migration name (letters, digits and underscores); expected app.migration or app.migration:rule, such as shop.0007_remove_price or shop.0007_remove_price:remove-field`},
	{name: "allow bad rule", env: map[string]string{"ZDCD_ALLOW": "shop.0007:Remove_Field"},
		err: `ZDCD_ALLOW is invalid: item "shop.0007:Remove_Field" has an invalid rule name (kebab-case: lowercase letters, digits and dashes); expected app.migration or app.migration:rule, such as shop.0007_remove_price or shop.0007_remove_price:remove-field`},
	{name: "allow empty rule", env: map[string]string{"ZDCD_ALLOW": "shop.0007:"},
		err: `ZDCD_ALLOW is invalid: item "shop.0007:" has an invalid rule name (kebab-case: lowercase letters, digits and dashes); expected app.migration or app.migration:rule, such as shop.0007_remove_price or shop.0007_remove_price:remove-field`},

	// Django.
	{name: "project dir", env: map[string]string{"ZDCD_PROJECT_DIR": "/app/src"}, want: func(c *Config) { c.ProjectDir = "/app/src" }},
	{name: "python", env: map[string]string{"ZDCD_PYTHON": "/app/.heroku/python/bin/python"}, want: func(c *Config) { c.Python = "/app/.heroku/python/bin/python" }},
	{name: "settings", env: map[string]string{"DJANGO_SETTINGS_MODULE": "shop.settings.production"}, want: func(c *Config) { c.DjangoSettings = "shop.settings.production" }},
	{name: "settings as a file", env: map[string]string{"DJANGO_SETTINGS_MODULE": "shop/settings.py"},
		err: `DJANGO_SETTINGS_MODULE is invalid: "shop/settings.py" is not a dotted module path; expected e.g. myproject.settings`},
	{name: "migrate command", env: map[string]string{"ZDCD_MIGRATE_COMMAND": "bin/migrate --all"}, want: func(c *Config) { c.MigrateCommand = "bin/migrate --all" }},
	{name: "migrate command blank is the default", env: map[string]string{"ZDCD_MIGRATE_COMMAND": "  "}, want: func(c *Config) {}},

	// Locks and timeouts.
	{name: "lock timeout", env: map[string]string{"ZDCD_LOCK_TIMEOUT": "250ms"}, want: func(c *Config) { c.LockTimeout = 250 * time.Millisecond }},
	{name: "lock timeout zero", env: map[string]string{"ZDCD_LOCK_TIMEOUT": "0s"}, err: `ZDCD_LOCK_TIMEOUT is invalid: "0s" is zero; ` + posDur},
	{name: "lock timeout no unit", env: map[string]string{"ZDCD_LOCK_TIMEOUT": "100"}, err: `ZDCD_LOCK_TIMEOUT is invalid: "100" has no unit; ` + posDur},
	{name: "lock timeout garbage", env: map[string]string{"ZDCD_LOCK_TIMEOUT": "fast"}, err: `ZDCD_LOCK_TIMEOUT is invalid: "fast" is not a duration; ` + posDur},
	{name: "lock timeout negative", env: map[string]string{"ZDCD_LOCK_TIMEOUT": "-1s"}, err: `ZDCD_LOCK_TIMEOUT is invalid: "-1s" is negative; ` + posDur},
	{name: "lock timeout below 1ms", env: map[string]string{"ZDCD_LOCK_TIMEOUT": "500us"}, err: `ZDCD_LOCK_TIMEOUT is invalid: "500us" is less than 1ms, PostgreSQL's resolution; ` + posDur},
	{name: "statement timeout", env: map[string]string{"ZDCD_STATEMENT_TIMEOUT": "2h"}, want: func(c *Config) { c.StatementTimeout = 2 * time.Hour }},
	{name: "statement timeout none", env: map[string]string{"ZDCD_STATEMENT_TIMEOUT": "0"}, want: func(c *Config) { c.StatementTimeout = 0 }},
	{name: "statement timeout too long", env: map[string]string{"ZDCD_STATEMENT_TIMEOUT": "1000h"},
		err: `ZDCD_STATEMENT_TIMEOUT is invalid: "1000h" is more than PostgreSQL's limit of 596h31m23.647s; ` + zeroDur},
	{name: "lock retries", env: map[string]string{"ZDCD_LOCK_RETRIES": "5"}, want: func(c *Config) { c.LockRetries = 5 }},
	{name: "lock retries zero", env: map[string]string{"ZDCD_LOCK_RETRIES": "0"}, want: func(c *Config) { c.LockRetries = 0 }},
	{name: "lock retries negative", env: map[string]string{"ZDCD_LOCK_RETRIES": "-1"}, err: `ZDCD_LOCK_RETRIES is invalid: "-1" is negative; expected 0 or more, such as 30`},
	{name: "lock retries not a number", env: map[string]string{"ZDCD_LOCK_RETRIES": "many"}, err: `ZDCD_LOCK_RETRIES is invalid: "many" is not a whole number; expected 0 or more, such as 30`},
	{name: "retry delays", env: map[string]string{"ZDCD_LOCK_RETRY_DELAY": "1s", "ZDCD_LOCK_RETRY_MAX_DELAY": "1m"},
		want: func(c *Config) { c.LockRetryDelay = time.Second; c.LockRetryMaxDelay = time.Minute }},
	{name: "retry delay zero", env: map[string]string{"ZDCD_LOCK_RETRY_DELAY": "0"}, err: `ZDCD_LOCK_RETRY_DELAY is invalid: "0" is zero; ` + posDur},
	{name: "retry max delay below delay", env: map[string]string{"ZDCD_LOCK_RETRY_DELAY": "20s"},
		err: `ZDCD_LOCK_RETRY_MAX_DELAY is invalid: 15s is less than ZDCD_LOCK_RETRY_DELAY (20s); expected at least that`},
	{name: "lock wait", env: map[string]string{"ZDCD_LOCK_WAIT": "2m"}, want: func(c *Config) { c.LockWait = 2 * time.Minute }},
	{name: "lock wait zero", env: map[string]string{"ZDCD_LOCK_WAIT": "0"}, want: func(c *Config) { c.LockWait = 0 }},
	{name: "lock wait negative", env: map[string]string{"ZDCD_LOCK_WAIT": "-5s"}, err: `ZDCD_LOCK_WAIT is invalid: "-5s" is negative; ` + zeroDur},
	{name: "release lock wait", env: map[string]string{"ZDCD_RELEASE_LOCK_WAIT": "1h30m"}, want: func(c *Config) { c.ReleaseLockWait = 90 * time.Minute }},
	{name: "release lock wait garbage", env: map[string]string{"ZDCD_RELEASE_LOCK_WAIT": "forever"}, err: `ZDCD_RELEASE_LOCK_WAIT is invalid: "forever" is not a duration; ` + zeroDur},

	// Backup.
	{name: "backup never", env: map[string]string{"ZDCD_BACKUP": "never"}, want: func(c *Config) { c.Backup = BackupNever }},
	{name: "backup unsafe-only", env: map[string]string{"ZDCD_BACKUP": "Unsafe-Only"}, want: func(c *Config) { c.Backup = BackupUnsafeOnly }},
	{name: "backup invalid", env: map[string]string{"ZDCD_BACKUP": "sometimes"}, err: `ZDCD_BACKUP is invalid: "sometimes"; expected always, never or unsafe-only`},
	{name: "maintenance recovery", env: map[string]string{"ZDCD_MAINTENANCE": "Recovery"}, want: func(c *Config) { c.Maintenance = MaintenanceRecovery }},
	{name: "maintenance invalid", env: map[string]string{"ZDCD_MAINTENANCE": "always"}, err: `ZDCD_MAINTENANCE is invalid: "always"; expected unsafe or recovery`},
	{name: "backup dir", env: map[string]string{"ZDCD_BACKUP_DIR": "/tmp/backups"}, want: func(c *Config) { c.BackupDir = "/tmp/backups" }},

	// Nightly (the window's parsing has its own test).
	{name: "release deadline", env: map[string]string{"ZDCD_RELEASE_DEADLINE": "40m"}, want: func(c *Config) { c.ReleaseDeadline = 40 * time.Minute }},
	{name: "release deadline zero", env: map[string]string{"ZDCD_RELEASE_DEADLINE": "0"}, err: `ZDCD_RELEASE_DEADLINE is invalid: "0" is zero; ` + posDur},
	{name: "release deadline of Heroku's hour", env: map[string]string{"ZDCD_RELEASE_DEADLINE": "1h"}, want: func(c *Config) { c.ReleaseDeadline = time.Hour }},
	{name: "release deadline past Heroku's hour", env: map[string]string{"ZDCD_RELEASE_DEADLINE": "90m"}, err: "ZDCD_RELEASE_DEADLINE is invalid: 1h30m is past Heroku's one-hour limit on the release phase, which cannot be extended; expected at most 1h (the default 55m leaves time to record the outcome)"},
	{name: "nightly release timeout", env: map[string]string{"ZDCD_NIGHTLY_RELEASE_TIMEOUT": "90m"}, want: func(c *Config) { c.NightlyReleaseTimeout = 90 * time.Minute }},
	{name: "nightly release timeout zero", env: map[string]string{"ZDCD_NIGHTLY_RELEASE_TIMEOUT": "0"}, err: `ZDCD_NIGHTLY_RELEASE_TIMEOUT is invalid: "0" is zero; ` + posDur},
	{name: "nightly window garbage", env: map[string]string{"ZDCD_NIGHTLY_WINDOW": "nights"}, err: `ZDCD_NIGHTLY_WINDOW is invalid: "nights" is not a range and a zone; expected "HH:MM-HH:MM Zone" with an IANA zone, such as "02:00-05:00 Europe/Paris"`},

	// Several errors at once: every one, in Print's order, one per line.
	{name: "several errors", env: map[string]string{"ZDCD_BACKUP": "x", "NIGHTLY_BUILD": "maybe", "DATABASE_URL": "postgres://h"},
		err: "DATABASE_URL is malformed: it names no database; expected postgres://user:password@host:5432/database\n" +
			`NIGHTLY_BUILD is invalid: "maybe"; expected true, false, 1 or 0` + "\n" +
			`ZDCD_BACKUP is invalid: "x"; expected always, never or unsafe-only`},
}

func TestLoad(t *testing.T) {
	tests := loadTests
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(environ(tt.env))
			if tt.err != "" {
				if err == nil {
					t.Fatalf("Load succeeded, want error %q", tt.err)
				}
				if err.Error() != tt.err {
					t.Errorf("error\n got %q\nwant %q", err, tt.err)
				}
				var ce *Error
				if !errors.As(err, &ce) {
					t.Errorf("error is %T, not a *config.Error", err)
				}
				if c != nil {
					t.Errorf("Load returned a config with its error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := Defaults()
			tt.want(want)
			if got, want := withoutSources(c), withoutSources(want); !reflect.DeepEqual(got, want) {
				t.Errorf("config\n got %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestRequireDatabase(t *testing.T) {
	env := map[string]string{"ZDCD_DATABASE_VAR": "HEROKU_POSTGRESQL_RED_URL"}
	c, err := Load(environ(env))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RequireDatabase()
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != "HEROKU_POSTGRESQL_RED_URL" {
		t.Fatalf("RequireDatabase: %v", err)
	}
	want := "HEROKU_POSTGRESQL_RED_URL is not set: ZDCD_DATABASE_VAR names it as the variable holding the database's URL; set it, or point ZDCD_DATABASE_VAR at the variable that holds the URL"
	if err.Error() != want {
		t.Errorf("got %q\nwant %q", err, want)
	}

	env["HEROKU_POSTGRESQL_RED_URL"] = "postgres://u:p@h/d"
	if c, err = Load(environ(env)); err != nil {
		t.Fatal(err)
	}
	d, err := c.RequireDatabase()
	if err != nil || d.ConnString() != "postgres://u:p@h:5432/d" {
		t.Errorf("RequireDatabase = %v, %v", d, err)
	}
}

func TestErrorsUnwrap(t *testing.T) {
	_, err := Load(environ(map[string]string{"ZDCD_LOCK_RETRIES": "x", "ZDCD_BACKUP": "y"}))
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("want Errors of 2, got %T %v", err, err)
	}
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != "ZDCD_LOCK_RETRIES" {
		t.Errorf("errors.As(*Error) = %v", ce)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "ZDCD_") {
			t.Errorf("line does not start with the variable: %q", line)
		}
	}
}

func mustDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestLoadReadsOnlyItsEnvironment checks that Load reads the environment it is given, never the
// process's, and that the last of a key given twice wins (as in a child's environment).
func TestLoadReadsOnlyItsEnvironment(t *testing.T) {
	t.Setenv("ZDCD_LOCK_RETRIES", "7")
	c, err := Load(nil)
	if err != nil || c.LockRetries != DefaultLockRetries {
		t.Fatalf("Load(nil) = %v, %v: it read the process environment", c.LockRetries, err)
	}
	c, err = Load([]string{"ZDCD_LOCK_RETRIES=3", "NOEQUALS", "ZDCD_LOCK_RETRIES=5"})
	if err != nil || c.LockRetries != 5 {
		t.Fatalf("Load = %v, %v; want 5, the last", c.LockRetries, err)
	}
}

// TestRedactorOfLoadedEnvironment checks that Config.Redactor learns the secrets of the
// environment Load read: the variables the table marks secret and every database URL's password.
func TestRedactorOfLoadedEnvironment(t *testing.T) {
	const apiKey, other, pw = "HRKU-0123456789", "otherpass99", "mainpass77"
	t.Setenv("HEROKU_API_KEY", "process-key-not-loaded")
	c, err := Load(environ(map[string]string{
		"HEROKU_API_KEY":               apiKey,
		"DATABASE_URL":                 "postgres://u:" + pw + "@h/d",
		"DATABASE_CONNECTION_POOL_URL": "postgres://u:" + other + "@pool/d",
	}))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Redactor().Redact(apiKey + " " + other + " " + pw + " process-key-not-loaded")
	if want := "******** ******** ******** process-key-not-loaded"; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
	if got := Defaults().Redactor().Redact(apiKey); got != apiKey {
		t.Errorf("Defaults().Redactor() knows secrets it was never given: %q", got)
	}
}
