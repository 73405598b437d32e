// Package childenv builds the environment of the processes zdcd starts (the Django helper, the
// app's migrate command) from an injected environment, never from zdcd's own.
package childenv

import (
	"os"
	"path/filepath"
	"strings"
)

// Value is the value of key in env (the last one wins, as for exec); "" when unset.
func Value(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// Set returns a copy of env with every key= entry replaced by one key=value.
func Set(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if k, _, ok := strings.Cut(kv, "="); ok && k == key {
			continue
		}
		out = append(out, kv)
	}
	return append(out, key+"="+value)
}

// AppendPGOptions returns a copy of env whose PGOPTIONS (libpq's session settings) is the one env
// had, then opts: settings the user already passes are kept, and ours come last so they win.
func AppendPGOptions(env []string, opts string) []string {
	return Set(env, "PGOPTIONS", PGOptions(env, opts))
}

// PGOptions is the PGOPTIONS value AppendPGOptions sets: env's, then opts.
func PGOptions(env []string, opts string) string {
	if old := Value(env, "PGOPTIONS"); old != "" {
		return old + " " + opts
	}
	return opts
}

// LookPath finds an executable file name in the directories of path (a PATH value, not this
// process's) and returns "" when there is none. An empty element, which a shell reads as the
// working directory, is skipped: a project checkout must never shadow an interpreter.
func LookPath(name, path string) string {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0 {
			return p
		}
	}
	return ""
}
