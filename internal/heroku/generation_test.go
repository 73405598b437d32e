package heroku_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/herokufake"
)

// firFake is the local Heroku with a Cedar app "cedarapp" and a Fir app "firapp", and a client.
func firFake(t *testing.T) (*herokufake.Server, *heroku.Client) {
	t.Helper()
	fake, url := herokufake.StartTest(t, herokufake.Options{Token: token})
	for _, name := range []string{"cedarapp", "firapp"} {
		if _, err := fake.CreateApp(name); err != nil {
			t.Fatal(err)
		}
	}
	if err := fake.SetGeneration("firapp", "fir"); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.APIKey = config.NewSecret(token)
	cfg.PlatformAPIURL = url
	cfg.DataAPIURL = url
	cfg.APITimeout = 10 * time.Second
	client, err := heroku.New(cfg, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	return fake, client
}

// TestGenerationFromLocalHeroku reads both generations from the local Heroku over HTTP, with the
// Heroku CLI's 3.sdk Accept variant.
func TestGenerationFromLocalHeroku(t *testing.T) {
	fake, client := firFake(t)
	ctx := context.Background()

	cedar, err := client.Generation(ctx, "cedarapp")
	if err != nil {
		t.Fatal(err)
	}
	if cedar.Fir() || !cedar.HasMaintenanceMode() || cedar.Name != "cedar" || cedar.Stack != "heroku-24" {
		t.Errorf("cedarapp = %+v (%s), want Cedar with maintenance mode", cedar, cedar)
	}
	fir, err := client.Generation(ctx, "firapp")
	if err != nil {
		t.Fatal(err)
	}
	if !fir.Fir() || fir.HasMaintenanceMode() || fir.Name != "fir" || fir.Stack != "cnb" {
		t.Errorf("firapp = %+v, want Fir on stack cnb without maintenance mode", fir)
	}
	if got := fir.String(); got != "Fir (generation fir, stack cnb)" {
		t.Errorf("String() = %q", got)
	}
	var gets int
	for _, r := range fake.Requests() {
		if r.Method == http.MethodGet && strings.HasPrefix(r.Path, "/apps/") {
			gets++
			if a := r.Header.Get("Accept"); a != "application/vnd.heroku+json; version=3.sdk" {
				t.Errorf("GET %s sent Accept %q, want the 3.sdk variant", r.Path, a)
			}
		}
	}
	if gets != 2 {
		t.Errorf("%d app reads, want 2", gets)
	}
	// The variant is for that request only: the next call is back to version=3.
	if _, err := client.AppInfo(ctx, "cedarapp"); err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests()
	if a := reqs[len(reqs)-1].Header.Get("Accept"); a != "application/vnd.heroku+json; version=3" {
		t.Errorf("AppInfo after Generation sent Accept %q", a)
	}

	if _, err := client.Generation(ctx, "nosuchapp"); !heroku.IsNotFound(err) {
		t.Errorf("Generation of a missing app = %v, want a 404", err)
	}
}

// TestMaintenanceOnFir: the local Heroku refuses a maintenance switch on a Fir app with 422, and
// the client returns ErrMaintenanceUnsupported after one request; a Cedar app switches.
func TestMaintenanceOnFir(t *testing.T) {
	fake, client := firFake(t)
	ctx := context.Background()

	_, err := client.SetMaintenance(ctx, "firapp", true)
	if !errors.Is(err, heroku.ErrMaintenanceUnsupported) {
		t.Fatalf("SetMaintenance on Fir = %v, want ErrMaintenanceUnsupported", err)
	}
	var apiErr *heroku.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnprocessableEntity || apiErr.ID != "unsupported" {
		t.Errorf("error = %#v, want the 422 unsupported answer in its chain", apiErr)
	}
	for _, want := range []string{"turn maintenance on for firapp", "422", "Fir"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if fake.Maintenance("firapp") {
		t.Error("the Fir app is in maintenance mode")
	}
	if n := len(fake.RequestsMatching(http.MethodPatch, "/apps/firapp")); n != 1 {
		t.Errorf("%d PATCH requests, want 1: a refusal is not retried", n)
	}

	if _, err := client.SetMaintenance(ctx, "cedarapp", true); err != nil {
		t.Fatalf("SetMaintenance on Cedar: %v", err)
	}
	if !fake.Maintenance("cedarapp") {
		t.Error("the Cedar app is not in maintenance mode")
	}
	noToken(t, "error", errTexts(err)...)
}

// TestGenerationShapes decodes the shapes an app's generation has had: the schema's object, the
// older 3.sdk string, none at all (then the stack decides).
func TestGenerationShapes(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantName string
		wantFir  bool
		wantErr  bool
	}{
		{"object fir", `{"name":"a","generation":{"id":"01234567-89ab-cdef-0123-456789abcdef","name":"fir"},"stack":{"id":"x","name":"cnb"}}`, "fir", true, false},
		{"object cedar", `{"name":"a","generation":{"id":"01234567-89ab-cdef-0123-456789abcdef","name":"cedar"},"stack":{"id":"x","name":"heroku-24"}}`, "cedar", false, false},
		{"string fir", `{"name":"a","generation":"fir","stack":{"id":"x","name":"cnb"}}`, "fir", true, false},
		{"no generation, stack cnb", `{"name":"a","stack":{"id":"x","name":"cnb"}}`, "", true, false},
		{"null generation, heroku-22", `{"name":"a","generation":null,"stack":{"id":"x","name":"heroku-22"}}`, "", false, false},
		{"generation a number", `{"name":"a","generation":7,"stack":{"id":"x","name":"heroku-24"}}`, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.api.on("GET /apps/a", func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(tt.body))
			})
			g, err := e.client.Generation(context.Background(), "a")
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "read the generation of app a") {
					t.Fatalf("Generation = %+v, %v; want an error naming the operation", g, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.Name != tt.wantName || g.Fir() != tt.wantFir {
				t.Errorf("Generation = %+v (Fir %v), want name %q, Fir %v", g, g.Fir(), tt.wantName, tt.wantFir)
			}
		})
	}
}

