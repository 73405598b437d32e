package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgbouncerReady bounds PgBouncer's start and stop.
const pgbouncerReady = 20 * time.Second

// pooler is a running PgBouncer in front of the bench's cluster.
type pooler struct {
	cmd    *exec.Cmd
	dir    string
	logs   bytes.Buffer
	exited chan struct{}
	// URL is the database URL given to it, rewritten to go through it.
	URL string
}

// pgbouncerBin is Debian's PgBouncer (test/deps.sh installs the package).
func pgbouncerBin() (string, error) {
	if bin, err := exec.LookPath("pgbouncer"); err == nil {
		return bin, nil
	}
	const deb = "/usr/sbin/pgbouncer"
	if _, err := os.Stat(deb); err != nil {
		return "", errors.New("pgbouncer not installed: run `make deps` (test/deps.sh installs Debian's package)")
	}
	return deb, nil
}

// pgbouncerVersion is the first line of `pgbouncer --version`, for the report.
func pgbouncerVersion() string {
	bin, err := pgbouncerBin()
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

// startPgBouncer runs PgBouncer in session mode in front of the server of dbURL, dropping the
// `options` startup parameter as a pooler configured with `ignore_startup_parameters = options`
// does (https://www.pgbouncer.org/config.html#ignore_startup_parameters; in session mode a
// client keeps one server connection as long as it is connected, so a SET holds:
// https://www.pgbouncer.org/features.html). The same set-up as test/e2e/session_test.go's
// pgbouncer helper. Stop it before dropping the database: it keeps its server connections.
func startPgBouncer(ctx context.Context, dbURL string) (*pooler, error) {
	bin, err := pgbouncerBin()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, err
	}
	pw, _ := u.User.Password()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	p := &pooler{exited: make(chan struct{})}
	// Its own directory: when the bench runs as root, PgBouncer runs as an unprivileged user that
	// must read its files (it refuses to start as root, "PgBouncer should not run as root", and the
	// maintainers keep it so: https://github.com/pgbouncer/pgbouncer/issues/244).
	if p.dir, err = os.MkdirTemp("", "zdcd-pgbouncer-"); err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		if cred, err = unprivileged(); err != nil {
			os.RemoveAll(p.dir)
			return nil, err
		}
	}
	conf := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = scram-sha-256
auth_file = %s
pool_mode = session
ignore_startup_parameters = options,extra_float_digits
max_client_conn = 200
default_pool_size = 50
`, u.Hostname(), u.Port(), port, filepath.Join(p.dir, "userlist.txt"))
	files := map[string]string{"pgbouncer.ini": conf, "userlist.txt": fmt.Sprintf("%q %q\n", u.User.Username(), pw)}
	for name, content := range files {
		path := filepath.Join(p.dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			os.RemoveAll(p.dir)
			return nil, err
		}
		if cred != nil {
			if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
				os.RemoveAll(p.dir)
				return nil, err
			}
		}
	}
	if cred != nil {
		if err := os.Chown(p.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(p.dir)
			return nil, err
		}
	}
	p.cmd = exec.Command(bin, filepath.Join(p.dir, "pgbouncer.ini"))
	p.cmd.Stdout, p.cmd.Stderr = &p.logs, &p.logs
	if cred != nil {
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	if err := p.cmd.Start(); err != nil {
		os.RemoveAll(p.dir)
		return nil, fmt.Errorf("start pgbouncer: %w", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()

	u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	p.URL = u.String()
	deadline := time.Now().Add(pgbouncerReady)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := pgx.Connect(cctx, p.URL)
		cancel()
		if err == nil {
			_ = c.Close(context.Background())
			return p, nil
		}
		select {
		case <-p.exited:
			os.RemoveAll(p.dir)
			return nil, fmt.Errorf("pgbouncer exited: %s", p.logs.String())
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.Stop()
			return nil, fmt.Errorf("pgbouncer not ready within %s: %v\n%s", pgbouncerReady, err, p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends PgBouncer (SIGTERM, then SIGKILL) and removes its files.
func (p *pooler) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(pgbouncerReady):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	os.RemoveAll(p.dir)
}

// unprivileged is the credential of a user PgBouncer may run as (internal/pgtest runs
// PostgreSQL the same way).
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and neither user postgres nor nobody exists: PgBouncer cannot run as root")
}
