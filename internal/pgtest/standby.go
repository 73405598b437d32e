package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// NewStandby starts a hot standby of primary (pg_basebackup -R, streaming replication), stopped
// when the test ends: for tests of what zdcd does when pointed at a read-only replica. Its
// databases are primary's, under the same superuser and password; its URL is URL(db).
func NewStandby(t testing.TB, primary *Cluster) *Cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "zdcd-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Cluster{BinDir: primary.BinDir, Dir: dir, Password: primary.Password, cred: primary.cred}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Logf("stop standby: %v", err)
		}
	})
	if s.cred != nil {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	// The password travels in PGPASSWORD, never on the command line.
	cmd := exec.Command(filepath.Join(s.BinDir, "pg_basebackup"), "-D", s.dataDir(), "-R", "--checkpoint=fast",
		"-h", "127.0.0.1", "-p", strconv.Itoa(primary.Port), "-U", Superuser, "--no-password")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "PGPASSWORD=" + primary.Password}
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_basebackup: %v: %s", err, lastLines(out, 5))
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s.Port = port
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories='' -c hot_standby=on -c max_connections=200", port) // not below the primary's
	if out, err := s.run("pg_ctl", "-D", s.dataDir(), "-l", s.LogFile(), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		t.Fatalf("start standby: %v: %s %s", err, lastLines(out, 3), s.logTail())
	}
	return s
}
