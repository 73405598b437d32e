package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The command as the demo runs it: serve on a real port with a seeded app and database, deploy a
// directory with the deploy verb, read the release back, stop with SIGTERM.
func TestServeThenDeploy(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "localheroku")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	db := pgtest.NewDatabase(t)
	state := t.TempDir()
	serve := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--state", state, "--token", "tok",
		"--app", "myapp", "--database-url", db, "--feature", "runtime-dyno-metadata", "--config", "GREETING=hi")
	var stderr bytes.Buffer
	serve.Stderr = &stderr
	stdout, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- serve.Wait()
	}()
	t.Cleanup(func() { _ = serve.Process.Kill() })
	var url string
	var out []string
	timeout := time.After(30 * time.Second)
	for url == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve exited: %s\n%s", out, stderr.String())
			}
			out = append(out, l)
			if _, u, found := strings.Cut(l, " at http://"); found {
				url = "http://" + u
			}
		case <-timeout:
			t.Fatalf("serve did not start: %s", out)
		}
	}
	if !strings.Contains(strings.Join(out, "\n"), "attached to myapp as DATABASE_URL") {
		t.Errorf("serve output = %q", out)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte("release: echo \"$GREETING from $HEROKU_APP_NAME\"\nweb: sleep 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var dout, derr bytes.Buffer
	if code := run([]string{"deploy", "--url", url, "--token", "tok", "--app", "myapp", dir}, &dout, &derr); code != 0 {
		t.Fatalf("deploy exit %d: %s %s", code, dout.String(), derr.String())
	}
	if !strings.Contains(dout.String(), "hi from myapp") || !strings.Contains(dout.String(), "Released v4") {
		t.Errorf("deploy output = %q", dout.String())
	}

	req, _ := http.NewRequest("GET", url+"/apps/myapp/releases/4", nil)
	req.Header.Set("Accept", "application/vnd.heroku+json; version=3")
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var rel struct {
		Status  string `json:"status"`
		Current bool   `json:"current"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&rel)
	resp.Body.Close()
	if rel.Status != "succeeded" || !rel.Current {
		t.Errorf("v4 = %+v", rel)
	}

	// A failing release command makes deploy exit 1.
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte("release: echo nope; exit 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dout.Reset()
	if code := run([]string{"deploy", "--url", url, "--token", "tok", "--app", "myapp", dir}, &dout, &derr); code != 1 {
		t.Errorf("failing deploy exit %d, want 1: %s", code, dout.String())
	}
	// A wrong token is refused.
	if code := run([]string{"deploy", "--url", url, "--token", "bad", dir}, &dout, &derr); code != 1 || !strings.Contains(derr.String(), "unauthorized") {
		t.Errorf("bad token: exit %d, %s", code, derr.String())
	}

	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve exited with %v: %s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	if strings.Contains(stderr.String(), pgtest.Shared(t).Password) {
		t.Errorf("serve logged the database password")
	}
}

// --generation takes cedar or fir, for --app only; anything else stops serve before it listens.
func TestServeGenerationFlag(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--addr", "127.0.0.1:0", "--app", "myapp", "--generation", "oak"}, `--generation "oak": want cedar or fir`},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--generation", "fir"}, "--generation need --app"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		if code := run(tt.args, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", tt.args, code, errOut.String(), tt.want)
		}
	}
}
