package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PgBouncer configures a PgBouncer started by NewPgBouncer.
type PgBouncer struct {
	// PoolMode is pool_mode: session (the default), transaction or statement.
	PoolMode string
	// IgnoreStartupParameters is ignore_startup_parameters: the startup parameters PgBouncer
	// drops instead of refusing the connection with "unsupported startup parameter" (e.g.
	// "options,extra_float_digits"). Empty: none are dropped.
	IgnoreStartupParameters string
	// PoolSize is default_pool_size, the server connections per database and user (50 when 0).
	PoolSize int
	// ServerRoundRobin sets server_round_robin: idle server connections are reused in turn
	// instead of last-released first.
	ServerRoundRobin bool
}

// pgbouncerReady bounds the wait for PgBouncer to accept connections.
const pgbouncerReady = 2 * time.Minute

// NewPgBouncer runs Debian's PgBouncer (test/deps.sh installs it) in front of the server dbURL
// names, stopped when the test ends, and returns dbURL rewritten to go through it. A missing
// PgBouncer fails the test: tests that need it never skip.
func NewPgBouncer(t testing.TB, dbURL string, cfg PgBouncer) string {
	t.Helper()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		bin = "/usr/sbin/pgbouncer"
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("pgbouncer not installed: run `make deps` (test/deps.sh installs Debian's package)")
		}
	}
	if cfg.PoolMode == "" {
		cfg.PoolMode = "session"
	}
	if cfg.PoolSize == 0 {
		cfg.PoolSize = 50
	}
	roundRobin := 0
	if cfg.ServerRoundRobin {
		roundRobin = 1
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}

	// Its own directory, readable by the unprivileged user it runs as (t.TempDir's parent is not).
	dir, err := os.MkdirTemp("", "zdcd-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = scram-sha-256
auth_file = %s
pool_mode = %s
ignore_startup_parameters = %s
max_client_conn = 200
default_pool_size = %d
server_round_robin = %d
`, u.Hostname(), u.Port(), port, filepath.Join(dir, "userlist.txt"), cfg.PoolMode, cfg.IgnoreStartupParameters, cfg.PoolSize, roundRobin)
	userlist := fmt.Sprintf("%q %q\n", u.User.Username(), pw)
	for name, content := range map[string]string{"pgbouncer.ini": conf, "userlist.txt": userlist} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if os.Getuid() == 0 { // PgBouncer refuses to run as root
		cred, err := unprivileged()
		if err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(pgbouncerReady):
			cmd.Process.Kill()
			<-exited
		}
	})
	u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	through := u.String()
	deadline := time.Now().Add(pgbouncerReady)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		// The simple protocol: a readiness check must not leave a prepared statement on a server
		// connection a transaction pool hands to the test next.
		var c *pgx.Conn
		pc, err := pgx.ParseConfig(through)
		if err != nil {
			t.Fatal(err)
		}
		pc.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
		c, err = pgx.ConnectConfig(ctx, pc)
		if err == nil {
			_, err = c.Exec(ctx, "SELECT 1")
			c.Close(context.Background())
		}
		cancel()
		if err == nil {
			return through
		}
		select {
		case <-exited:
			t.Fatalf("pgbouncer exited: %s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer not ready within %s: %v\n%s", pgbouncerReady, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