// TestMaintenanceRefusals: which error answers to a maintenance switch mean "this app has no
// maintenance mode", and which stay plain errors.
func TestMaintenanceRefusals(t *testing.T) {
	tests := []struct {
		name, id, message string
		status            int
		unsupported       bool
	}{
		{"422 any id", "invalid_params", "Maintenance cannot be changed for this app.", 422, true},
		{"403 naming Fir", "forbidden", "This feature is not available for Fir apps.", 403, true},
		{"400 unsupported", "unsupported", "Not supported.", 400, true},
		{"400 naming the generation", "bad_request", "Not available on this generation.", 400, true},
		{"403 plain", "forbidden", "You do not have access to the app first-app.", 403, false},
		{"404", "not_found", "Couldn't find that app.", 404, false},
		{"401", "unauthorized", "Invalid credentials provided.", 401, false},
		{"503", "unavailable", "Service unavailable.", 503, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.api.on("PATCH /apps/a", func(w http.ResponseWriter, r *http.Request, n int) {
				apiError(w, tt.status, tt.id, tt.message)
			})
			_, err := e.client.SetMaintenance(context.Background(), "a", true)
			if err == nil {
				t.Fatal("SetMaintenance succeeded")
			}
			if got := errors.Is(err, heroku.ErrMaintenanceUnsupported); got != tt.unsupported {
				t.Errorf("%v: ErrMaintenanceUnsupported = %v, want %v", err, got, tt.unsupported)
			}
			if heroku.StatusOf(err) != tt.status {
				t.Errorf("status = %d, want %d", heroku.StatusOf(err), tt.status)
			}
		})
	}
}
