package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/pgtest"
)

// benchMigrations is the size of the generated project.
const benchMigrations = 200

// writeBenchProject generates a Django project with one app whose n migrations each add a
// nullable field (a realistic long history), and returns its directory.
func writeBenchProject(t testing.TB, n int) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"manage.py": `import os, sys
if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproject.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
`,
		"benchproject/__init__.py": "",
		"benchproject/settings.py": `import os
from urllib.parse import urlsplit, unquote
u = urlsplit(os.environ["DATABASE_URL"])
SECRET_KEY = "bench"
INSTALLED_APPS = ["ledger"]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": u.path[1:],
    "USER": unquote(u.username or ""), "PASSWORD": unquote(u.password or ""),
    "HOST": u.hostname, "PORT": u.port or 5432}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
`,
		"ledger/__init__.py":            "",
		"ledger/migrations/__init__.py": "",
	}
	var model strings.Builder
	model.WriteString("from django.db import models\n\n\nclass Entry(models.Model):\n    name = models.CharField(max_length=100)\n")
	files["ledger/migrations/0001_initial.py"] = `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Entry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100)),
            ],
        ),
    ]
`
	prev := "0001_initial"
	for i := 2; i <= n; i++ {
		name := fmt.Sprintf("%04d_entry_field%d", i, i)
		files["ledger/migrations/"+name+".py"] = fmt.Sprintf(`from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", %q)]
    operations = [
        migrations.AddField(model_name="entry", name="field%d", field=models.IntegerField(null=True)),
    ]
`, prev, i)
		model.WriteString(fmt.Sprintf("    field%d = models.IntegerField(null=True)\n", i))
		prev = name
	}
	files["ledger/models.py"] = model.String()
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// timeCommand runs a command and returns its wall time, failing on an unexpected exit code.
func timeCommand(b *testing.B, wantCode int, name string, args []string, dir string, env []string) time.Duration {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	if code != wantCode {
		b.Fatalf("%s %s: exit %d, want %d\n%s", name, strings.Join(args, " "), code, wantCode, out)
	}
	return elapsed
}

// BenchmarkCheck measures `zdcd-release check` beside `python manage.py showmigrations` on the
// same project and database, alternating the two so machine noise hits both alike. It reports
// each one's wall time per run and their ratio (target: at most 1.5 with nothing pending).
//
//	go test ./test/e2e -run '^$' -bench BenchmarkCheck -benchtime 20x
func BenchmarkCheck(b *testing.B) {
	project := writeBenchProject(b, benchMigrations)
	for _, tc := range []struct {
		name    string
		migrate bool // apply everything first: nothing pending
	}{
		{"nothing-pending", true},
		{fmt.Sprintf("%d-pending", benchMigrations), false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			url := pgtest.NewDatabase(b)
			env := baseEnv(url)
			if tc.migrate {
				manage(b, project, url, "migrate", "--noinput")
			}
			// check exits 0 when nothing is pending; with 200 pending AddFields (nullable, no
			// default) the baseline calls them safe too.
			var check, show time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				check += timeCommand(b, 0, binary, []string{"check", "--format", "json"}, project, env)
				show += timeCommand(b, 0, python(), []string{"manage.py", "showmigrations"}, project, env)
			}
			b.ReportMetric(float64(check.Milliseconds())/float64(b.N), "check-ms/op")
			b.ReportMetric(float64(show.Milliseconds())/float64(b.N), "showmigrations-ms/op")
			b.ReportMetric(float64(check)/float64(show), "ratio")
		})
	}
}
