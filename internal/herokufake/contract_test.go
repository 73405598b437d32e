package herokufake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	heroku "github.com/heroku/heroku-go/v5"

	"github.com/zdcd/zdcd/internal/pgtest"
)

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Every endpoint zdcd uses, decoded by heroku-go v5.5.0's own types: nothing Heroku sends is
// left at its zero value, and every response carries the headers of HEROKU.md 2.1.
func TestContractHerokuGoDecodesEveryResponse(t *testing.T) {
	ctx := context.Background()
	e := start(t)
	db := pgtest.NewDatabase(t)
	addon, err := e.fake.AddPostgres("myapp", db)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.fake.EnableFeature("myapp", "runtime-dyno-metadata", true); err != nil {
		t.Fatal(err)
	}
	dir := slugDir(t, "release: echo migrating\nweb: gunicorn app.wsgi\nworker: celery worker\n", nil)
	dep, err := e.fake.Deploy("myapp", dir)
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders := func(call string, wantStatus int) {
		t.Helper()
		h, code := e.spy.lastResponse()
		if code != wantStatus {
			t.Errorf("%s: status %d, want %d", call, code, wantStatus)
		}
		if !uuidRe.MatchString(h.Get("Request-Id")) {
			t.Errorf("%s: Request-Id %q", call, h.Get("Request-Id"))
		}
		if h.Get("RateLimit-Remaining") == "" {
			t.Errorf("%s: no RateLimit-Remaining", call)
		}
		if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%s: Content-Type %q", call, h.Get("Content-Type"))
		}
	}

	waitRelease(t, e, dep.ID)
	app, err := e.svc.AppInfo(ctx, "myapp")
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders("AppInfo", 200)
	assertFilled(t, "App", *app, "archived_at", "internal_routing", "organization", "repo_size", "space", "team")
	if !uuidRe.MatchString(app.ID) || app.Name != "myapp" || app.Maintenance {
		t.Errorf("App = %+v", app)
	}
	byID, err := e.svc.AppInfo(ctx, app.ID)
	if err != nil || byID.Name != "myapp" {
		t.Errorf("AppInfo by id: %v %v", byID, err)
	}

	on, err := e.svc.AppUpdate(ctx, "myapp", heroku.AppUpdateOpts{Maintenance: heroku.Bool(true)})
	if err != nil || !on.Maintenance {
		t.Fatalf("maintenance on: %+v %v", on, err)
	}
	checkHeaders("AppUpdate", 200)
	if _, err := e.svc.AppUpdate(ctx, "myapp", heroku.AppUpdateOpts{Maintenance: heroku.Bool(true)}); err != nil {
		t.Fatalf("maintenance on twice: %v", err)
	}
	off, err := e.svc.AppUpdate(ctx, "myapp", heroku.AppUpdateOpts{Maintenance: heroku.Bool(false)})
	if err != nil || off.Maintenance || e.fake.Maintenance("myapp") {
		t.Fatalf("maintenance off: %+v %v", off, err)
	}

	feat, err := e.svc.AppFeatureInfo(ctx, "myapp", "runtime-dyno-metadata")
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders("AppFeatureInfo", 200)
	assertFilled(t, "AppFeature", *feat)
	if !feat.Enabled {
		t.Error("runtime-dyno-metadata not enabled")
	}

	rel, err := e.svc.ReleaseInfo(ctx, "myapp", dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders("ReleaseInfo", 200)
	assertFilled(t, "Release", *rel)
	if rel.Status != "succeeded" || !rel.Current || rel.Slug.ID != dep.SlugID || rel.Version != 3 {
		t.Errorf("deployed release = %+v (want v3: initial, attach, deploy)", rel)
	}
	if len(rel.AddonPlanNames) != 1 || rel.AddonPlanNames[0] != "heroku-postgresql:essential-0" {
		t.Errorf("addon_plan_names = %v", rel.AddonPlanNames)
	}
	if byVersion, err := e.svc.ReleaseInfo(ctx, "myapp", "3"); err != nil || byVersion.ID != rel.ID {
		t.Errorf("ReleaseInfo by version: %v %v", byVersion, err)
	}
	list, err := e.svc.ReleaseList(ctx, "myapp", &heroku.ListRange{Field: "version", Max: 10, Descending: true})
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders("ReleaseList", 200)
	if len(list) != 3 || list[0].Version != 3 || list[2].Version != 1 {
		t.Errorf("ReleaseList = %d releases, first v%d", len(list), list[0].Version)
	}
	for _, r := range list {
		if r.Slug == nil {
			assertFilled(t, "Release", r, "slug", "output_stream_url")
		} else {
			assertFilled(t, "Release", r)
		}
	}

	created, err := e.svc.ReleaseCreate(ctx, "myapp", heroku.ReleaseCreateOpts{Slug: dep.SlugID, Description: heroku.String("zdcd nightly: re-release")})
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders("ReleaseCreate", 201)
	assertFilled(t, "Release", *created)
	if created.Version != 4 || created.Description != "zdcd nightly: re-release" {
		t.Errorf("created = %+v", created)
	}
	waitRelease(t, e, created.ID)
	rb, err := e.svc.ReleaseRollback(ctx, "myapp", heroku.ReleaseRollbackOpts{Release: rel.ID})
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders("ReleaseRollback", 201)
	if rb.Version != 5 || rb.Description != "Rollback to v3" || rb.Slug.ID != dep.SlugID {
		t.Errorf("rollback = %+v", rb)
	}
	waitRelease(t, e, rb.ID)

	cfg, err := e.svc.ConfigVarInfoForApp(ctx, "myapp")
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders("ConfigVarInfoForApp", 200)
	if cfg["DATABASE_URL"] == nil || *cfg["DATABASE_URL"] != db {
		t.Errorf("DATABASE_URL missing from config vars")
	}
	relCfg, err := e.svc.ConfigVarInfoForAppRelease(ctx, "myapp", "1")
	if err != nil || len(relCfg) != 0 {
		t.Errorf("v1 config = %v %v, want empty", relCfg, err)
	}

	dynos, err := e.svc.DynoList(ctx, "myapp", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders("DynoList", 200)
	if len(dynos) != 1 || dynos[0].Name != "web.1" || dynos[0].State != "up" || dynos[0].Release.Version != 5 {
		t.Errorf("dynos = %+v", dynos)
	}
	for _, d := range dynos {
		assertFilled(t, "Dyno", d, "attach_url")
	}
	if d, err := e.svc.DynoInfo(ctx, "myapp", "web.1"); err != nil || d.ID != dynos[0].ID {
		t.Errorf("DynoInfo web.1: %v %v", d, err)
	}

	form, err := e.svc.FormationList(ctx, "myapp", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders("FormationList", 200)
	types := map[string]int{}
	for _, f := range form {
		assertFilled(t, "Formation", f)
		types[f.Type] = f.Quantity
	}
	if len(types) != 3 || types["web"] != 1 || types["worker"] != 0 || types["release"] != 0 {
		t.Errorf("formation = %v", types)
	}
	var batch heroku.FormationBatchUpdateOpts
	batch.Updates = make([]struct {
		Quantity *int    `json:"quantity,omitempty" url:"quantity,omitempty,key"`
		Size     *string `json:"size,omitempty" url:"size,omitempty,key"`
		Type     string  `json:"type" url:"type,key"`
	}, 1)
	batch.Updates[0].Quantity, batch.Updates[0].Type = heroku.Int(2), "worker"
	upd, err := e.svc.FormationBatchUpdate(ctx, "myapp", batch)
	if err != nil || len(upd) != 1 || upd[0].Quantity != 2 {
		t.Fatalf("FormationBatchUpdate: %+v %v", upd, err)
	}
	checkHeaders("FormationBatchUpdate", 200)
	one, err := e.svc.FormationUpdate(ctx, "myapp", "worker", heroku.FormationUpdateOpts{Quantity: heroku.Int(0)})
	if err != nil || one.Quantity != 0 {
		t.Fatalf("FormationUpdate: %+v %v", one, err)
	}
	assertFilled(t, "Formation", *one)
	if f, err := e.svc.FormationInfo(ctx, "myapp", "web"); err != nil || f.Quantity != 1 {
		t.Errorf("FormationInfo: %v %v", f, err)
	}

	sl, err := e.svc.SlugInfo(ctx, "myapp", dep.SlugID)
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders("SlugInfo", 200)
	assertFilled(t, "Slug", *sl)
	if sl.ProcessTypes["release"] != "echo migrating" || len(*sl.Commit) != 40 {
		t.Errorf("slug = %+v", sl)
	}
	builds, err := e.svc.BuildList(ctx, "myapp", nil)
	if err != nil || len(builds) != 1 {
		t.Fatalf("BuildList: %v %v", builds, err)
	}
	assertFilled(t, "Build", builds[0], "source_blob.checksum")

	res, err := e.svc.AddOnAttachmentResolution(ctx, heroku.AddOnAttachmentResolutionOpts{AddonAttachment: "DATABASE_URL", App: heroku.String("myapp")})
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders("AddOnAttachmentResolution", 200)
	if len(res) != 1 || res[0].Addon.ID != addon.ID || res[0].Addon.App.Name != "myapp" || res[0].Name != "DATABASE" {
		t.Fatalf("resolve = %+v", res)
	}
	assertFilled(t, "AddOnAttachment", res[0], "namespace", "log_input_url")
	atts, err := e.svc.AddOnAttachmentListByApp(ctx, "myapp", nil)
	if err != nil || len(atts) != 1 {
		t.Fatalf("AddOnAttachmentListByApp: %v %v", atts, err)
	}
	if a, err := e.svc.AddOnAttachmentInfoByApp(ctx, "myapp", "DATABASE"); err != nil || a.ID != res[0].ID {
		t.Errorf("AddOnAttachmentInfoByApp: %v %v", a, err)
	}
	ad, err := e.svc.AddOnInfo(ctx, addon.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders("AddOnInfo", 200)
	assertFilled(t, "AddOn", *ad)
	if !strings.HasPrefix(ad.Plan.Name, "heroku-postgresql:") || ad.ConfigVars[0] != "DATABASE_URL" {
		t.Errorf("addon = %+v", ad)
	}
	if l, err := e.svc.AddOnListByApp(ctx, "myapp", nil); err != nil || len(l) != 1 {
		t.Errorf("AddOnListByApp: %v %v", l, err)
	}
	rl, err := e.svc.RateLimitInfo(ctx)
	if err != nil || rl.Remaining <= 0 {
		t.Errorf("RateLimitInfo: %v %v", rl, err)
	}

	// Data API, through a second Service at the same base URL.
	var info struct {
		Info []struct {
			Name   string   `json:"name"`
			Values []string `json:"values"`
		} `json:"info"`
	}
	if err := e.svc.Get(ctx, &info, "/client/v11/databases/"+addon.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	checkHeaders("database info", 200)
	if len(info.Info) == 0 || info.Info[1].Values[0] != "Available" {
		t.Errorf("database info = %+v", info)
	}
	var tr backupTransfer
	if err := e.svc.Post(ctx, &tr, "/client/v11/databases/"+addon.ID+"/backups", nil); err != nil {
		t.Fatal(err)
	}
	checkHeaders("capture", 201) // HEROKU.md §5.3: capture and restore answer 201
	if !uuidRe.MatchString(tr.UUID) || tr.Num != 1 || tr.FromType != "pg_dump" || tr.ToType != "gof3r" || tr.FromName != "DATABASE" {
		t.Errorf("capture = %+v", tr)
	}
	done := waitTransfer(t, e, "myapp", tr.UUID)
	checkHeaders("transfer info", 200)
	if !done.Succeeded || done.StartedAt == nil || done.ProcessedBytes == 0 || len(done.Logs) == 0 ||
		!strings.HasPrefix(done.ToURL, e.url+"/blobs/") {
		t.Errorf("finished capture = %+v", done)
	}
	// The Data API's own layout, not RFC 3339 (HEROKU.md §5.3).
	for _, s := range []string{done.CreatedAt, *done.StartedAt, *done.FinishedAt} {
		if !dataTimeRe.MatchString(s) {
			t.Errorf("time %q is not in the Data API's layout 2006-01-02 15:04:05 -0700", s)
		}
	}
	var transfers []backupTransfer
	if err := e.svc.Get(ctx, &transfers, "/client/v11/apps/"+app.ID+"/transfers", nil, nil); err != nil || len(transfers) != 1 {
		t.Errorf("transfers by app id: %v %v", transfers, err)
	}
	if err := e.svc.Get(ctx, &tr, "/client/v11/apps/myapp/transfers/1", nil, nil); err != nil || tr.UUID != done.UUID {
		t.Errorf("transfer by num: %v %v", tr, err)
	}
	if tr.Logs != nil {
		t.Errorf("logs without verbose=true")
	}
	// The database password appears nowhere: not in transfers, not in database info.
	body := getRaw(t, e.url+"/client/v11/apps/myapp/transfers?verbose=true")
	body += getRaw(t, e.url+"/client/v11/databases/"+addon.ID)
	pw := pgtest.Shared(t).Password
	if strings.Contains(body, pw) {
		t.Errorf("the database password appears in a Data API response")
	}
}

func getRaw(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range v3 {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestAuthAcceptAndNotFound(t *testing.T) {
	e := start(t)
	tests := []struct {
		name     string
		header   map[string]string
		path     string
		status   int
		id       string
		basicPwd string
	}{
		{"no token", map[string]string{"Accept": v3["Accept"]}, "/apps/myapp", 401, "unauthorized", ""},
		{"wrong token", map[string]string{"Accept": v3["Accept"], "Authorization": "Bearer nope"}, "/apps/myapp", 401, "unauthorized", ""},
		{"wrong basic password", map[string]string{"Accept": v3["Accept"]}, "/apps/myapp", 401, "unauthorized", "nope"},
		{"basic with the token as password", map[string]string{"Accept": v3["Accept"]}, "/apps/myapp", 200, "", token},
		{"no Accept", map[string]string{"Authorization": v3["Authorization"]}, "/apps/myapp", 406, "not_acceptable", ""},
		{"Accept json", map[string]string{"Authorization": v3["Authorization"], "Accept": "application/json"}, "/apps/myapp", 406, "not_acceptable", ""},
		{"3.sdk variant", map[string]string{"Authorization": v3["Authorization"], "Accept": "application/vnd.heroku+json; version=3.sdk"}, "/apps/myapp", 200, "", ""},
		{"unknown app", v3, "/apps/nope", 404, "not_found", ""},
		{"unknown release", v3, "/apps/myapp/releases/99", 404, "not_found", ""},
		{"unknown slug", v3, "/apps/myapp/slugs/0b0f9f30-0000-4000-8000-000000000000", 404, "not_found", ""},
		{"unknown database", v3, "/client/v11/databases/0b0f9f30-0000-4000-8000-000000000000", 404, "not_found", ""},
		{"unknown endpoint", v3, "/nothing/here", 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.url+tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if tt.basicPwd != "" {
				req.SetBasicAuth("", tt.basicPwd)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, tt.status, m)
			}
			if tt.id != "" && (m["id"] != tt.id || m["message"] == "") {
				t.Errorf("body = %v, want id %s and a message", m, tt.id)
			}
			if resp.Header.Get("Request-Id") == "" || resp.Header.Get("RateLimit-Remaining") == "" {
				t.Errorf("headers = %v", resp.Header)
			}
		})
	}
	// An unknown verb on a known path is a JSON 404 too.
	if resp, m := raw(t, "DELETE", e.url+"/apps/myapp", v3, ""); resp.StatusCode != 404 || m["id"] != "not_found" {
		t.Errorf("DELETE /apps/myapp = %s %v", resp.Status, m)
	}
	// heroku-go sees a typed heroku.Error.
	_, err := e.svc.AppInfo(context.Background(), "nope")
	var herr heroku.Error
	if !errors.As(err, &herr) || herr.StatusCode != 404 || herr.ID != "not_found" {
		t.Errorf("AppInfo(nope) = %v", err)
	}
	// The Request-Id a client sends comes back.
	req, _ := http.NewRequest("GET", e.url+"/apps/myapp", nil)
	for k, v := range v3 {
		req.Header.Set(k, v)
	}
	req.Header.Set("Request-Id", "a6a2c1e4-0000-4000-8000-000000000001")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Request-Id") != "a6a2c1e4-0000-4000-8000-000000000001" {
		t.Errorf("Request-Id not echoed: %q", resp.Header.Get("Request-Id"))
	}
}

func TestPagination(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	// 24 config changes: releases v2..v25 (no slug, so no release phase).
	for i := 0; i < 24; i++ {
		v := strings.Repeat("x", i+1)
		if err := e.fake.SetConfigVars("myapp", map[string]*string{"N": &v}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := e.svc.ReleaseList(ctx, "myapp", &heroku.ListRange{Field: "version", Max: 10, Descending: true})
	if err != nil {
		t.Fatal(err)
	}
	h, code := e.spy.lastResponse()
	if code != 206 || len(page) != 10 || page[0].Version != 25 || page[9].Version != 16 {
		t.Fatalf("first page: status %d, %d releases from v%d", code, len(page), page[0].Version)
	}
	if h.Get("Next-Range") != "version ]16..; max=10, order=desc" || h.Get("Accept-Ranges") != "version, id" ||
		h.Get("Content-Range") != "version 25..16" {
		t.Errorf("range headers = %v", h)
	}
	// Follow Next-Range to the end.
	var versions []int
	rng := "version ..; max=10, order=desc"
	for pages := 0; rng != "" && pages < 10; pages++ {
		req, _ := http.NewRequest("GET", e.url+"/apps/myapp/releases", nil)
		for k, v := range v3 {
			req.Header.Set(k, v)
		}
		req.Header.Set("Range", rng)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var rs []heroku.Release
		if err := json.NewDecoder(resp.Body).Decode(&rs); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, r := range rs {
			versions = append(versions, r.Version)
		}
		rng = resp.Header.Get("Next-Range")
		if (rng == "") != (resp.StatusCode == 200) {
			t.Errorf("status %d with Next-Range %q", resp.StatusCode, rng)
		}
	}
	if len(versions) != 25 || versions[0] != 25 || versions[24] != 1 {
		t.Errorf("all pages = %v", versions)
	}
	// Ascending, an inclusive window, the CLI's separators.
	tests := []struct {
		rng  string
		want []int
	}{
		{"version 3..5", []int{3, 4, 5}},
		{"version ]3..5[", []int{4}},
		{"version ..; order=desc,max=1", []int{25}},
		{"version 24..; max=1000", []int{24, 25}},
	}
	for _, tt := range tests {
		resp, _ := rawList(t, e.url+"/apps/myapp/releases", tt.rng)
		var got []int
		for _, r := range resp {
			got = append(got, r.Version)
		}
		if !equalInts(got, tt.want) {
			t.Errorf("Range %q = %v, want %v", tt.rng, got, tt.want)
		}
	}
	if _, status := rawList(t, e.url+"/apps/myapp/releases", "color ..; max=5"); status != 416 {
		t.Errorf("unknown range field: status %d, want 416", status)
	}
}

func rawList(t *testing.T, url, rng string) ([]heroku.Release, int) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range v3 {
		req.Header.Set(k, v)
	}
	req.Header.Set("Range", rng)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rs []heroku.Release
	if resp.StatusCode/100 == 2 {
		if err := json.NewDecoder(resp.Body).Decode(&rs); err != nil {
			t.Fatal(err)
		}
	}
	return rs, resp.StatusCode
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Invalid requests answer 4xx with Heroku's error body and change nothing.
func TestInvalidRequests(t *testing.T) {
	e := start(t)
	if _, err := e.fake.CreateApp("otherapp"); err != nil {
		t.Fatal(err)
	}
	other, err := e.fake.CreateSlug("otherapp", slugDir(t, "web: sleep 1\n", nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.Deploy("myapp", slugDir(t, "web: sleep 1\nworker: sleep 1\n", nil)); err != nil {
		t.Fatal(err)
	}
	json := map[string]string{"Content-Type": "application/json"}
	for k, v := range v3 {
		json[k] = v
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		id                       string
	}{
		{"release with neither slug nor release", "POST", "/apps/myapp/releases", `{}`, 422, "invalid_params"},
		{"release with both", "POST", "/apps/myapp/releases", `{"slug":"` + other.ID + `","release":"1"}`, 422, "invalid_params"},
		{"slug of another app", "POST", "/apps/myapp/releases", `{"slug":"` + other.ID + `"}`, 422, "invalid_params"},
		{"unknown slug", "POST", "/apps/myapp/releases", `{"slug":"0b0f9f30-0000-4000-8000-000000000000"}`, 404, "not_found"},
		{"rollback to unknown release", "POST", "/apps/myapp/releases", `{"release":"0b0f9f30-0000-4000-8000-000000000000"}`, 404, "not_found"},
		{"invalid config var name", "PATCH", "/apps/myapp/config-vars", `{"BAD-NAME":"x"}`, 422, "invalid_params"},
		{"negative quantity", "PATCH", "/apps/myapp/formation", `{"updates":[{"type":"worker","quantity":-1}]}`, 422, "invalid_params"},
		{"unknown process type", "PATCH", "/apps/myapp/formation/clock", `{"quantity":1}`, 404, "not_found"},
		{"malformed JSON", "PATCH", "/apps/myapp", `{"maintenance":`, 400, "bad_request"},
		{"restore without backup_url", "POST", "/client/v11/databases/0b0f9f30-0000-4000-8000-000000000000/restores", `{}`, 422, "invalid_params"},
		{"unknown transfer", "GET", "/client/v11/apps/myapp/transfers/7", ``, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, m := raw(t, tt.method, e.url+tt.path, json, tt.body)
			if resp.StatusCode != tt.status || m["id"] != tt.id || m["message"] == "" {
				t.Errorf("%s %s = %d %v, want %d %s", tt.method, tt.path, resp.StatusCode, m, tt.status, tt.id)
			}
		})
	}
	if list, _ := e.svc.ReleaseList(context.Background(), "myapp", nil); len(list) != 2 {
		t.Errorf("%d releases, want 2: invalid requests created some", len(list))
	}
	if f := e.fake.Formation("myapp"); f["worker"] != 0 {
		t.Errorf("formation = %v", f)
	}
}
