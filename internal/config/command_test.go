package config

import (
	"errors"
	"strings"
	"testing"
)

func TestMigrateCommand(t *testing.T) {
	const (
		ignores = `ZDCD_MIGRATE_COMMAND is invalid: its sh -c script ignores the arguments zdcd appends`
		noZero  = `ZDCD_MIGRATE_COMMAND is invalid: no word follows its sh -c script`
		syntax  = `ZDCD_MIGRATE_COMMAND is invalid: it uses shell syntax`
	)
	tests := []struct {
		cmd string
		// err is a prefix of the one-line error; "" means accepted.
		err string
	}{
		{cmd: "python manage.py migrate --noinput"},
		{cmd: "bin/migrate --all"},
		{cmd: "bash bin/migrate.sh"}, // a script file: checked as it runs
		{cmd: shellWrapHint},
		{cmd: `sh -c 'python manage.py collectstatic --noinput && exec python manage.py migrate --noinput "$@"' sh`},
		{cmd: `sh -c 'exec python manage.py migrate --noinput ${@}' migrate`},
		{cmd: `bash -ec 'python manage.py migrate --noinput $*' bash`},
		{cmd: `/bin/sh -o errexit -c 'python manage.py migrate "$@"' sh`},
		{cmd: `env -i PATH=/usr/bin sh -c 'python manage.py migrate "$@"' sh`},
		{cmd: `bash --norc -c 'python manage.py migrate "$@"' x`},

		{cmd: `sh -c 'python manage.py migrate --noinput'`, err: ignores},
		{cmd: `sh -c 'python manage.py migrate --noinput' sh`, err: ignores},
		{cmd: `bash -c 'python manage.py migrate $1 $2'`, err: ignores},
		{cmd: `/usr/bin/env sh -c 'python manage.py migrate'`, err: ignores},
		{cmd: `env DEBUG=0 bash -ec 'python manage.py migrate'`, err: ignores},
		{cmd: `busybox sh -c 'python manage.py migrate'`, err: ignores},
		{cmd: `sh -c 'python manage.py migrate "$@"'`, err: noZero},
		{cmd: `sh -c`, err: "ZDCD_MIGRATE_COMMAND is invalid: its shell's -c option has no script"},
		{cmd: "python manage.py migrate && echo ok", err: syntax},
		{cmd: "python manage.py migrate; true", err: syntax},
		{cmd: "python manage.py migrate > log", err: syntax},
		{cmd: `python "$MANAGE" migrate`, err: "ZDCD_MIGRATE_COMMAND is invalid: it uses shell expansion"},
		{cmd: "python 'manage.py", err: "ZDCD_MIGRATE_COMMAND is invalid: it ends inside a quote"},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			c, err := Load(environ(map[string]string{"ZDCD_MIGRATE_COMMAND": tt.cmd}))
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if c.MigrateCommand != tt.cmd {
					t.Fatalf("MigrateCommand = %q, want %q", c.MigrateCommand, tt.cmd)
				}
				return
			}
			var ce *Error
			if err == nil || !errors.As(err, &ce) || ce.Var != "ZDCD_MIGRATE_COMMAND" {
				t.Fatalf("Load error = %v, want a *config.Error for ZDCD_MIGRATE_COMMAND", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.err) || strings.Contains(msg, "\n") {
				t.Fatalf("error\n got %q\nwant one line starting %q", msg, tt.err)
			}
			// Every refusal that needs a shell or "$@" suggests the valid form, and that form is
			// itself accepted (it is in the table above).
			if tt.err == syntax || tt.err == ignores || tt.err == noZero {
				if !strings.Contains(msg, shellWrapHint) {
					t.Errorf("error %q does not suggest %s", msg, shellWrapHint)
				}
			}
		})
	}
}
