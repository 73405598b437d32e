package herokufake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/herokufake"
	"github.com/zdcd/zdcd/internal/pgtest"
)

// dataTimeRe is the Data API's timestamp layout, 2006-01-02 15:04:05 -0700 (HEROKU.md §5.3). An
// RFC 3339 time ("2018-03-03T21:07:42Z") does not match it.
var dataTimeRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$`)

// checkTimes fails for every field named *_at, at any depth, that is neither null nor in the Data
// API's layout; it returns how many it checked.
func checkTimes(t *testing.T, what string, v any) int {
	t.Helper()
	n := 0
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				p := path + "." + k
				if strings.HasSuffix(k, "_at") && val != nil {
					s, ok := val.(string)
					if !ok || !dataTimeRe.MatchString(s) {
						t.Errorf("%s: %s = %v is not in the Data API layout 2006-01-02 15:04:05 -0700", what, p, val)
					}
					n++
				}
				walk(p, val)
			}
		case []any:
			for i, val := range x {
				walk(path+"["+itoa(i)+"]", val)
			}
		}
	}
	walk("", v)
	return n
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func rawAny(t *testing.T, method, u string) (int, any) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range v3 {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", method, u, err)
	}
	return resp.StatusCode, out
}

// pollRaw reads a transfer until done says so, bounded.
func pollRaw(t *testing.T, u string, done func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, v := rawAny(t, "GET", u)
		m, _ := v.(map[string]any)
		if done(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: condition not met within 60s; last %v", u, m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The fake sends the Data API's shapes as the service does (HEROKU.md §5.3): capture and restore
// answer 201; every timestamp is in the Data API's layout, never RFC 3339; succeeded is null
// until the transfer finishes; a restore's to_url is the target database URL with its password.
// A large-database simulation reports source_bytes and a growing processed_bytes.
func TestDataAPIShapes(t *testing.T) {
	e := start(t)
	db := pgtest.NewDatabase(t)
	addon, err := e.fake.AddPostgres("myapp", db)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, db, "CREATE TABLE shop_item (id int PRIMARY KEY); INSERT INTO shop_item SELECT generate_series(1, 100)")
	const size = 3 << 30
	e.fake.SimulateLargeTransfers(herokufake.TransferSim{SourceBytes: size, Duration: 1500 * time.Millisecond})

	status, v := rawAny(t, "POST", e.url+"/client/v11/databases/"+addon.ID+"/backups")
	if status != http.StatusCreated {
		t.Fatalf("capture: status %d, want 201", status)
	}
	capture := v.(map[string]any)
	if capture["succeeded"] != nil || capture["finished_at"] != nil {
		t.Errorf("a fresh capture: succeeded = %v, finished_at = %v, want both null", capture["succeeded"], capture["finished_at"])
	}
	if n := checkTimes(t, "capture", capture); n < 2 {
		t.Errorf("capture: %d timestamps checked, want created_at and updated_at at least", n)
	}
	info := e.url + "/client/v11/apps/myapp/transfers/" + capture["uuid"].(string)
	running := pollRaw(t, info, func(m map[string]any) bool {
		p, _ := m["processed_bytes"].(float64)
		return m["finished_at"] == nil && p > 0 && p < size
	})
	if running["succeeded"] != nil {
		t.Errorf("a running transfer: succeeded = %v, want null", running["succeeded"])
	}
	if running["source_bytes"] != float64(size) {
		t.Errorf("a running simulated transfer: source_bytes = %v, want %d", running["source_bytes"], size)
	}
	checkTimes(t, "running capture", running)
	done := pollRaw(t, info+"?verbose=true", func(m map[string]any) bool { return m["finished_at"] != nil })
	if done["succeeded"] != true || done["processed_bytes"] != float64(size) {
		t.Errorf("finished capture: succeeded = %v, processed_bytes = %v", done["succeeded"], done["processed_bytes"])
	}
	if logs, _ := done["logs"].([]any); len(logs) == 0 {
		t.Errorf("verbose info without logs")
	}
	checkTimes(t, "verbose info", done)

	// The restore: 201, and to_url is the target database URL with its password.
	status, v = raw2(t, e.url+"/client/v11/databases/"+addon.ID+"/restores", `{"backup_url":"`+done["to_url"].(string)+`"}`)
	if status != http.StatusCreated {
		t.Fatalf("restore: status %d, want 201", status)
	}
	restore := v.(map[string]any)
	pw := ""
	if u, err := url.Parse(db); err == nil {
		pw, _ = u.User.Password()
	}
	if pw == "" || !strings.Contains(restore["to_url"].(string), pw) || !strings.HasPrefix(restore["to_url"].(string), "postgres") {
		t.Errorf("restore to_url does not carry the target database URL with its password, as Heroku's does")
	}
	checkTimes(t, "restore", restore)
	rinfo := e.url + "/client/v11/apps/myapp/transfers/" + restore["uuid"].(string)
	pollRaw(t, rinfo, func(m map[string]any) bool { return m["finished_at"] != nil })

	_, list := rawAny(t, "GET", e.url+"/client/v11/apps/myapp/transfers")
	if n := checkTimes(t, "transfer list", list); n < 8 {
		t.Errorf("transfer list: %d timestamps checked, want at least 8", n)
	}
	_, pub := rawAny(t, "POST", e.url+"/client/v11/apps/myapp/transfers/1/actions/public-url")
	if checkTimes(t, "public-url", pub) != 1 {
		t.Errorf("public-url = %v, want expires_at", pub)
	}
}

func raw2(t *testing.T, u, body string) (int, any) {
	t.Helper()
	req, err := http.NewRequest("POST", u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range v3 {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("POST %s: body is not JSON: %v", u, err)
	}
	return resp.StatusCode, out
}

// While the daily scheduled backup runs, a capture is refused (422, "in progress"); once it
// finished, a capture is accepted.
func TestScheduledBackupRefusesCapture(t *testing.T) {
	e := start(t)
	db := pgtest.NewDatabase(t)
	addon, err := e.fake.AddPostgres("myapp", db)
	if err != nil {
		t.Fatal(err)
	}
	name, err := e.fake.StartScheduledBackup("myapp", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if name != "a001" {
		t.Errorf("scheduled backup = %q, want a001", name)
	}
	status, v := rawAny(t, "POST", e.url+"/client/v11/databases/"+addon.ID+"/backups")
	m, _ := v.(map[string]any)
	if status != http.StatusUnprocessableEntity || m["id"] != "unprocessable_entity" || !strings.Contains(m["message"].(string), "in progress") {
		t.Errorf("capture during the scheduled backup: %d %v, want 422 unprocessable_entity, in progress", status, m)
	}
	a := pollRaw(t, e.url+"/client/v11/apps/myapp/transfers/1", func(m map[string]any) bool { return m["finished_at"] != nil })
	if a["schedule"] == nil || a["succeeded"] != true {
		t.Errorf("scheduled backup = %v, want schedule set and succeeded", a)
	}
	if status, _ := rawAny(t, "POST", e.url+"/client/v11/databases/"+addon.ID+"/backups"); status != http.StatusCreated {
		t.Errorf("capture after the scheduled backup: %d, want 201", status)
	}
	e.fake.Wait()
}

// The control API starts a scheduled backup and sets the simulation, for scripts and the demo.
func TestControlScheduledBackupAndSim(t *testing.T) {
	e := start(t)
	db := pgtest.NewDatabase(t)
	addon, err := e.fake.AddPostgres("myapp", db)
	if err != nil {
		t.Fatal(err)
	}
	if status, v := raw2(t, e.url+"/_localheroku/transfer-sim", `{"source_bytes": 3221225472, "duration_ms": 500, "kind": "restore"}`); status != http.StatusOK {
		t.Fatalf("transfer-sim: %d %v", status, v)
	}
	if status, _ := raw2(t, e.url+"/_localheroku/transfer-sim", `{"kind": "copy"}`); status != http.StatusUnprocessableEntity {
		t.Errorf("transfer-sim with kind copy: %d, want 422", status)
	}
	status, v := raw2(t, e.url+"/_localheroku/apps/myapp/scheduled-backups", `{"duration_ms": 300}`)
	if m, _ := v.(map[string]any); status != http.StatusCreated || m["name"] != "a001" {
		t.Fatalf("scheduled-backups: %d %v", status, v)
	}
	if status, _ := rawAny(t, "POST", e.url+"/client/v11/databases/"+addon.ID+"/backups"); status != http.StatusUnprocessableEntity {
		t.Errorf("capture while the scheduled backup runs: %d, want 422", status)
	}
	a := pollRaw(t, e.url+"/client/v11/apps/myapp/transfers/1", func(m map[string]any) bool { return m["finished_at"] != nil })
	// The simulation is limited to restores; a scheduled backup reports 3 GB by default.
	if a["source_bytes"] != float64(3<<30) {
		t.Errorf("scheduled backup source_bytes = %v", a["source_bytes"])
	}
	e.fake.Wait()
}
