package config

import (
	"errors"
	"strings"
	"testing"
)

// What ZDCD_MIGRATE_COMMAND says about the settings module, read as Django's ManagementUtility
// reads it (command_settings.go).
func TestCommandSettings(t *testing.T) {
	tests := []struct {
		cmd  string
		want MigrateSettings
		err  string // a prefix of the one-line Load error; "" means accepted
	}{
		{cmd: "python manage.py migrate --noinput"},
		{cmd: "python manage.py migrate --noinput --settings=proj.settings.prod", want: MigrateSettings{Option: "proj.settings.prod"}},
		{cmd: "python manage.py migrate --settings proj.settings.prod --noinput", want: MigrateSettings{Option: "proj.settings.prod"}},
		// argparse: the last one wins.
		{cmd: "python manage.py migrate --settings=a.b --settings c.d", want: MigrateSettings{Option: "c.d"}},
		// A wrapper binary passes the words on.
		{cmd: "newrelic-admin run-program python manage.py migrate --settings=proj.prod", want: MigrateSettings{Option: "proj.prod"}},
		// Not --settings: an abbreviation changes nothing in Django (settings are read before the
		// subcommand's parser would apply it); after "--" a word is positional.
		{cmd: "python manage.py migrate --sett=proj.prod"},
		{cmd: "python manage.py migrate -- --settings=proj.prod"},
		{cmd: "env DJANGO_SETTINGS_MODULE=proj.prod python manage.py migrate", want: MigrateSettings{Env: "proj.prod"}},
		{cmd: "env DJANGO_SETTINGS_MODULE=proj.prod python manage.py migrate --settings=proj.other", want: MigrateSettings{Option: "proj.other", Env: "proj.prod"}},
		{cmd: `sh -c 'python manage.py migrate "$@"' sh`},

		{cmd: "python manage.py migrate --settings", err: "ZDCD_MIGRATE_COMMAND is invalid: its --settings has no module after it"},
		{cmd: "python manage.py migrate --settings --noinput", err: "ZDCD_MIGRATE_COMMAND is invalid: its --settings has no module after it"},
		{cmd: "python manage.py migrate --settings=", err: `ZDCD_MIGRATE_COMMAND is invalid: its --settings "" is not a dotted module path`},
		{cmd: "python manage.py migrate --settings=proj/settings.py", err: `ZDCD_MIGRATE_COMMAND is invalid: its --settings "proj/settings.py" is not a dotted module path`},
		{cmd: "env DJANGO_SETTINGS_MODULE=proj/x python manage.py migrate", err: `ZDCD_MIGRATE_COMMAND is invalid: its env DJANGO_SETTINGS_MODULE="proj/x"`},
		{cmd: `sh -c 'export DJANGO_SETTINGS_MODULE=proj.prod; exec python manage.py migrate "$@"' sh`, err: "ZDCD_MIGRATE_COMMAND is invalid: it chooses the Django settings module inside a shell script"},
		{cmd: `bash -c 'exec python manage.py migrate --settings=proj.prod "$@"' bash`, err: "ZDCD_MIGRATE_COMMAND is invalid: it chooses the Django settings module inside a shell script"},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			c, err := Load(environ(map[string]string{"ZDCD_MIGRATE_COMMAND": tt.cmd}))
			if tt.err != "" {
				var ce *Error
				if !errors.As(err, &ce) || ce.Var != "ZDCD_MIGRATE_COMMAND" {
					t.Fatalf("Load error = %v, want a *config.Error for ZDCD_MIGRATE_COMMAND", err)
				}
				if msg := err.Error(); !strings.HasPrefix(msg, tt.err) || strings.Contains(msg, "\n") {
					t.Fatalf("error\n got %q\nwant one line starting %q", msg, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := CommandSettings(c.MigrateCommand); got != tt.want {
				t.Errorf("CommandSettings = %+v, want %+v", got, tt.want)
			}
		})
	}
}
