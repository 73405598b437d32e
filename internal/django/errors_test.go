package django

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/childenv"
	"github.com/zdcd/zdcd/internal/pgtest"
)

// fakePython writes an executable shell script into a temporary directory and returns its path.
func fakePython(t testing.TB, name, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// pythonWithoutDjango is the real interpreter without site-packages: it cannot import django.
func pythonWithoutDjango(t testing.TB, name string) string {
	return fakePython(t, name, fmt.Sprintf(`exec %s -S "$@"`, testPython()))
}

// replaceInFile replaces old (which must occur) in a project file.
func replaceInFile(t testing.TB, dir, rel, old, new string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", rel, old)
	}
	writeFile(t, dir, rel, strings.Replace(string(b), old, new, 1))
}

func TestPlanErrors(t *testing.T) {
	const secret = "Sup3rSecretPassw0rd"
	tests := []struct {
		name string
		// setup returns the source to plan; dir is a fresh copy of the sample project and db a
		// fresh database.
		setup   func(t *testing.T, dir, db string) *Source
		kind    string
		message string   // exact Message, when set
		contain []string // substrings of Error()
		absent  []string // strings Error() must not contain
		file    string
		line    func(t *testing.T, dir string) int
	}{
		{
			name: "no manage.py",
			setup: func(t *testing.T, dir, db string) *Source {
				s := newSource(t, filepath.Join(dir, "sampleproject"), db)
				return s
			},
			kind:    KindNoManagePy,
			contain: []string{"no manage.py in ", "sampleproject: run zdcd-release from your Django project directory, or set ZDCD_PROJECT_DIR"},
		},
		{
			name: "ZDCD_PYTHON does not exist",
			setup: func(t *testing.T, dir, db string) *Source {
				s := newSource(t, dir, db)
				s.Python = "/nonexistent/bin/python3"
				return s
			},
			kind:    KindNoPython,
			contain: []string{"no Python that can import django: tried ZDCD_PYTHON=/nonexistent/bin/python3 (/nonexistent/bin/python3: no such file); set ZDCD_PYTHON to the interpreter of your Django project"},
		},
		{
			name: "ZDCD_PYTHON cannot import django",
			setup: func(t *testing.T, dir, db string) *Source {
				s := newSource(t, dir, db)
				s.Python = pythonWithoutDjango(t, "python3")
				return s
			},
			kind:    KindNoPython,
			contain: []string{"tried ZDCD_PYTHON=", "cannot import django (No module named 'django')", "set ZDCD_PYTHON"},
		},
		{
			name: "ZDCD_PYTHON is authoritative: no fallback to PATH",
			setup: func(t *testing.T, dir, db string) *Source {
				s := newSource(t, dir, db)
				s.Python = pythonWithoutDjango(t, "python")
				s.Env = childenv.Set(s.Env, "PATH", filepath.Dir(testPython()))
				return s
			},
			kind:    KindNoPython,
			contain: []string{"tried ZDCD_PYTHON="},
			absent:  []string{"python3 ("},
		},
		{
			name: "no python on PATH",
			setup: func(t *testing.T, dir, db string) *Source {
				s := newSource(t, dir, db)
				s.Python = ""
				s.Env = childenv.Set(s.Env, "PATH", t.TempDir())
				return s
			},
			kind:    KindNoPython,
			contain: []string{"tried python (not found on PATH), python3 (not found on PATH); set ZDCD_PYTHON"},
		},
		{
			name: "settings module fails to import",
			setup: func(t *testing.T, dir, db string) *Source {
				replaceInFile(t, dir, "sampleproject/settings.py", "BASE_DIR = ", "import nonexistent_module_xyz\nBASE_DIR = ")
				return newSource(t, dir, db)
			},
			kind:    KindSettings,
			message: "ModuleNotFoundError: No module named 'nonexistent_module_xyz'",
			contain: []string{`settings module "sampleproject.settings" failed to import: ModuleNotFoundError: No module named 'nonexistent_module_xyz'`},
			file:    "sampleproject/settings.py",
			line: func(t *testing.T, dir string) int {
				return lineOf(t, dir, "sampleproject/settings.py", "import nonexistent_module_xyz", 1)
			},
		},
		{
			name: "settings raise: DATABASE_URL unset",
			setup: func(t *testing.T, dir, db string) *Source {
				return newSource(t, dir, "")
			},
			kind:    KindSettings,
			contain: []string{`settings module "sampleproject.settings" failed to import: django.core.exceptions.ImproperlyConfigured: DATABASE_URL is not set`},
			file:    "sampleproject/settings.py",
		},
		{
			name: "settings override names a missing module",
			setup: func(t *testing.T, dir, db string) *Source {
				s := newSource(t, dir, db)
				s.Settings = "nosuchproject.settings"
				return s
			},
			kind:    KindSettings,
			message: "ModuleNotFoundError: No module named 'nosuchproject'",
			contain: []string{`settings module "nosuchproject.settings" failed to import`},
		},
		{
			name: "no settings module",
			setup: func(t *testing.T, dir, db string) *Source {
				replaceInFile(t, dir, "manage.py", `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleproject.settings")`, "pass")
				return newSource(t, dir, db)
			},
			kind:    KindNoSettings,
			contain: []string{"no Django settings module: DJANGO_SETTINGS_MODULE is not set and manage.py does not set it; set DJANGO_SETTINGS_MODULE"},
		},
		{
			name: "an app's models fail to import",
			setup: func(t *testing.T, dir, db string) *Source {
				replaceInFile(t, dir, "blog/models.py", "class Tag(", "raise RuntimeError('blog models are broken')\n\n\nclass Tag(")
				return newSource(t, dir, db)
			},
			kind:    KindSetup,
			message: "RuntimeError: blog models are broken",
			file:    "blog/models.py",
			line: func(t *testing.T, dir string) int {
				return lineOf(t, dir, "blog/models.py", "raise RuntimeError", 1)
			},
		},
		{
			name: "migration with a syntax error",
			setup: func(t *testing.T, dir, db string) *Source {
				replaceInFile(t, dir, "shop/migrations/0008_order_reporting_sql.py", "    operations = [", "    operations = [[[\n        )")
				return newSource(t, dir, db)
			},
			kind:    KindMigrationSyntax,
			contain: []string{"migration shop/migrations/0008_order_reporting_sql.py line ", ": SyntaxError: "},
			file:    "shop/migrations/0008_order_reporting_sql.py",
			line: func(t *testing.T, dir string) int {
				return lineOf(t, dir, "shop/migrations/0008_order_reporting_sql.py", "        )", 1)
			},
		},
		{
			name: "migration importing a missing module",
			setup: func(t *testing.T, dir, db string) *Source {
				replaceInFile(t, dir, "blog/migrations/0003_post_published_index.py", "from django.db import", "import nonexistent_dep_xyz\nfrom django.db import")
				return newSource(t, dir, db)
			},
			kind:    KindMigrationImport,
			message: "ModuleNotFoundError: No module named 'nonexistent_dep_xyz'",
			contain: []string{"migration blog/migrations/0003_post_published_index.py line 3 failed to import: ModuleNotFoundError: No module named 'nonexistent_dep_xyz'"},
			file:    "blog/migrations/0003_post_published_index.py",
			line:    func(t *testing.T, dir string) int { return 3 },
		},
		{
			name: "migration raising on import",
			setup: func(t *testing.T, dir, db string) *Source {
				replaceInFile(t, dir, "accounts/migrations/0004_customer_is_vip.py", "class Migration(", "raise ValueError('no')\n\n\nclass Migration(")
				return newSource(t, dir, db)
			},
			kind:    KindMigrationImport,
			message: "ValueError: no",
			file:    "accounts/migrations/0004_customer_is_vip.py",
			line: func(t *testing.T, dir string) int {
				return lineOf(t, dir, "accounts/migrations/0004_customer_is_vip.py", "raise ValueError", 1)
			},
		},
		{
			name: "conflicting leaf migrations",
			setup: func(t *testing.T, dir, db string) *Source {
				for _, name := range []string{"0013_order_a", "0013_order_b"} {
					writeFile(t, dir, "shop/migrations/"+name+".py", "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [('shop', '0012_order_total')]\n    operations = []\n")
				}
				return newSource(t, dir, db)
			},
			kind:    KindConflict,
			message: "shop: 0013_order_a, 0013_order_b",
			contain: []string{"conflicting migrations (several leaf nodes) in shop: 0013_order_a, 0013_order_b; run python manage.py makemigrations --merge"},
		},
		{
			name: "dependency on a missing migration",
			setup: func(t *testing.T, dir, db string) *Source {
				replaceInFile(t, dir, "blog/migrations/0005_alter_post_title_length.py", "('blog', '0004_delete_legacycomment')", "('blog', '0004_delete_legacycomment'), ('shop', '0099_missing')")
				return newSource(t, dir, db)
			},
			kind:    KindMigrationGraph,
			contain: []string{"broken migration graph: ", "0099_missing"},
		},
		{
			name: "inconsistent history",
			setup: func(t *testing.T, dir, db string) *Source {
				baseline(t, dir, db)
				execSQL(t, db, "INSERT INTO django_migrations (app, name, applied) VALUES ('blog', '0003_post_published_index', now())")
				return newSource(t, dir, db)
			},
			kind:    KindInconsistentHistory,
			contain: []string{"inconsistent migration history: Migration blog.0003_post_published_index is applied before its dependency blog.0002_post_featured_product"},
		},
		{
			name: "database unreachable",
			setup: func(t *testing.T, dir, db string) *Source {
				return newSource(t, dir, "postgres://zdcd:"+secret+"@127.0.0.1:1/nothing?sslmode=disable")
			},
			kind:    KindDatabase,
			contain: []string{`Django cannot use database alias "default": `, "127.0.0.1", "check DATABASE_URL"},
			absent:  []string{secret},
		},
		{
			name: "wrong password",
			setup: func(t *testing.T, dir, db string) *Source {
				u, err := url.Parse(db)
				if err != nil {
					t.Fatal(err)
				}
				u.User = url.UserPassword(u.User.Username(), secret)
				return newSource(t, dir, u.String())
			},
			kind:    KindDatabase,
			contain: []string{"password authentication failed"},
			absent:  []string{secret},
		},
		{
			name: "not PostgreSQL",
			setup: func(t *testing.T, dir, db string) *Source {
				writeFile(t, dir, "sampleproject/settings_sqlite.py", "from .settings import *  # noqa\n\nDATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}}\n")
				s := newSource(t, dir, db)
				s.Settings = "sampleproject.settings_sqlite"
				return s
			},
			kind:    KindNotPostgreSQL,
			message: "sqlite",
			contain: []string{`database alias "default" uses the sqlite backend: zdcd supports PostgreSQL only`},
		},
		{
			name: "unknown alias",
			setup: func(t *testing.T, dir, db string) *Source {
				s := newSource(t, dir, db)
				s.Alias = "replica"
				return s
			},
			kind:    KindDatabaseAlias,
			contain: []string{`database alias "replica" is not in settings.DATABASES (DATABASES has default)`},
		},
		{
			name: "helper crash",
			setup: func(t *testing.T, dir, db string) *Source {
				s := newSource(t, dir, db)
				s.Python = fakePython(t, "python3", `echo "Traceback (most recent call last):" >&2; echo "RuntimeError: kaboom postgres://u:`+secret+`@h/db" >&2; exit 13`)
				return s
			},
			kind:    KindCrash,
			contain: []string{"the Django helper failed: exit status 13: RuntimeError: kaboom postgres://u:xxxxx@h/db"},
			absent:  []string{secret},
		},
		{
			name: "helper prints garbage",
			setup: func(t *testing.T, dir, db string) *Source {
				s := newSource(t, dir, db)
				s.Python = fakePython(t, "python3", `echo "not json"`)
				return s
			},
			kind:    KindCrash,
			contain: []string{"cannot decode the helper's plan"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copySample(t)
			db := pgtest.NewDatabase(t)
			s := tt.setup(t, dir, db)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			p, err := s.Plan(ctx)
			if err == nil {
				t.Fatalf("Plan succeeded with %d migrations, want a %s error", len(p.Migrations), tt.kind)
			}
			var derr *Error
			if !errors.As(err, &derr) {
				t.Fatalf("error %T %v, want *django.Error", err, err)
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			if derr.Kind != tt.kind {
				t.Errorf("kind = %q, want %q (%s)", derr.Kind, tt.kind, msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("Error() has several lines: %q", msg)
			}
			if tt.message != "" && derr.Message != tt.message {
				t.Errorf("message = %q, want %q", derr.Message, tt.message)
			}
			for _, want := range tt.contain {
				if !strings.Contains(msg, want) {
					t.Errorf("Error() = %q, want it to contain %q", msg, want)
				}
			}
			absent := tt.absent
			if u, err := url.Parse(db); err == nil {
				if pw, ok := u.User.Password(); ok {
					absent = append(absent, pw)
				}
			}
			for _, bad := range absent {
				if strings.Contains(msg, bad) {
					t.Errorf("Error() = %q contains %q", msg, bad)
				}
			}
			if tt.file != "" && derr.File != tt.file {
				t.Errorf("file = %q, want %q", derr.File, tt.file)
			}
			if tt.line != nil {
				if want := tt.line(t, dir); derr.Line != want {
					t.Errorf("line = %d, want %d", derr.Line, want)
				}
			}
		})
	}
}
