package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestPrint(t *testing.T) {
	c, err := Load(environ(map[string]string{
		"DATABASE_URL":           "postgres://u8ab:hunter2@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d9kq?sslmode=require",
		"HEROKU_APP_NAME":        "shop-prod",
		"HEROKU_API_KEY":         "HRKU-topsecret",
		"ZDCD_LOCK_TIMEOUT":      "200ms",
		"ZDCD_STATEMENT_TIMEOUT": "0",
		"ZDCD_ALLOW":             "shop.0007_remove_price:remove-field, shop.0008_x",
		"ZDCD_BACKUP":            "always",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := c.Print(&b); err != nil {
		t.Fatal(err)
	}
	want := `# Database
ZDCD_DATABASE_VAR=DATABASE_URL (default)
DATABASE_URL=postgres://u8ab:********@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d9kq?sslmode=require
ZDCD_DATABASE_ALIAS=default (default)
ZDCD_DATABASE_ADDON=(default: the Heroku Postgres add-on attached as DATABASE_URL)

# Heroku
HEROKU_APP_NAME=shop-prod
HEROKU_API_KEY=********
ZDCD_PLATFORM_API_URL=https://api.heroku.com (default)
ZDCD_DATA_API_URL=https://api.data.heroku.com (default)
ZDCD_API_TIMEOUT=5m (default)
ZDCD_API_POLL_INTERVAL=3s (default)

# Approvals
NIGHTLY_BUILD=false (default)
ZDCD_ALLOW=shop.0007_remove_price:remove-field,shop.0008_x
ZDCD_ENABLE_RULES=(default: none (opt-in rules off))

# Django
ZDCD_PROJECT_DIR=. (default)
ZDCD_PYTHON=(default: python, then python3, on PATH)
DJANGO_SETTINGS_MODULE=(default: the one manage.py sets)
ZDCD_MIGRATE_COMMAND=python manage.py migrate --noinput (default)

# Locks and timeouts
ZDCD_LOCK_TIMEOUT=200ms
ZDCD_STATEMENT_TIMEOUT=0
ZDCD_LOCK_RETRIES=30 (default)
ZDCD_LOCK_RETRY_DELAY=500ms (default)
ZDCD_LOCK_RETRY_MAX_DELAY=15s (default)
ZDCD_LOCK_WAIT=30s (default)
ZDCD_RELEASE_LOCK_WAIT=10m (default)
ZDCD_RELEASE_DEADLINE=55m (default)

# Backup
ZDCD_BACKUP=always
ZDCD_BACKUP_DIR=(default: a temporary directory)
ZDCD_MAINTENANCE=unsafe (default)

# Nightly
ZDCD_NIGHTLY_WINDOW=(default: any time)
ZDCD_NIGHTLY_RELEASE_TIMEOUT=1h (default)
`
	if b.String() != want {
		t.Errorf("Print:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestPrintUnset(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := c.Print(&b); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"DATABASE_URL=(unset)\n", "HEROKU_APP_NAME=(unset)\n", "HEROKU_API_KEY=(unset)\n", "ZDCD_LOCK_TIMEOUT=100ms (default)\n", "ZDCD_ALLOW=(default: none)\n"} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("Print lacks %q:\n%s", line, b.String())
		}
	}
}

func TestPrintJSON(t *testing.T) {
	c, err := Load(environ(map[string]string{"HEROKU_API_KEY": "HRKU-topsecret", "ZDCD_LOCK_RETRIES": "3"}))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := c.PrintJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got []Setting
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("PrintJSON is not a JSON array of settings: %v\n%s", err, b.String())
	}
	if len(got) != len(c.Settings()) {
		t.Errorf("PrintJSON has %d settings, Settings %d", len(got), len(c.Settings()))
	}
	byName := map[string]Setting{}
	for _, s := range got {
		byName[s.Name] = s
	}
	checks := map[string]Setting{
		"HEROKU_API_KEY":    {Name: "HEROKU_API_KEY", Value: "********", Source: FromEnv, Group: "Heroku"},
		"ZDCD_LOCK_RETRIES": {Name: "ZDCD_LOCK_RETRIES", Value: "3", Source: FromEnv, Group: "Locks and timeouts"},
		"ZDCD_LOCK_TIMEOUT": {Name: "ZDCD_LOCK_TIMEOUT", Value: "100ms", Source: FromDefault, Group: "Locks and timeouts"},
		"ZDCD_PYTHON":       {Name: "ZDCD_PYTHON", Source: FromDefault, Note: "python, then python3, on PATH", Group: "Django"},
		"DATABASE_URL":      {Name: "DATABASE_URL", Source: Unset, Group: "Database"},
	}
	for name, want := range checks {
		if byName[name] != want {
			t.Errorf("%s = %+v, want %+v", name, byName[name], want)
		}
	}
}

// TestSettingsCoverEveryVariable checks that Print shows every variable envconfig reads, once.
func TestSettingsCoverEveryVariable(t *testing.T) {
	seen := map[string]int{}
	for _, s := range Defaults().Settings() {
		seen[s.Name]++
	}
	for i := range variables {
		name := variables[i].name
		if seen[name] != 1 {
			t.Errorf("%s appears %d times in Settings", name, seen[name])
		}
		delete(seen, name)
	}
	for name := range seen {
		t.Errorf("Settings shows %s, which Load does not read", name)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[string]string{"100ms": "100ms", "30m": "30m", "1h": "1h", "1h30m": "1h30m", "90s": "1m30s", "0": "0", "2m0.5s": "2m0.5s"} {
		if got := formatDuration(mustDuration(t, d)); got != want {
			t.Errorf("formatDuration(%s) = %s, want %s", d, got, want)
		}
	}
}

// The secrets of TestNoSecretLeaks and TestNoSecretInErrors.
const leakPassword, leakAPIKey, leakSSLKey = "hunter2pw", "HRKU-topsecret", "sslk3y"

// leaks fails t when s holds one of the secrets.
func leaks(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{leakPassword, leakAPIKey, leakSSLKey} {
		if strings.Contains(s, secret) {
			t.Errorf("%s leaks %q:\n%s", what, secret, s)
		}
	}
}

// TestNoSecretLeaks checks every way a secret of a loaded Config could get out: Print, PrintJSON,
// fmt verbs on the Config and its parts, JSON and slog.
func TestNoSecretLeaks(t *testing.T) {
	c, err := Load(environ(map[string]string{
		"DATABASE_URL":   "postgres://user:" + leakPassword + "@host:5432/db?sslmode=require&sslpassword=" + leakSSLKey,
		"HEROKU_API_KEY": leakAPIKey,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.APIKey.Reveal() != leakAPIKey || c.Database.Password.Reveal() != leakPassword || !strings.Contains(c.Database.ConnString(), leakPassword) {
		t.Fatal("the secrets are not available to the code that needs them")
	}
	var p, pj bytes.Buffer
	if err := c.Print(&p); err != nil {
		t.Fatal(err)
	}
	if err := c.PrintJSON(&pj); err != nil {
		t.Fatal(err)
	}
	leaks(t, "Print", p.String())
	leaks(t, "PrintJSON", pj.String())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%10.3v"} {
		leaks(t, verb+" of *Config", fmt.Sprintf(verb, c))
		leaks(t, verb+" of Config", fmt.Sprintf(verb, *c))
		leaks(t, verb+" of DatabaseURL", fmt.Sprintf(verb, *c.Database))
		leaks(t, verb+" of *DatabaseURL", fmt.Sprintf(verb, c.Database))
		leaks(t, verb+" of Secret", fmt.Sprintf(verb, c.APIKey))
		leaks(t, verb+" of password", fmt.Sprintf(verb, c.Database.Password))
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	leaks(t, "json.Marshal(Config)", string(js))
	var lb bytes.Buffer
	slog.New(slog.NewTextHandler(&lb, nil)).Info("config", "cfg", c, "key", c.APIKey, "db", c.Database)
	slog.New(slog.NewJSONHandler(&lb, nil)).Info("config", "cfg", c, "key", c.APIKey, "db", c.Database)
	leaks(t, "slog", lb.String())
	if !strings.Contains(fmt.Sprint(c.APIKey), "********") {
		t.Errorf("a set secret does not print as ********")
	}
}

// TestNoSecretInErrors checks that no error of Load quotes a secret.
func TestNoSecretInErrors(t *testing.T) {
	errorCases := []map[string]string{
		{"DATABASE_URL": "mysql://user:" + leakPassword + "@host/db"},
		{"DATABASE_URL": "postgres://user:" + leakPassword + "@host:bad/db"},
		{"DATABASE_URL": "postgres://user:" + leakPassword + "%zz@host/db"},
		{"DATABASE_URL": "postgres://user:" + leakPassword + "@host"},
		{"DATABASE_URL": "postgres://user:" + leakPassword + "#@host/db"},
		{"DATABASE_URL": "postgres://user:" + leakPassword + "@host/db?sslpassword=" + leakSSLKey + "%"},
		{"DATABASE_URL": leakPassword},
		{"DATABASE_URL": "postgres://user:" + leakPassword + "@host/db\n"}, // trimmed: valid
		{"DATABASE_URL": "postgres://user:" + leakPassword + "@host/\x01db"},
		{"ZDCD_DATABASE_VAR": "postgres://user:" + leakPassword + "@host/db"},
		{"ZDCD_DATABASE_VAR": leakPassword + "!"},
		{"HEROKU_API_KEY": leakAPIKey + " x"},
		{"HEROKU_API_KEY": leakAPIKey + "\x01"},
		{"HEROKU_APP_NAME": leakAPIKey},
		{"ZDCD_PLATFORM_API_URL": "https://me:" + leakAPIKey + "@api.heroku.com"},
		{"ZDCD_DATA_API_URL": "ftp://me:" + leakAPIKey + "@x"},
		{"ZDCD_DATABASE_ADDON": leakAPIKey + "/x"},
	}
	for i, env := range errorCases {
		t.Run(fmt.Sprintf("error %d", i), func(t *testing.T) {
			env["HEROKU_API_KEY"] = firstNonEmpty(env["HEROKU_API_KEY"], leakAPIKey)
			env["NIGHTLY_BUILD"] = "bad" // a second error, so the message joins several
			_, err := Load(environ(env))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			leaks(t, "error", err.Error())
			leaks(t, "%+v of error", fmt.Sprintf("%+v", err))
		})
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestSecret(t *testing.T) {
	var empty Secret
	if empty.String() != "" || empty.IsSet() || fmt.Sprint(empty) != "" {
		t.Errorf("empty secret prints %q", fmt.Sprint(empty))
	}
	s := NewSecret("v")
	if got := fmt.Sprintf("%#v", s); got != `config.Secret("********")` {
		t.Errorf("%%#v = %s", got)
	}
	if got := fmt.Sprintf("%q", s); got != `"********"` {
		t.Errorf("%%q = %s", got)
	}
	if b, _ := json.Marshal(map[string]Secret{"k": s}); string(b) != `{"k":"********"}` {
		t.Errorf("json = %s", b)
	}
}
