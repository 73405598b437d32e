package heroku_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
)

func attachmentJSON(name, addonID, addonName string, namespace interface{}, configVars []string) map[string]interface{} {
	m := map[string]interface{}{
		"id": "att-" + name + "-" + addonID, "name": name, "namespace": namespace,
		"addon": map[string]interface{}{"id": addonID, "name": addonName, "app": map[string]string{"id": "app-billing", "name": "billing"}},
		"app":   map[string]string{"id": "app-myapp", "name": "myapp"}, "created_at": ts, "updated_at": ts,
		"web_url": "https://example.com", "log_input_url": nil,
	}
	if configVars != nil {
		m["config_vars"] = configVars
	}
	return m
}

func addonJSON(id, name string) map[string]interface{} {
	return map[string]interface{}{
		"actions": []interface{}{}, "addon_service": map[string]string{"id": "svc", "name": "heroku-postgresql"},
		"app": map[string]string{"id": "app-billing", "name": "billing"}, "billed_price": nil,
		"billing_entity": map[string]string{"id": "app-billing", "name": "billing", "type": "app"},
		"config_vars":    []string{"DATABASE_URL"}, "created_at": ts, "id": id, "name": name,
		"plan":        map[string]string{"id": "plan", "name": "heroku-postgresql:essential-0"},
		"provider_id": "p", "state": "provisioned", "updated_at": ts, "web_url": nil,
	}
}

func TestDatabaseAddon(t *testing.T) {
	notFound := func(w http.ResponseWriter, r *http.Request, _ int) {
		apiError(w, 404, "not_found", "Couldn't find that add-on attachment.")
	}
	list := func(atts ...interface{}) func(w http.ResponseWriter, r *http.Request, _ int) {
		return func(w http.ResponseWriter, r *http.Request, _ int) { writeJSON(w, 200, atts) }
	}
	tests := []struct {
		name     string
		override string
		routes   map[string]func(w http.ResponseWriter, r *http.Request, n int)
		want     string // add-on id; "" when an error is expected
		wantErr  string
	}{
		{
			name: "resolved",
			routes: map[string]func(http.ResponseWriter, *http.Request, int){
				"POST /actions/addon-attachments/resolve": list(attachmentJSON("DATABASE", "db-1", "postgresql-a", nil, nil)),
			},
			want: "db-1",
		},
		{
			name: "several resolved, the one without a namespace",
			routes: map[string]func(http.ResponseWriter, *http.Request, int){
				"POST /actions/addon-attachments/resolve": list(
					attachmentJSON("DATABASE", "db-2", "postgresql-b", "credential:ro", nil),
					attachmentJSON("DATABASE", "db-1", "postgresql-a", nil, nil)),
			},
			want: "db-1",
		},
		{
			name: "several resolved, ambiguous",
			routes: map[string]func(http.ResponseWriter, *http.Request, int){
				"POST /actions/addon-attachments/resolve": list(
					attachmentJSON("DATABASE", "db-2", "postgresql-b", nil, nil),
					attachmentJSON("DATABASE", "db-1", "postgresql-a", nil, nil)),
			},
			wantErr: "several add-ons match (postgresql-a, postgresql-b); set ZDCD_DATABASE_ADDON",
		},
		{
			name: "fallback by config_vars",
			routes: map[string]func(http.ResponseWriter, *http.Request, int){
				"POST /actions/addon-attachments/resolve": notFound,
				"GET /apps/myapp/addon-attachments": list(
					attachmentJSON("REDIS", "r-1", "redis-a", nil, []string{"REDIS_URL"}),
					attachmentJSON("HEROKU_POSTGRESQL_RED", "db-3", "postgresql-c", nil, []string{"HEROKU_POSTGRESQL_RED_URL", "DATABASE_URL"})),
			},
			want: "db-3",
		},
		{
			name: "fallback by name",
			routes: map[string]func(http.ResponseWriter, *http.Request, int){
				"POST /actions/addon-attachments/resolve": notFound,
				"GET /apps/myapp/addon-attachments": list(
					attachmentJSON("REDIS", "r-1", "redis-a", nil, nil),
					attachmentJSON("DATABASE", "db-4", "postgresql-d", nil, nil)),
			},
			want: "db-4",
		},
		{
			name: "fallback by config var value",
			routes: map[string]func(http.ResponseWriter, *http.Request, int){
				"POST /actions/addon-attachments/resolve": notFound,
				"GET /apps/myapp/addon-attachments": list(
					attachmentJSON("HEROKU_POSTGRESQL_BLUE", "db-6", "postgresql-f", nil, nil),
					attachmentJSON("HEROKU_POSTGRESQL_RED", "db-5", "postgresql-e", nil, nil)),
				"GET /apps/myapp/config-vars": func(w http.ResponseWriter, r *http.Request, _ int) {
					writeJSON(w, 200, map[string]string{
						"DATABASE_URL":               "postgres://u:p@red/db",
						"HEROKU_POSTGRESQL_RED_URL":  "postgres://u:p@red/db",
						"HEROKU_POSTGRESQL_BLUE_URL": "postgres://u:p@blue/db",
					})
				},
			},
			want: "db-5",
		},
		{
			name: "nothing attached",
			routes: map[string]func(http.ResponseWriter, *http.Request, int){
				"POST /actions/addon-attachments/resolve": notFound,
				"GET /apps/myapp/addon-attachments":       list(),
			},
			wantErr: "no add-on attachment of myapp provides DATABASE_URL",
		},
		{
			name:     "override",
			override: "postgresql-z",
			routes: map[string]func(http.ResponseWriter, *http.Request, int){
				"GET /addons/postgresql-z": func(w http.ResponseWriter, r *http.Request, _ int) {
					writeJSON(w, 200, addonJSON("db-9", "postgresql-z"))
				},
			},
			want: "db-9",
		},
		{
			name:     "override unknown",
			override: "postgresql-nope",
			wantErr:  "look up add-on postgresql-nope (ZDCD_DATABASE_ADDON): heroku: 404",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *config.Config, _ *heroku.Options) { c.DatabaseAddon = tt.override })
			for k, h := range tt.routes {
				e.api.on(k, h)
			}
			a, err := e.client.DatabaseAddon(context.Background(), "myapp", "DATABASE_URL")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.ID != tt.want || a.AppName != "billing" || a.AppID != "app-billing" || a.Name == "" {
				t.Errorf("addon = %+v, want %s billed to billing", a, tt.want)
			}
			if reqs := e.api.requests("POST", "/actions/addon-attachments/resolve"); len(reqs) > 0 {
				if got := strings.TrimSpace(reqs[0].Body); got != `{"addon_attachment":"DATABASE_URL","app":"myapp"}` {
					t.Errorf("resolve body = %s", got)
				}
			}
		})
	}
}
