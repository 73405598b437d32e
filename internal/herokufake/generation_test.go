package herokufake_test

import (
	"context"
	"net/http"
	"testing"

	heroku "github.com/heroku/heroku-go/v5"
)

// TestFirApp: a Fir app reports generation fir and stack cnb, and refuses a maintenance switch
// with a 422 error body, changing nothing; a Cedar app beside it is unaffected.
func TestFirApp(t *testing.T) {
	e := start(t)
	resp, m := raw(t, http.MethodPost, e.url+"/_localheroku/apps", v3, `{"name":"firapp","generation":"fir"}`)
	if resp.StatusCode != http.StatusCreated || m["generation"] != "fir" {
		t.Fatalf("create a Fir app: %d %v", resp.StatusCode, m)
	}
	if resp, m := raw(t, http.MethodPost, e.url+"/_localheroku/apps", v3, `{"name":"oakapp","generation":"oak"}`); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("create with generation oak: %d %v, want 422", resp.StatusCode, m)
	}

	sdk := map[string]string{"Accept": "application/vnd.heroku+json; version=3.sdk", "Authorization": "Bearer " + token}
	_, fir := raw(t, http.MethodGet, e.url+"/apps/firapp", sdk, "")
	gen, _ := fir["generation"].(map[string]any)
	stack, _ := fir["stack"].(map[string]any)
	if gen["name"] != "fir" || gen["id"] == "" || stack["name"] != "cnb" {
		t.Errorf("Fir app: generation %v, stack %v", fir["generation"], fir["stack"])
	}
	_, cedar := raw(t, http.MethodGet, e.url+"/apps/myapp", v3, "")
	gen, _ = cedar["generation"].(map[string]any)
	stack, _ = cedar["stack"].(map[string]any)
	if gen["name"] != "cedar" || stack["name"] != "heroku-24" {
		t.Errorf("Cedar app: generation %v, stack %v", cedar["generation"], cedar["stack"])
	}

	// heroku-go v5 still decodes the answer (it has no generation field).
	if a, err := e.svc.AppInfo(context.Background(), "firapp"); err != nil || a.Stack.Name != "cnb" {
		t.Errorf("heroku-go AppInfo of the Fir app: %+v, %v", a, err)
	}

	for _, on := range []string{"true", "false"} {
		resp, m := raw(t, http.MethodPatch, e.url+"/apps/firapp", v3, `{"maintenance":`+on+`}`)
		if resp.StatusCode != http.StatusUnprocessableEntity || m["id"] != "unsupported" || m["message"] == "" {
			t.Errorf("maintenance %s on Fir: %d %v, want 422 unsupported with a message", on, resp.StatusCode, m)
		}
	}
	if e.fake.Maintenance("firapp") {
		t.Error("the Fir app is in maintenance mode")
	}
	// Other updates of a Fir app still work.
	if resp, m := raw(t, http.MethodPatch, e.url+"/apps/firapp", v3, `{"build_stack":"cnb"}`); resp.StatusCode != http.StatusOK {
		t.Errorf("PATCH without maintenance on Fir: %d %v", resp.StatusCode, m)
	}
	if _, err := e.svc.AppUpdate(context.Background(), "myapp", heroku.AppUpdateOpts{Maintenance: heroku.Bool(true)}); err != nil || !e.fake.Maintenance("myapp") {
		t.Errorf("maintenance on Cedar: %v (on: %v)", err, e.fake.Maintenance("myapp"))
	}

	if err := e.fake.SetGeneration("myapp", "fir"); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.SetGeneration("myapp", "oak"); err == nil {
		t.Error("SetGeneration accepted oak")
	}
	if err := e.fake.SetGeneration("nosuchapp", "fir"); err == nil {
		t.Error("SetGeneration accepted a missing app")
	}
}
