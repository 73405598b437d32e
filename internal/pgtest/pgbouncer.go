package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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

// pgbouncerReady bounds PgBouncer's start and its stop.
const pgbouncerReady = 2 * time.Minute

// Bouncer is a running PgBouncer (StartPgBouncer).
type Bouncer struct {
	// URL is the database URL given to StartPgBouncer, rewritten to go through PgBouncer.
	URL    string
	cmd    *exec.Cmd
	dir    string
	logs   bytes.Buffer
	exited chan struct{}
}

// PgBouncerBin is Debian's PgBouncer (test/deps.sh installs the package).
func PgBouncerBin() (string, error) {
	if bin, err := exec.LookPath("pgbouncer"); err == nil {
		return bin, nil
	}
	const deb = "/usr/sbin/pgbouncer"
	if _, err := os.Stat(deb); err != nil {
		return "", errors.New("pgbouncer not installed: run `make deps` (test/deps.sh installs Debian's package)")
	}
	return deb, nil
}

// PgBouncerVersion is the first line of `pgbouncer --version` ("" when it cannot be run).
func PgBouncerVersion() string {
	bin, err := PgBouncerBin()
	if err != nil {
		return ""
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// NewPgBouncer runs Debian's PgBouncer (test/deps.sh installs it) in front of the server dbURL
// names, stopped when the test ends, and returns dbURL rewritten to go through it. A missing
// PgBouncer fails the test: tests that need it never skip.
func NewPgBouncer(t testing.TB, dbURL string, cfg PgBouncer) string {
	t.Helper()
	b, err := StartPgBouncer(context.Background(), dbURL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	return b.URL
}

// StartPgBouncer runs PgBouncer in front of the server dbURL names, configured by cfg, and waits
// until it accepts connections. As root it runs PgBouncer as an unprivileged user (it refuses to
// run as root: https://github.com/pgbouncer/pgbouncer/issues/244), which owns its files. Stop it
// before dropping the database: it keeps its server connections.
func StartPgBouncer(ctx context.Context, dbURL string, cfg PgBouncer) (*Bouncer, error) {
	bin, err := PgBouncerBin()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		if cred, err = unprivileged(); err != nil {
			return nil, err
		}
	}
	b := &Bouncer{exited: make(chan struct{})}
	if b.dir, err = os.MkdirTemp("", "zdcd-pgbouncer-"); err != nil {
		return nil, err
	}
	if err := writePgBouncerFiles(b.dir, u, port, cfg, cred); err != nil {
		os.RemoveAll(b.dir)
		return nil, err
	}
	b.cmd = exec.Command(bin, filepath.Join(b.dir, "pgbouncer.ini"))
	b.cmd.Stdout, b.cmd.Stderr = &b.logs, &b.logs
	if cred != nil {
		b.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	if err := b.cmd.Start(); err != nil {
		os.RemoveAll(b.dir)
		return nil, fmt.Errorf("start pgbouncer: %w", err)
	}
	go func() { _ = b.cmd.Wait(); close(b.exited) }()
	u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	b.URL = u.String()
	if err := b.waitReady(ctx); err != nil {
		b.Stop()
		return nil, err
	}
	return b, nil
}

// writePgBouncerFiles writes pgbouncer.ini and its userlist into dir, owned by cred when set.
func writePgBouncerFiles(dir string, u *url.URL, port int, cfg PgBouncer, cred *syscall.Credential) error {
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
	pw, _ := u.User.Password()
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
	files := map[string]string{"pgbouncer.ini": conf, "userlist.txt": fmt.Sprintf("%q %q\n", u.User.Username(), pw)}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			return err
		}
		if cred != nil {
			if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
				return err
			}
		}
	}
	if cred != nil {
		return os.Chown(dir, int(cred.Uid), int(cred.Gid))
	}
	return nil
}

// waitReady waits until PgBouncer answers a query, with the simple protocol: a readiness check
// must not leave a prepared statement on a server connection a transaction pool hands on next.
func (b *Bouncer) waitReady(ctx context.Context) error {
	pc, err := pgx.ParseConfig(b.URL)
	if err != nil {
		return err
	}
	pc.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	deadline := time.Now().Add(pgbouncerReady)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := pgx.ConnectConfig(cctx, pc)
		if err == nil {
			_, err = c.Exec(cctx, "SELECT 1")
			c.Close(context.Background())
		}
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-b.exited:
			return fmt.Errorf("pgbouncer exited: %s", b.logs.String())
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("pgbouncer not ready within %s: %v\n%s", pgbouncerReady, err, b.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends PgBouncer (SIGTERM, then SIGKILL) and removes its files.
func (b *Bouncer) Stop() {
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.exited:
	case <-time.After(pgbouncerReady):
		_ = b.cmd.Process.Kill()
		<-b.exited
	}
	os.RemoveAll(b.dir)
}
