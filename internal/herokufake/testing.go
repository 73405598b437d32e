package herokufake

import (
	"net/http/httptest"
	"testing"
)

// StartTest starts a Server on a loopback httptest listener for a test and returns it with its
// base URL (the Platform and the Data API URL alike). Token defaults to "test-token" and
// StateDir to a test temporary directory. When the test ends, the listener is closed and every
// release command, capture and restore is stopped.
func StartTest(t testing.TB, opts Options) (*Server, string) {
	t.Helper()
	if opts.Token == "" {
		opts.Token = "test-token"
	}
	if opts.StateDir == "" {
		opts.StateDir = t.TempDir()
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		s.Close()
	})
	return s, ts.URL
}
