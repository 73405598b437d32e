package herokufake

import (
	"crypto/sha1"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type obj = map[string]any

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

// stableID derives a UUID-shaped id from names, for resources the fake does not store
// (features, stacks).
func stableID(parts ...string) string {
	b := sha1.Sum([]byte(strings.Join(parts, "\x00")))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// mapKey is the range key of a rendered item: its top-level attribute.
func mapKey(m obj, field string) rangeValue {
	switch v := m[field].(type) {
	case int:
		return rangeValue{num: v, isNum: true}
	case string:
		return rangeValue{str: v}
	}
	return rangeValue{}
}

func (s *Server) platformRoutes() {
	s.handle("GET /account/rate-limits", s.rateLimit)
	s.handle("GET /apps/{app}", s.withApp(s.appInfo))
	s.handle("PATCH /apps/{app}", s.appUpdate)
	s.handle("GET /apps/{app}/features", s.withApp(s.featureList))
	s.handle("GET /apps/{app}/features/{feature}", s.featureInfo)
	s.handle("PATCH /apps/{app}/features/{feature}", s.featureUpdate)
	s.handle("GET /apps/{app}/releases", s.withApp(s.releaseList))
	s.handle("GET /apps/{app}/releases/{release}", s.releaseInfo)
	s.handle("POST /apps/{app}/releases", s.releaseCreate)
	s.handle("GET /apps/{app}/releases/{release}/config-vars", s.releaseConfig)
	s.handle("GET /apps/{app}/config-vars", s.withApp(s.configInfo))
	s.handle("PATCH /apps/{app}/config-vars", s.configUpdate)
	s.handle("GET /apps/{app}/dynos", s.withApp(s.dynoList))
	s.handle("GET /apps/{app}/dynos/{dyno}", s.withApp(s.dynoInfo))
	s.handle("GET /apps/{app}/formation", s.withApp(s.formationList))
	s.handle("PATCH /apps/{app}/formation", s.formationBatchUpdate)
	s.handle("GET /apps/{app}/formation/{type}", s.withApp(s.formationInfo))
	s.handle("PATCH /apps/{app}/formation/{type}", s.formationUpdate)
	s.handle("GET /apps/{app}/builds", s.withApp(s.buildList))
	s.handle("GET /apps/{app}/builds/{build}", s.withApp(s.buildInfo))
	s.handle("GET /apps/{app}/slugs/{slug}", s.withApp(s.slugInfo))
	s.handle("GET /apps/{app}/addons", s.withApp(s.addonList))
	s.handle("GET /apps/{app}/addons/{addon}", s.withApp(s.addonInfoByApp))
	s.handle("GET /addons/{addon}", s.addonInfo)
	s.handle("GET /apps/{app}/addon-attachments", s.withApp(s.attachmentList))
	s.handle("GET /apps/{app}/addon-attachments/{attachment}", s.withApp(s.attachmentInfo))
	s.handle("POST /actions/addon-attachments/resolve", s.attachmentResolve)
	s.handle("GET /streams/{release}", s.stream)
}

// lookupApp finds {app} by id or name. s.mu must be held.
// appHandler serves a request about one app, found by the {app} of the path, under the lock.
type appHandler func(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError)

// withApp locks the state, looks the app up (404 when there is none) and calls h.
func (s *Server) withApp(h appHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
		s.mu.Lock()
		defer s.mu.Unlock()
		a, err := s.lookupApp(r)
		if err != nil {
			return 0, nil, err
		}
		return h(w, r, a)
	}
}

func (s *Server) lookupApp(r *http.Request) (*app, *apiError) {
	if a := s.findApp(r.PathValue("app")); a != nil {
		return a, nil
	}
	return nil, notFound("app", "Couldn't find that app.")
}

func (s *Server) rateLimit(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return http.StatusOK, obj{"remaining": int(s.tokens)}, nil
}

// --- apps ---

func (s *Server) renderApp(a *app) obj {
	var slugSize any
	if sl := s.slugByID(s.currentRelease(a).slugID); sl != nil {
		slugSize = sl.size
	}
	stack := obj{"id": stableID("stack", stackOf(a)), "name": stackOf(a)}
	gen := generationOf(a)
	return obj{
		"id": a.id, "name": a.name, "maintenance": a.maintenance, "acm": false,
		"archived_at": nil, "buildpack_provided_description": "Python",
		"build_stack": stack, "stack": stack,
		"generation": obj{"id": stableID("generation", gen), "name": gen},
		"created_at": ts(a.createdAt), "updated_at": ts(a.updatedAt), "released_at": tsPtr(a.releasedAt),
		"git_url":          "https://git.heroku.com/" + a.name + ".git",
		"web_url":          "https://" + a.name + "-" + a.id[:12] + ".herokuapp.com/",
		"internal_routing": nil, "organization": nil, "team": nil, "space": nil,
		"owner":     obj{"email": ownerEmail, "id": stableID("account", ownerEmail)},
		"region":    obj{"id": stableID("region", regionName), "name": regionName},
		"repo_size": nil, "slug_size": slugSize,
	}
}

func (s *Server) appInfo(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	return http.StatusOK, s.renderApp(a), nil
}

func (s *Server) appUpdate(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var body struct {
		Maintenance *bool   `json:"maintenance"`
		Name        *string `json:"name"`
		BuildStack  *string `json:"build_stack"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(r)
	if err != nil {
		return 0, nil, err
	}
	if body.Maintenance != nil && generationOf(a) == generationFir {
		return 0, nil, maintenanceUnsupported()
	}
	if body.Maintenance != nil && a.maintenance != *body.Maintenance {
		a.maintenance = *body.Maintenance
		a.updatedAt = s.now()
		s.opts.Logf("app %s: maintenance %v", a.name, a.maintenance)
	}
	return http.StatusOK, s.renderApp(a), nil
}

// --- features ---

var knownFeatures = map[string]string{
	"runtime-dyno-metadata":       "Information about the app and environment are available as dyno environment variables.",
	"runtime-dyno-build-metadata": "Build metadata is available as dyno environment variables.",
	"preboot":                     "Provide seamless web dyno deploys.",
}

func (s *Server) renderFeature(a *app, name string) obj {
	return obj{
		"id": stableID("feature", a.id, name), "name": name, "display_name": name,
		"description": knownFeatures[name], "doc_url": "https://devcenter.heroku.com/articles/" + name,
		"enabled": a.features[name], "state": "beta", "feedback_email": "feedback@heroku.com",
		"created_at": ts(a.createdAt), "updated_at": ts(a.updatedAt),
	}
}

func (s *Server) featureList(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	var items []obj
	for _, n := range sortedKeys(knownFeatures) {
		items = append(items, s.renderFeature(a, n))
	}
	return paginate(w, r, items, []string{"id", "name"}, mapKey)
}

func (s *Server) lookupFeature(r *http.Request) (*app, string, *apiError) {
	a, err := s.lookupApp(r)
	if err != nil {
		return nil, "", err
	}
	name := r.PathValue("feature")
	for n := range knownFeatures {
		if n == name || stableID("feature", a.id, n) == name {
			return a, n, nil
		}
	}
	return nil, "", notFound("app-feature", "Couldn't find that feature.")
}

func (s *Server) featureInfo(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, name, err := s.lookupFeature(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.renderFeature(a, name), nil
}

func (s *Server) featureUpdate(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var body struct {
		Enabled *bool `json:"enabled"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	if body.Enabled == nil {
		return 0, nil, invalid("Missing required param: enabled.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, name, err := s.lookupFeature(r)
	if err != nil {
		return 0, nil, err
	}
	a.features[name] = *body.Enabled
	return http.StatusOK, s.renderFeature(a, name), nil
}

// --- releases ---

func (s *Server) renderRelease(r *http.Request, a *app, rel *release) obj {
	var slugRef, stream any
	if rel.slugID != "" {
		slugRef = obj{"id": rel.slugID}
	}
	if rel.hasCommand {
		stream = s.baseURL(r) + "/streams/" + rel.id
	}
	plans := []string{}
	for _, ad := range s.addons {
		if ad.appID == a.id {
			plans = append(plans, ad.plan)
		}
	}
	return obj{
		"id": rel.id, "version": rel.version, "status": rel.status, "current": rel.current,
		"description": rel.description, "slug": slugRef, "output_stream_url": stream,
		"addon_plan_names": plans, "app": obj{"id": a.id, "name": a.name},
		"user":       obj{"id": stableID("account", ownerEmail), "email": ownerEmail},
		"created_at": ts(rel.createdAt), "updated_at": ts(rel.updatedAt),
		"eligible_for_rollback": rel.status == "succeeded" && rel.slugID != "",
	}
}

func (s *Server) releaseList(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	items := make([]obj, 0, len(a.releases))
	for _, rel := range a.releases {
		items = append(items, s.renderRelease(r, a, rel))
	}
	return paginate(w, r, items, []string{"version", "id"}, mapKey)
}

func (s *Server) lookupRelease(r *http.Request) (*app, *release, *apiError) {
	a, err := s.lookupApp(r)
	if err != nil {
		return nil, nil, err
	}
	rel := findRelease(a, r.PathValue("release"))
	if rel == nil {
		return nil, nil, notFound("release", "Couldn't find that release.")
	}
	return a, rel, nil
}

func (s *Server) releaseInfo(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, rel, err := s.lookupRelease(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.renderRelease(r, a, rel), nil
}

// releaseCreate is both "create from slug" ({"slug"}) and rollback ({"release"}).
func (s *Server) releaseCreate(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var body struct {
		Slug        *string `json:"slug"`
		Release     *string `json:"release"`
		Description *string `json:"description"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	if (body.Slug == nil) == (body.Release == nil) {
		return 0, nil, invalid("Exactly one of slug or release is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(r)
	if err != nil {
		return 0, nil, err
	}
	var rel *release
	if body.Slug != nil {
		sl := s.findSlug(a, *body.Slug)
		if sl == nil {
			if other := s.slugByID(*body.Slug); other != nil && other.appID != a.id {
				return 0, nil, invalid("Slug belongs to another app.")
			}
			return 0, nil, notFound("slug", "Couldn't find that slug.")
		}
		desc := sl.description
		if body.Description != nil {
			desc = *body.Description
		}
		rel = s.newRelease(a, desc, sl.id)
	} else {
		target := findRelease(a, *body.Release)
		if target == nil {
			return 0, nil, notFound("release", "Couldn't find that release.")
		}
		if target.status == "expired" {
			return 0, nil, invalid("Rollback to expired releases is not supported.")
		}
		a.config = make(map[string]string, len(target.config))
		for k, v := range target.config {
			a.config[k] = v
		}
		rel = s.newRelease(a, fmt.Sprintf("Rollback to v%d", target.version), target.slugID)
	}
	s.startRelease(a, rel)
	s.opts.Logf("app %s: release v%d created: %s", a.name, rel.version, rel.description)
	return http.StatusCreated, s.renderRelease(r, a, rel), nil
}

func configObj(m map[string]string) obj {
	out := obj{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (s *Server) releaseConfig(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, rel, err := s.lookupRelease(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, configObj(rel.config), nil
}

func (s *Server) configInfo(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	return http.StatusOK, configObj(a.config), nil
}

func (s *Server) configUpdate(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var body map[string]*string
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(r)
	if err != nil {
		return 0, nil, err
	}
	if err := s.setConfig(a, body); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, configObj(a.config), nil
}

// --- dynos and formation ---

func renderDyno(a *app, d *dyno) obj {
	return obj{
		"id": d.id, "name": d.name, "type": d.typ, "state": d.state, "command": d.command,
		"size": d.size, "attach_url": nil, "app": obj{"id": a.id, "name": a.name},
		"release":    obj{"id": d.releaseID, "version": d.releaseVersion},
		"created_at": ts(d.createdAt), "updated_at": ts(d.updatedAt),
	}
}

func (s *Server) dynoList(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	items := []obj{}
	for _, d := range a.dynos {
		items = append(items, renderDyno(a, d))
	}
	return paginate(w, r, items, []string{"id", "name"}, mapKey)
}

func (s *Server) dynoInfo(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	id := r.PathValue("dyno")
	for _, d := range a.dynos {
		if d.id == id || d.name == id {
			return http.StatusOK, renderDyno(a, d), nil
		}
	}
	return 0, nil, notFound("dyno", "Couldn't find that dyno.")
}

func renderFormation(a *app, f *formation) obj {
	return obj{
		"id": f.id, "type": f.typ, "quantity": f.quantity, "size": f.size, "command": f.command,
		"app":        obj{"id": a.id, "name": a.name},
		"created_at": ts(f.createdAt), "updated_at": ts(f.updatedAt),
	}
}

func (s *Server) formationList(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	items := []obj{}
	for _, t := range sortedKeys(a.formation) {
		items = append(items, renderFormation(a, a.formation[t]))
	}
	return paginate(w, r, items, []string{"id", "type"}, mapKey)
}

func findFormation(a *app, idOrType string) *formation {
	for _, f := range a.formation {
		if f.id == idOrType || f.typ == idOrType {
			return f
		}
	}
	return nil
}

func (s *Server) formationInfo(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	f := findFormation(a, r.PathValue("type"))
	if f == nil {
		return 0, nil, notFound("formation", "Couldn't find that process type.")
	}
	return http.StatusOK, renderFormation(a, f), nil
}

type formationChange struct {
	Type     string  `json:"type"`
	Quantity *int    `json:"quantity"`
	Size     *string `json:"size"`
}

// applyFormation validates every change before applying any. s.mu must be held.
func (s *Server) applyFormation(a *app, changes []formationChange) ([]*formation, *apiError) {
	var fs []*formation
	for _, c := range changes {
		f := findFormation(a, c.Type)
		if f == nil {
			return nil, notFound("formation", fmt.Sprintf("Couldn't find that process type (%s).", c.Type))
		}
		if c.Quantity != nil && *c.Quantity < 0 {
			return nil, invalid("Quantity must be zero or more.")
		}
		fs = append(fs, f)
	}
	now := s.now()
	for i, c := range changes {
		if c.Quantity != nil {
			fs[i].quantity = *c.Quantity
		}
		if c.Size != nil {
			fs[i].size = *c.Size
		}
		fs[i].updatedAt = now
	}
	s.syncDynos(a)
	return fs, nil
}

func (s *Server) formationBatchUpdate(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var body struct {
		Updates []formationChange `json:"updates"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(r)
	if err != nil {
		return 0, nil, err
	}
	fs, err := s.applyFormation(a, body.Updates)
	if err != nil {
		return 0, nil, err
	}
	out := []obj{}
	for _, f := range fs {
		out = append(out, renderFormation(a, f))
	}
	return http.StatusOK, out, nil
}

func (s *Server) formationUpdate(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var c formationChange
	if err := decodeBody(r, &c); err != nil {
		return 0, nil, err
	}
	c.Type = r.PathValue("type")
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(r)
	if err != nil {
		return 0, nil, err
	}
	fs, err := s.applyFormation(a, []formationChange{c})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderFormation(a, fs[0]), nil
}

// --- builds and slugs ---

func (s *Server) renderBuild(r *http.Request, a *app, b *build) obj {
	return obj{
		"id": b.id, "status": b.status, "release": obj{"id": b.releaseID}, "slug": obj{"id": b.slugID},
		"source_blob":       obj{"checksum": nil, "url": s.baseURL(r) + "/sources/" + b.id + ".tgz", "version": b.version},
		"output_stream_url": s.baseURL(r) + "/streams/builds/" + b.id,
		"buildpacks":        []obj{{"url": "https://github.com/heroku/heroku-buildpack-python", "name": "heroku/python"}},
		"stack":             stackOf(a), "app": obj{"id": a.id},
		"user":       obj{"id": stableID("account", ownerEmail), "email": ownerEmail},
		"created_at": ts(b.createdAt), "updated_at": ts(b.updatedAt),
	}
}

func (s *Server) buildList(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	items := []obj{}
	for _, b := range s.builds {
		if b.appID == a.id {
			items = append(items, s.renderBuild(r, a, b))
		}
	}
	return paginate(w, r, items, []string{"id", "created_at"}, mapKey)
}

func (s *Server) buildInfo(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	for _, b := range s.builds {
		if b.appID == a.id && b.id == r.PathValue("build") {
			return http.StatusOK, s.renderBuild(r, a, b), nil
		}
	}
	return 0, nil, notFound("build", "Couldn't find that build.")
}

func (s *Server) slugInfo(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	sl := s.findSlug(a, r.PathValue("slug"))
	if sl == nil {
		return 0, nil, notFound("slug", "Couldn't find that slug.")
	}
	pt := obj{}
	for k, v := range sl.processTypes {
		pt[k] = v
	}
	return http.StatusOK, obj{
		"id": sl.id, "commit": sl.commit, "commit_description": sl.description, "process_types": pt,
		"blob":                           obj{"method": "GET", "url": s.baseURL(r) + "/slugs/" + sl.id + ".tgz"},
		"buildpack_provided_description": "Python", "checksum": sl.checksum, "size": sl.size,
		"stack":      obj{"id": stableID("stack", stackName), "name": stackName},
		"created_at": ts(sl.createdAt), "updated_at": ts(sl.updatedAt),
	}, nil
}

// --- add-ons and attachments ---

func (s *Server) appByID(id string) *app {
	for _, a := range s.apps {
		if a.id == id {
			return a
		}
	}
	return nil
}

func (s *Server) renderAddon(ad *addon) obj {
	billing := s.appByID(ad.appID)
	vars := []string{}
	for _, at := range s.attachments {
		if at.addonID == ad.id && at.appID == ad.appID {
			vars = append(vars, at.configVar())
		}
	}
	state := "provisioned"
	if !ad.provisioned {
		state = "provisioning"
	}
	return obj{
		"actions": []obj{}, "addon_service": obj{"id": ad.serviceID, "name": ad.service},
		"app":            obj{"id": billing.id, "name": billing.name},
		"billed_price":   obj{"cents": 0, "contract": false, "unit": "month"},
		"billing_entity": obj{"id": billing.id, "name": billing.name, "type": "app"},
		"config_vars":    vars, "id": ad.id, "name": ad.name,
		"plan":        obj{"id": ad.planID, "name": ad.plan},
		"provider_id": "resource" + ad.id[:8], "state": state,
		"web_url":    "https://data.heroku.com/datastores/" + ad.id,
		"created_at": ts(ad.createdAt), "updated_at": ts(ad.updatedAt),
	}
}

func (s *Server) addonList(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	items := []obj{}
	for _, ad := range s.addons {
		attached := ad.appID == a.id
		for _, at := range s.attachments {
			attached = attached || (at.addonID == ad.id && at.appID == a.id)
		}
		if attached {
			items = append(items, s.renderAddon(ad))
		}
	}
	return paginate(w, r, items, []string{"id", "name"}, mapKey)
}

func (s *Server) findAddon(idOrName string) *addon {
	for _, ad := range s.addons {
		if ad.id == idOrName || ad.name == idOrName {
			return ad
		}
	}
	return nil
}

func (s *Server) addonInfo(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ad := s.findAddon(r.PathValue("addon"))
	if ad == nil {
		return 0, nil, notFound("add-on", "Couldn't find that add-on.")
	}
	return http.StatusOK, s.renderAddon(ad), nil
}

func (s *Server) addonInfoByApp(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	id := r.PathValue("addon")
	for _, at := range s.attachments {
		ad := s.findAddon(at.addonID)
		if at.appID == a.id && (ad.id == id || ad.name == id || at.name == id) {
			return http.StatusOK, s.renderAddon(ad), nil
		}
	}
	return 0, nil, notFound("add-on", "Couldn't find that add-on.")
}

// renderAttachment renders an attachment; with the 3.sdk inclusions the CLI asks for
// (Accept-Inclusion: addon:plan,config_vars) it adds addon.plan and config_vars.
func (s *Server) renderAttachment(r *http.Request, at *attachment) obj {
	a := s.appByID(at.appID)
	ad := s.findAddon(at.addonID)
	billing := s.appByID(ad.appID)
	addonObj := obj{"id": ad.id, "name": ad.name, "app": obj{"id": billing.id, "name": billing.name}}
	out := obj{
		"id": at.id, "name": at.name, "namespace": at.namespace, "addon": addonObj,
		"app":        obj{"id": a.id, "name": a.name},
		"created_at": ts(at.createdAt), "updated_at": ts(at.updatedAt),
		"web_url":       "https://data.heroku.com/datastores/" + ad.id,
		"log_input_url": nil,
	}
	inc := r.Header.Get("Accept-Inclusion")
	if strings.Contains(inc, "config_vars") {
		out["config_vars"] = []string{at.configVar()}
	}
	if strings.Contains(inc, "addon:plan") {
		addonObj["plan"] = obj{"id": ad.planID, "name": ad.plan}
	}
	return out
}

func (s *Server) attachmentList(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	items := []obj{}
	for _, at := range s.attachments {
		if at.appID == a.id {
			items = append(items, s.renderAttachment(r, at))
		}
	}
	return paginate(w, r, items, []string{"id", "name"}, mapKey)
}

func (s *Server) attachmentInfo(w http.ResponseWriter, r *http.Request, a *app) (int, any, *apiError) {
	id := r.PathValue("attachment")
	for _, at := range s.attachments {
		if at.appID == a.id && (at.id == id || at.name == id) {
			return http.StatusOK, s.renderAttachment(r, at), nil
		}
	}
	return 0, nil, notFound("add-on attachment", "Couldn't find that add-on attachment.")
}

// attachmentResolve resolves "DATABASE_URL", "DATABASE", an attachment id or an add-on name
// to the app's matching attachments (§4.8).
func (s *Server) attachmentResolve(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var body struct {
		AddonAttachment string  `json:"addon_attachment"`
		AddonService    *string `json:"addon_service"`
		App             *string `json:"app"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	if body.AddonAttachment == "" {
		return 0, nil, invalid("Missing required param: addon_attachment.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var a *app
	if body.App != nil {
		if a = s.findApp(*body.App); a == nil {
			return 0, nil, notFound("app", "Couldn't find that app.")
		}
	}
	want := strings.TrimPrefix(body.AddonAttachment, "@")
	name := strings.TrimSuffix(want, "_URL")
	out := []obj{}
	for _, at := range s.attachments {
		if a != nil && at.appID != a.id {
			continue
		}
		ad := s.findAddon(at.addonID)
		if body.AddonService != nil && ad.service != *body.AddonService {
			continue
		}
		if at.id == want || at.name == name || at.name == want || ad.name == want || ad.id == want {
			out = append(out, s.renderAttachment(r, at))
		}
	}
	if len(out) == 0 {
		return 0, nil, notFound("add_on attachment", fmt.Sprintf("Couldn't find that add on attachment (%s).", body.AddonAttachment))
	}
	return http.StatusOK, out, nil
}

// --- release output ---

// stream serves a release's output as text/plain: 404 until the command has started, then the
// output so far, following it until the command ends. `Range: bytes=N-` resumes at N.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	id := r.PathValue("release")
	var out *output
	s.mu.Lock()
	for _, a := range s.apps {
		for _, rel := range a.releases {
			if rel.id == id {
				out = rel.output
			}
		}
	}
	s.mu.Unlock()
	if out == nil {
		return 0, nil, notFound("stream", "Couldn't find that output stream.")
	}
	from := 0
	if rg := r.Header.Get("Range"); rg != "" {
		spec, ok := strings.CutPrefix(rg, "bytes=")
		n, err := strconv.Atoi(strings.TrimSuffix(spec, "-"))
		if !ok || err != nil || n < 0 {
			return 0, nil, &apiError{Status: http.StatusRequestedRangeNotSatisfiable, ID: "requested_range_not_satisfiable", Message: "Invalid Range; use bytes=N-."}
		}
		from = n
	}
	b, started, finished, changed := out.snapshot(from)
	if !started {
		return 0, nil, notFound("stream", "Release command not started yet.")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	if from > 0 {
		w.WriteHeader(http.StatusPartialContent)
	} else {
		w.WriteHeader(http.StatusOK)
	}
	flusher, _ := w.(http.Flusher)
	for {
		if len(b) > 0 {
			if _, err := w.Write(b); err != nil {
				return 0, nil, nil
			}
			from += len(b)
		}
		if flusher != nil {
			flusher.Flush()
		}
		if finished {
			return 0, nil, nil
		}
		select {
		case <-changed:
		case <-r.Context().Done():
			return 0, nil, nil
		}
		b, _, finished, changed = out.snapshot(from)
	}
}
