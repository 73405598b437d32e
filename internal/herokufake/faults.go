package herokufake

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"time"
)

// Fault makes matching requests fail (or slow down). Faults are matched in the order they were
// injected; the first matching fault with uses left applies.
type Fault struct {
	// Method matches the request method; empty matches any.
	Method string
	// Path is a path.Match pattern over the request path, where * matches one segment:
	// "/apps/*/releases", "/client/v11/databases/*/backups". "" matches every path.
	Path string
	// Status is the status to answer (default 500). A Status of 0 with a Delay only slows
	// the request down and then serves it normally.
	Status int
	// Count is how many requests the fault applies to; 0 means every request until ClearFaults.
	Count int
	// Delay is waited before answering (or before serving, for a delay-only fault). The wait
	// ends early if the client goes away.
	Delay time.Duration
	// RetryAfter, when set, is sent as the Retry-After header ("1", or an HTTP date).
	RetryAfter string
	// Body replaces the JSON error body. Default: {"id": ID, "message": Message}.
	Body string
	// ID and Message of the default error body. Defaults derive from Status.
	ID, Message string
	// ActThenFail serves the request for real (the release is created, the backup captured),
	// discards the answer, and then answers Status: the ambiguous failure of a non-idempotent
	// POST.
	ActThenFail bool
	// Reset drops the connection with a TCP reset instead of answering (after the Delay, and
	// after serving the request for real when ActThenFail is set): what a client sees when a
	// load balancer or the network fails mid-request.
	Reset bool
}

type faultState struct {
	Fault
	left int // -1: unlimited
}

// InjectFault adds a fault.
func (s *Server) InjectFault(f Fault) {
	left := f.Count
	if left == 0 {
		left = -1
	}
	s.mu.Lock()
	s.faults = append(s.faults, &faultState{Fault: f, left: left})
	s.mu.Unlock()
}

// ClearFaults removes every fault, including pending failing backups and backup delays.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.failBackups = 0
	s.backupDelay = 0
	s.sim = TransferSim{}
	s.mu.Unlock()
}

// FailBackups makes the next n captures run and then finish with succeeded:false and a pg_dump
// connection error in their logs, as a failed Heroku backup does.
func (s *Server) FailBackups(n int) {
	s.mu.Lock()
	s.failBackups = n
	s.mu.Unlock()
}

// SlowTransfers delays the completion of every capture and restore by d, so pollers see a
// running transfer (started_at set, finished_at null).
func (s *Server) SlowTransfers(d time.Duration) {
	s.mu.Lock()
	s.backupDelay = d
	s.mu.Unlock()
}

func (s *Server) takeFault(r *http.Request) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.left == 0 {
			continue
		}
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		if f.Path != "" && !pathMatch(f.Path, r.URL.Path) {
			continue
		}
		if f.left > 0 {
			f.left--
		}
		ff := f.Fault
		return &ff
	}
	return nil
}

func pathMatch(pattern, p string) bool {
	if pattern == "" {
		return true
	}
	ok, err := path.Match(pattern, p)
	return err == nil && ok
}

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f *Fault) {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if f.Status == 0 && !f.ActThenFail && !f.Reset {
		s.mux.ServeHTTP(w, r)
		return
	}
	if f.ActThenFail {
		s.mux.ServeHTTP(httptest.NewRecorder(), r)
	}
	if f.Reset {
		resetConnection(w)
		return
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Body != "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		var buf bytes.Buffer
		buf.WriteString(f.Body)
		_, _ = w.Write(buf.Bytes())
		return
	}
	id, msg := f.ID, f.Message
	if id == "" {
		id = defaultErrorID(status)
	}
	if msg == "" {
		msg = fmt.Sprintf("Injected fault: %d %s.", status, http.StatusText(status))
	}
	writeError(w, &apiError{Status: status, ID: id, Message: msg})
}

// resetConnection closes the request's connection with SO_LINGER 0, so the client reads a TCP
// reset ("connection reset by peer") and no response.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(fmt.Sprintf("herokufake: hijack for a reset: %v", err))
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}

func defaultErrorID(status int) string {
	switch status {
	case 400:
		return "bad_request"
	case 401:
		return "unauthorized"
	case 403:
		return "forbidden"
	case 404:
		return "not_found"
	case 422:
		return "invalid_params"
	case 429:
		return "rate_limit"
	case 503:
		return "service_unavailable"
	}
	return "internal_server_error"
}

func listen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
