package pgbackup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zdcd/zdcd/internal/childenv"
)

// Tools are the paths of the PostgreSQL client programs a Dumper runs.
type Tools struct {
	PgDump, PgRestore, Psql string
}

// debianLibDir is where Debian's postgresql-client-<v> packages install their programs.
const debianLibDir = "/usr/lib/postgresql"

// FindTools finds pg_dump, pg_restore and psql. binDir, when set, is the only place looked at;
// else $ZDCD_PG_BINDIR of env, when set, is the only place looked at (a tool missing there is an
// error, not a reason to fall back on another version); else each tool is looked up on env's PATH,
// then in the newest /usr/lib/postgresql/<v>/bin that has it. The process's own environment is
// never read.
func FindTools(binDir string, env []string) (Tools, error) {
	return findTools(binDir, env, debianLibDir)
}

func findTools(binDir string, env []string, libDir string) (Tools, error) {
	names := []string{"pg_dump", "pg_restore", "psql"}
	found := make([]string, len(names))
	fixed, from := binDir, "the configured bin directory"
	if fixed == "" {
		fixed, from = childenv.Value(env, "ZDCD_PG_BINDIR"), "ZDCD_PG_BINDIR"
	}
	for i, name := range names {
		if fixed != "" {
			p := filepath.Join(fixed, name)
			if !isExecutable(p) {
				return Tools{}, fmt.Errorf("%s not found in %s (%s): point it at a PostgreSQL bin directory holding pg_dump, pg_restore and psql", name, fixed, from)
			}
			found[i] = p
			continue
		}
		if p := childenv.LookPath(name, childenv.Value(env, "PATH")); p != "" {
			found[i] = p
			continue
		}
		if p := newestLibTool(libDir, name); p != "" {
			found[i] = p
			continue
		}
		return Tools{}, fmt.Errorf("%s not found on PATH nor in %s/*/bin: install postgresql-client or set ZDCD_PG_BINDIR", name, libDir)
	}
	return Tools{PgDump: found[0], PgRestore: found[1], Psql: found[2]}, nil
}

func newestLibTool(libDir, name string) string {
	dirs, _ := filepath.Glob(filepath.Join(libDir, "*", "bin"))
	major := func(dir string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		return v
	}
	sort.Slice(dirs, func(i, j int) bool { return major(dirs[i]) > major(dirs[j]) })
	for _, d := range dirs {
		if p := filepath.Join(d, name); isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// A major version is kept as major*100, plus the minor before PostgreSQL 10 (9.6 is 906), so that
// majors compare as integers across the 10.0 numbering change.

// serverMajor is the major version of a server_version_num (150004 → 1500, 90624 → 906).
func serverMajor(num int) int {
	if num >= 100000 {
		return num / 10000 * 100
	}
	return num / 100
}

// majorString renders a major version: 1500 → "15", 906 → "9.6".
func majorString(m int) string {
	if m >= 1000 {
		return strconv.Itoa(m / 100)
	}
	return fmt.Sprintf("%d.%d", m/100, m%100)
}

var versionRe = regexp.MustCompile(`\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?`)

// parseToolVersion reads the major version out of `pg_dump --version`
// ("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" → 1500, "... 9.6.24" → 906).
func parseToolVersion(out string) (int, error) {
	m := versionRe.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("unrecognised version output %q", strings.TrimSpace(firstLine(out)))
	}
	major, _ := strconv.Atoi(m[1])
	if major >= 10 {
		return major * 100, nil
	}
	minor, _ := strconv.Atoi(m[2])
	return major*100 + minor, nil
}

// toolMajor runs `<tool> --version`.
func toolMajor(ctx context.Context, tool string, env []string) (int, error) {
	cmd := exec.CommandContext(ctx, tool, "--version")
	cmd.Env = env
	cmd.WaitDelay = waitDelay
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("%s --version: %w", tool, err)
	}
	v, err := parseToolVersion(string(out))
	if err != nil {
		return 0, fmt.Errorf("%s --version: %w", tool, err)
	}
	return v, nil
}

// ErrToolTooOld is the error (wrapped) when pg_dump is older than the server: pg_dump refuses
// to dump a newer server.
var ErrToolTooOld = errors.New("pg_dump is older than the server")

// checkDumpVersion fails when pg_dump's major version (toolMajor's unit) is older than the
// server's (a server_version_num).
func checkDumpVersion(tool string, dumpMajor, serverVersionNum int) error {
	sm := serverMajor(serverVersionNum)
	if dumpMajor >= sm {
		return nil
	}
	return fmt.Errorf("%w: %s is version %s but the server is PostgreSQL %s: install postgresql-client-%s (or newer) or set ZDCD_PG_BINDIR to the bin directory of a pg_dump %s or newer",
		ErrToolTooOld, tool, majorString(dumpMajor), majorString(sm), majorString(sm), majorString(sm))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// waitDelay bounds how long a killed child's pipes are waited for.
const waitDelay = 5 * time.Second
