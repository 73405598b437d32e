// Package pgtest starts throwaway PostgreSQL clusters from the server binaries installed on the
// machine (Debian's /usr/lib/postgresql/<v>/bin), for tests and for the demo.
//
// A cluster lives in a temporary directory, listens on 127.0.0.1 and ::1 (when the machine has
// IPv6 loopback) at a free port and on a Unix-domain socket in that directory (SocketDir), and
// requires a password (scram-sha-256) on all of them, so the code under test exercises a real
// password that must never appear in its output. When the process runs as root, initdb and the
// server run as an unprivileged user (postgres, or nobody), since PostgreSQL refuses to run as root.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser is the name of the cluster's superuser.
const Superuser = "zdcd"

// Cluster is a running throwaway PostgreSQL cluster.
type Cluster struct {
	// BinDir holds initdb, pg_ctl, postgres, pg_dump, pg_restore.
	BinDir string
	// Dir is the temporary directory holding the data directory and the server log.
	Dir string
	// Port is the TCP port on 127.0.0.1.
	Port int
	// Password is the superuser's password.
	Password string

	cred *syscall.Credential
}

// BinDir finds the PostgreSQL server binaries: $ZDCD_PG_BINDIR if set, else the newest
// /usr/lib/postgresql/<v>/bin, else the directory of pg_ctl on PATH.
func BinDir() (string, error) {
	if d := os.Getenv("ZDCD_PG_BINDIR"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb): run `make deps` or set ZDCD_PG_BINDIR")
}

func versionOf(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// Start initialises and starts a new cluster. Stop it with Stop.
func Start() (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	reapOrphans(bin)
	dir, err := os.MkdirTemp("", "zdcd-pg-")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	c := &Cluster{BinDir: bin, Dir: dir, Password: randomHex(12)}
	if err := c.start(); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start() error {
	if os.Geteuid() == 0 {
		cred, err := unprivileged()
		if err != nil {
			return err
		}
		c.cred = cred
		if err := os.Chmod(c.Dir, 0o755); err != nil {
			return err
		}
		if err := os.Chown(c.Dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	pwfile := filepath.Join(c.Dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(c.Password+"\n"), 0o600); err != nil {
		return err
	}
	if c.cred != nil {
		if err := os.Chown(pwfile, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return err
		}
	}
	if out, err := c.run("initdb", "-D", c.dataDir(), "-U", Superuser, "--pwfile", pwfile,
		"--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"); err != nil {
		return fmt.Errorf("initdb: %v: %s", err, lastLines(out, 5))
	}
	_ = os.Remove(pwfile)
	// A free port can be taken between our probe and the server's bind: retry a few times.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		c.Port = port
		// PostgreSQL warns and goes on when ::1 cannot be bound (no IPv6 loopback).
		opts := fmt.Sprintf("-c listen_addresses='127.0.0.1,::1' -c port=%d -c unix_socket_directories='%s' "+
			"-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, c.SocketDir())
		out, err := c.run("pg_ctl", "-D", c.dataDir(), "-l", c.LogFile(), "-o", opts, "-w", "-t", "60", "start")
		if err == nil {
			return nil
		}
		lastErr = fmt.Errorf("pg_ctl start: %v: %s %s", err, lastLines(out, 3), c.logTail())
	}
	return lastErr
}

func (c *Cluster) dataDir() string { return filepath.Join(c.Dir, "data") }

// LogFile is the server log.
func (c *Cluster) LogFile() string { return filepath.Join(c.Dir, "server.log") }

func (c *Cluster) logTail() string {
	b, _ := os.ReadFile(c.LogFile())
	return lastLines(b, 5)
}

// run runs a server binary as the cluster's user.
func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.BinDir, name), args...)
	cmd.Dir = c.Dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd.CombinedOutput()
}

// Stop stops the server immediately and removes its directory.
func (c *Cluster) Stop() error {
	var err error
	if _, statErr := os.Stat(filepath.Join(c.dataDir(), "postmaster.pid")); statErr == nil {
		if out, e := c.run("pg_ctl", "-D", c.dataDir(), "-m", "immediate", "-w", "stop"); e != nil {
			err = fmt.Errorf("pg_ctl stop: %v: %s", e, lastLines(out, 3))
		}
	}
	if rmErr := os.RemoveAll(c.Dir); rmErr != nil && err == nil {
		err = rmErr
	}
	return err
}

// Restart restarts the server the way a failover or a maintenance restart does: a fast
// shutdown (every session is terminated, open transactions roll back), then a start with the
// same options. It returns once the server accepts connections again.
func (c *Cluster) Restart() error {
	if out, err := c.run("pg_ctl", "-D", c.dataDir(), "-l", c.LogFile(), "-m", "fast", "-w", "-t", "60", "restart"); err != nil {
		return fmt.Errorf("pg_ctl restart: %v: %s %s", err, lastLines(out, 3), c.logTail())
	}
	return nil
}

// SocketDir is the directory of the cluster's Unix-domain socket (.s.PGSQL.<Port>).
func (c *Cluster) SocketDir() string { return c.Dir }

// URL returns the connection URL of database db, Heroku-style, with the password.
func (c *Cluster) URL(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(Superuser, c.Password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// CreateDatabase creates an empty database and returns its URL.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("connect to throwaway cluster: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0"); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return c.URL(name), nil
}

// DropDatabase drops a database, terminating its sessions.
func (c *Cluster) DropDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// ownerFile holds the pid of the process that started a cluster.
const ownerFile = "owner.pid"

// reapOrphans stops and removes clusters left behind by processes that died without stopping
// them (a test binary killed by its timeout, a demo interrupted): a server nobody owns any more.
func reapOrphans(bin string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "zdcd-pg-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid == os.Getpid() || syscall.Kill(pid, 0) == nil {
			continue // still owned by a live process
		}
		c := &Cluster{BinDir: bin, Dir: dir}
		if os.Geteuid() == 0 {
			c.cred, _ = unprivileged()
		}
		_ = c.Stop()
	}
}

// unprivileged returns the credential of a user PostgreSQL may run as.
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
	return nil, errors.New("running as root and neither user postgres nor nobody exists: PostgreSQL cannot run as root")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// WaitReady polls until the cluster accepts connections, bounded by timeout.
func (c *Cluster) WaitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			return conn.Close(ctx)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
