package pgtest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
)

// One cluster per test binary, started by Main (or lazily by the first NewDatabase).
var (
	sharedOnce sync.Once
	shared     *Cluster
	sharedErr  error
	dbCounter  atomic.Int64
)

// Main runs a package's tests with one throwaway cluster shared by all of them, and stops it
// afterwards. Use it as: func TestMain(m *testing.M) { pgtest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop cluster:", err)
		}
	}
	os.Exit(code)
}

// Shared returns the test binary's cluster, starting it on first use. A cluster that cannot
// start fails the test: tests that need PostgreSQL never skip.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start() })
	if sharedErr != nil {
		t.Fatalf("start throwaway PostgreSQL: %v", sharedErr)
	}
	return shared
}

// NewCluster starts a cluster of the test's own, stopped when the test ends: for a test that
// restarts or stops the server, which would disturb the other tests on the shared one.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	c, err := Start()
	if err != nil {
		t.Fatalf("start throwaway PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Logf("stop cluster: %v", err)
		}
	})
	return c
}

// NewDatabase creates a fresh empty database on the shared cluster, dropped when the test ends,
// and returns its URL (postgres://zdcd:<password>@127.0.0.1:<port>/<db>?sslmode=disable).
func NewDatabase(t testing.TB) string {
	t.Helper()
	c := Shared(t)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbCounter.Add(1))
	u, err := c.CreateDatabase(context.Background(), name)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := c.DropDatabase(context.Background(), name); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	return u
}
