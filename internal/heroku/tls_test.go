package heroku_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
)

// TLS certificates are verified: a server whose certificate no trusted authority signed never
// sees the API key, and the call fails saying why.
func TestTLSVerified(t *testing.T) {
	var sawKey bool
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawKey = r.Header.Get("Authorization") != ""
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"1","name":"myapp"}`))
	}))
	defer srv.Close()
	for _, api := range []string{"platform", "data"} {
		cfg := config.Defaults()
		cfg.APIKey = config.NewSecret(token)
		if api == "platform" {
			cfg.PlatformAPIURL = srv.URL
		} else {
			cfg.DataAPIURL = srv.URL
		}
		client, err := heroku.New(cfg, heroku.Options{RetryMax: -1})
		if err != nil {
			t.Fatal(err)
		}
		if api == "platform" {
			_, err = client.AppInfo(context.Background(), "myapp")
		} else {
			_, err = client.Transfers(context.Background(), heroku.Addon{ID: "a", AppName: "myapp"})
		}
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("%s API: a self-signed server was accepted: %v", api, err)
		}
		if err != nil && strings.Contains(err.Error(), token) {
			t.Errorf("%s API: the error carries the key: %v", api, err)
		}
	}
	if sawKey {
		t.Error("the server behind an untrusted certificate received the API key")
	}
}
