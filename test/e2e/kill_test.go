package e2e

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/zdcd/zdcd/internal/ledger"
)

// alive reports whether pid still runs (a zombie counts as gone).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && len(s) > i+2 {
		return s[i+2] != 'Z'
	}
	return true
}

// kill -9 of zdcd alone, during a migration (supervise.go, orphans.go): the migrate command dies
// with it (parent-death signal), or — a wrapper that forks Python, which the signal cannot reach —
// the next release ends its database sessions before it judges the dead run. Either way the gated
// migration is not applied by the unsupervised command: the next release records the dead run as
// interrupted with none of its migrations applied, and applies the migration itself.
func TestKillNineDuringMigration(t *testing.T) {
	tests := []struct {
		name string
		// command is ZDCD_MIGRATE_COMMAND ("" = default); orphan is true when Python survives zdcd.
		command string
		orphan  bool
	}{
		{name: "default command"},
		{name: "exec wrapper", command: `sh -c 'exec ` + python() + ` manage.py migrate --noinput "$@"' sh`},
		{name: "forking wrapper", command: `sh -c '` + python() + ` manage.py migrate --noinput "$@"; exit $?' sh`, orphan: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := atGate(t)
			defer g.open()
			dbURL, dir, conn, open := g.dbURL, g.dir, g.conn, g.open
			var extra []string
			if tt.command != "" {
				extra = append(extra, "ZDCD_MIGRATE_COMMAND="+tt.command)
			}
			env := releaseEnv(dbURL, t.TempDir(), extra...)

			bg := start(t, dir, env, "release")
			waitUntil(t, "the migration waiting at the gate", bg, func() bool {
				_, waiting := migrateSessions(t, conn)
				return waiting > 0
			})
			// Python itself (argv python, manage.py), not a wrapper shell whose script names it.
			py := ftDescendant(t, bg.cmd.Process.Pid, python()+"\x00manage.py")
			if err := bg.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-bg.done
			if !tt.orphan {
				waitUntil(t, fmt.Sprintf("the migrate command (pid %d) gone after kill -9 of zdcd", py), nil, func() bool { return !alive(py) })
			}

			// The next release, the gate still held: it ends what is left of the dead run's
			// command, closes the dead run, then migrates (and waits at the gate).
			bg2 := start(t, dir, env, "release")
			waitUntil(t, "the next release migrating", bg2, func() bool {
				return strings.Contains(bg2.out.String(), "migrating ")
			})
			if tt.orphan {
				waitUntil(t, fmt.Sprintf("the orphaned Python (pid %d) gone once its session ended", py), nil, func() bool { return !alive(py) })
			}
			if slices.Contains(appliedSet(t, conn), "accounts.0004_gate") {
				t.Fatalf("accounts.0004_gate applied by the unsupervised command")
			}
			open()
			r := bg2.wait(t)
			t.Logf("next release:\n%s", r)
			assertNoSecret(t, r, password(t, dbURL))
			if r.code != 0 {
				t.Fatalf("next release: want exit 0:\n%s", r)
			}
			mustContain(t, r, "Closed 1 earlier run(s)")
			if tt.orphan && !strings.Contains(r.stdout, "Ended 1 database session(s) of a migrate command left running") {
				t.Errorf("the orphan's session was not ended by the next release:\n%s", r)
			}

			runs := history(t, dir, env)
			if len(runs) != 2 {
				t.Fatalf("ledger runs: %+v", runs)
			}
			next, dead := runs[0], runs[1]
			if dead.Outcome != ledger.OutcomeInterrupted || dead.Applied != 0 || !strings.Contains(dead.Error, "none of its planned migrations is applied") {
				t.Errorf("dead run: %+v", dead)
			}
			if next.Outcome != ledger.OutcomeApplied || next.Applied != 1 {
				t.Errorf("next run: %+v", next)
			}
			if !slices.Contains(appliedSet(t, conn), "accounts.0004_gate") {
				t.Errorf("accounts.0004_gate not applied by the next release")
			}
		})
	}
}
