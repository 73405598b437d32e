package django

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/zdcd/zdcd/internal/config"
)

// Kinds of *Error. The helper reports the kinds from "no_settings" to "not_postgresql"; the Go side
// adds the others.
const (
	// KindNoManagePy: the project directory has no manage.py.
	KindNoManagePy = "no_manage_py"
	// KindNoPython: no candidate interpreter can import django.
	KindNoPython = "no_python"
	// KindNoSettings: DJANGO_SETTINGS_MODULE is not set and manage.py does not set it.
	KindNoSettings = "no_settings"
	// KindAmbiguousSettings: manage.py picks DJANGO_SETTINGS_MODULE at run time (several
	// values, a computed value, or an assignment over the environment's value), so zdcd cannot
	// tell which module migrate will use (File, Line: the first write; Subject: the environment's
	// value, if any). Message is the whole line, written by the helper.
	KindAmbiguousSettings = "ambiguous_settings"
	// KindSettings: the settings module fails to import (Subject is the module).
	KindSettings = "settings"
	// KindSetup: django.setup() fails (an app or models module fails to import, a bad setting).
	KindSetup = "setup"
	// KindMigrationSyntax: a migration file has a SyntaxError (File, Line).
	KindMigrationSyntax = "migration_syntax"
	// KindMigrationImport: a migration module raises on import (File, Line; Subject is the module).
	KindMigrationImport = "migration_import"
	// KindMigrationGraph: a migration depends on a migration that does not exist.
	KindMigrationGraph = "migration_graph"
	// KindConflict: an app has several leaf migrations (Subject lists the apps).
	KindConflict = "conflict"
	// KindInconsistentHistory: django_migrations records a migration applied before a dependency.
	KindInconsistentHistory = "inconsistent_history"
	// KindDatabaseAlias: the alias is not in settings.DATABASES (Subject is the alias).
	KindDatabaseAlias = "database_alias"
	// KindDatabase: Django cannot connect to or read the database (Subject is the alias).
	KindDatabase = "database"
	// KindNotPostgreSQL: the alias uses another backend (Message is its vendor).
	KindNotPostgreSQL = "not_postgresql"
	// KindCrash: the helper failed unexpectedly (a bug of zdcd or an unusual project); Message is
	// the last line of its stderr.
	KindCrash = "crash"
)

// Error is a problem of the Django project or its environment that stops zdcd from planning.
// Nothing was changed. Error() is one line naming the culprit and the fix.
type Error struct {
	Kind    string
	Message string
	// File and Line locate the problem when known; File is relative to the project directory
	// when inside it.
	File string
	Line int
	// Subject is what the error is about: the settings module, the migration module, the
	// database alias, the conflicting apps.
	Subject string
}

func (e *Error) Error() string {
	msg := strings.TrimSuffix(e.Message, ".")
	loc := ""
	if e.File != "" {
		loc = e.File
		if e.Line > 0 {
			loc += fmt.Sprintf(" line %d", e.Line)
		}
	}
	withLoc := func(s string) string {
		if loc == "" {
			return s
		}
		return s + " (" + loc + ")"
	}
	switch e.Kind {
	case KindNoManagePy:
		return fmt.Sprintf("no manage.py in %s: run zdcd-release from your Django project directory, or set ZDCD_PROJECT_DIR", e.Subject)
	case KindNoPython:
		return fmt.Sprintf("no Python that can import django: tried %s; set ZDCD_PYTHON to the interpreter of your Django project", msg)
	case KindNoSettings:
		return fmt.Sprintf("no Django settings module: %s; set DJANGO_SETTINGS_MODULE (e.g. mysite.settings)", msg)
	case KindAmbiguousSettings:
		return msg
	case KindSettings:
		return withLoc(fmt.Sprintf("settings module %q failed to import: %s", e.Subject, msg))
	case KindSetup:
		return withLoc(fmt.Sprintf("django.setup() failed with settings %q: %s", e.Subject, msg))
	case KindMigrationSyntax:
		return fmt.Sprintf("migration %s: %s", loc, msg)
	case KindMigrationImport:
		if loc == "" {
			return fmt.Sprintf("migration module %s failed to import: %s", e.Subject, msg)
		}
		return fmt.Sprintf("migration %s failed to import: %s", loc, msg)
	case KindMigrationGraph:
		return fmt.Sprintf("broken migration graph: %s; restore the missing migration or fix the dependencies", msg)
	case KindConflict:
		return fmt.Sprintf("conflicting migrations (several leaf nodes) in %s; run python manage.py makemigrations --merge and commit the merge migration", msg)
	case KindInconsistentHistory:
		return fmt.Sprintf("inconsistent migration history: %s; the django_migrations table disagrees with the migration files, fix it before deploying", msg)
	case KindDatabaseAlias:
		return fmt.Sprintf("database alias %q is not in settings.DATABASES (%s); choose a defined alias", e.Subject, msg)
	case KindDatabase:
		return fmt.Sprintf("Django cannot use database alias %q: %s; check DATABASE_URL and that the database is reachable", e.Subject, msg)
	case KindNotPostgreSQL:
		return fmt.Sprintf("database alias %q uses the %s backend: zdcd supports PostgreSQL only", e.Subject, msg)
	case KindCrash:
		return fmt.Sprintf("the Django helper failed: %s", msg)
	}
	return withLoc(fmt.Sprintf("django: %s: %s", e.Kind, msg))
}

// scrubber removes database passwords from text: the password part of any URL, and every secret
// of the environment given to the helper, in every encoding config.Redactor knows.
type scrubber struct{ red *config.Redactor }

var urlPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)([^@\s]*)@`)

// newScrubber collects the secrets of env (config.RedactorFromEnv): PGPASSWORD, HEROKU_API_KEY
// and the password of every database URL value.
func newScrubber(env []string) *scrubber {
	return &scrubber{red: config.RedactorFromEnv(env)}
}

func (s *scrubber) scrub(text string) string {
	text = s.red.Redact(text)
	return urlPassword.ReplaceAllString(text, "${1}xxxxx@")
}

func (s *scrubber) scrubError(e *Error) *Error {
	e.Message = s.scrub(e.Message)
	e.File = s.scrub(e.File)
	e.Subject = s.scrub(e.Subject)
	return e
}
