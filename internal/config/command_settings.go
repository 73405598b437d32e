package config

import (
	"path"
	"strings"
)

// What ZDCD_MIGRATE_COMMAND says about the Django settings module. zdcd plans with the module the
// migrate command will use, so it reads it from the command as Django does:
//
//   - `--settings X` / `--settings=X` anywhere in the command's words: Django's ManagementUtility
//     parses exactly that option (allow_abbrev=False, the last one wins as with any argparse
//     option) from the words after the subcommand, and handle_default_options assigns
//     os.environ["DJANGO_SETTINGS_MODULE"] = X after manage.py ran its own code and before the
//     settings are first read: it wins over the environment and over manage.py
//     (https://github.com/django/django/blob/stable/3.2.x/django/core/management/__init__.py,
//     ManagementUtility.execute; https://github.com/django/django/blob/stable/3.2.x/django/core/management/base.py,
//     handle_default_options; unchanged through 5.x). An abbreviation (`--sett=X`) is applied
//     only by the subcommand's own parser, after the settings were read: it changes nothing,
//     and zdcd ignores it as Django does. Words after `--` are positional for argparse.
//   - A leading `env DJANGO_SETTINGS_MODULE=X`: X is the migrate command's environment value
//     (a setdefault in manage.py keeps it, an assignment replaces it).
//   - A shell -c script that mentions DJANGO_SETTINGS_MODULE or --settings: zdcd cannot tell
//     what it sets, and refuses it (checkCommandSettings).

// MigrateSettings is what a migrate command says about DJANGO_SETTINGS_MODULE.
type MigrateSettings struct {
	// Option is the value of its --settings option; "" when it has none.
	Option string
	// Env is the DJANGO_SETTINGS_MODULE its leading `env NAME=value…` sets; "" when none.
	Env string
}

// CommandSettings reads the settings module from a migrate command (ZDCD_MIGRATE_COMMAND, as
// Load accepted it). A command that does not split gives the zero value (Load refused it).
func CommandSettings(command string) MigrateSettings {
	argv, err := SplitCommand(command)
	if err != nil {
		return MigrateSettings{}
	}
	ms, _ := commandSettings(argv)
	return ms
}

// commandSettings reads argv; problem is why the command's settings cannot be told or are
// invalid ("" when fine).
func commandSettings(argv []string) (ms MigrateSettings, problem string) {
	i := 0
	if i < len(argv) && path.Base(argv[i]) == "env" {
		i++
		for ; i < len(argv) && (strings.HasPrefix(argv[i], "-") || strings.Contains(argv[i], "=")); i++ {
			if v, ok := strings.CutPrefix(argv[i], "DJANGO_SETTINGS_MODULE="); ok {
				if !isDottedPath(v) {
					return ms, "is invalid: its env DJANGO_SETTINGS_MODULE=" + quote(v) + " is not a dotted module path; expected e.g. myproject.settings"
				}
				ms.Env = v
			}
		}
	}
	if i < len(argv) && shells[path.Base(argv[i])] {
		for _, a := range argv[i+1:] {
			if strings.Contains(a, "DJANGO_SETTINGS_MODULE") || strings.Contains(a, "--settings") {
				return ms, "is invalid: it chooses the Django settings module inside a shell script, which zdcd cannot read, so it cannot plan with the module migrate will use; set DJANGO_SETTINGS_MODULE as a config var instead (heroku config:set DJANGO_SETTINGS_MODULE=<module>), or pass --settings=<module> to manage.py outside the script"
			}
		}
		return ms, ""
	}
	for j := i + 1; j < len(argv); j++ {
		a := argv[j]
		if a == "--" {
			break
		}
		var v string
		switch {
		case a == "--settings":
			if j+1 >= len(argv) || strings.HasPrefix(argv[j+1], "-") {
				return ms, "is invalid: its --settings has no module after it; expected e.g. --settings=myproject.settings"
			}
			j++
			v = argv[j]
		case strings.HasPrefix(a, "--settings="):
			v = strings.TrimPrefix(a, "--settings=")
		default:
			continue
		}
		if !isDottedPath(v) {
			return ms, "is invalid: its --settings " + quote(v) + " is not a dotted module path; expected e.g. --settings=myproject.settings"
		}
		ms.Option = v // argparse: the last one wins
	}
	return ms, ""
}

// checkCommandSettings validates what argv says about the settings module ("" when fine).
func checkCommandSettings(argv []string) string {
	_, problem := commandSettings(argv)
	return problem
}
