package herokufake

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fixed identities the fake reports for every app.
const (
	stackName  = "heroku-24"
	ownerEmail = "owner@example.com"
	regionName = "us"
)

type app struct {
	id, name             string
	maintenance          bool
	generation           string // "" (Cedar) or "fir": generation.go
	createdAt, updatedAt time.Time
	releasedAt           *time.Time
	features             map[string]bool
	config               map[string]string
	releases             []*release // by version
	formation            map[string]*formation
	dynos                []*dyno
	stackID, regionID    string
	ownerID              string
	// lastPhase is closed when the newest release phase started ends (SerializeReleases).
	lastPhase chan struct{}
}

type release struct {
	id          string
	version     int
	status      string
	current     bool
	description string
	slugID      string // "" for releases without code (initial release, config before deploy)
	config      map[string]string
	createdAt   time.Time
	updatedAt   time.Time
	hasCommand  bool // the slug has a release process type: output_stream_url is set
	output      *output
}

// output is the release command's output, written while it runs.
type output struct {
	mu       sync.Mutex
	buf      []byte
	started  bool
	finished bool
	changed  chan struct{}
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.buf = append(o.buf, p...)
	close(o.changed)
	o.changed = make(chan struct{})
	o.mu.Unlock()
	return len(p), nil
}

func (o *output) setStarted() {
	o.mu.Lock()
	o.started = true
	close(o.changed)
	o.changed = make(chan struct{})
	o.mu.Unlock()
}

func (o *output) finish() {
	o.mu.Lock()
	o.finished = true
	close(o.changed)
	o.changed = make(chan struct{})
	o.mu.Unlock()
}

// snapshot returns the bytes from offset on, whether the command started and ended, and a
// channel closed at the next change.
func (o *output) snapshot(from int) ([]byte, bool, bool, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var b []byte
	if from < len(o.buf) {
		b = append(b, o.buf[from:]...)
	}
	return b, o.started, o.finished, o.changed
}

type slug struct {
	id, appID            string
	dir                  string
	commit, description  string
	processTypes         map[string]string
	size                 int
	checksum             string
	expired              bool // its artifacts were destroyed (§1.4): 404, cannot be released
	createdAt, updatedAt time.Time
}

type build struct {
	id, appID, slugID, releaseID string
	status                       string
	version                      string
	createdAt, updatedAt         time.Time
}

type formation struct {
	id, typ, command, size string
	quantity               int
	createdAt, updatedAt   time.Time
}

type dyno struct {
	id, name, typ, command, size string
	state                        string
	releaseID                    string
	releaseVersion               int
	createdAt, updatedAt         time.Time
}

type addon struct {
	id, name, appID      string
	service, plan        string
	serviceID, planID    string
	databaseURL          string
	provisioned          bool
	createdAt, updatedAt time.Time
}

type attachment struct {
	id, name, addonID, appID string
	namespace                *string
	createdAt, updatedAt     time.Time
}

func (a *attachment) configVar() string { return a.name + "_URL" }

// AppInfo describes a seeded app.
type AppInfo struct{ ID, Name string }

// AddOnInfo describes a seeded add-on and its attachment.
type AddOnInfo struct {
	ID, Name string
	// AppName is the billing app.
	AppName string
	// ConfigVar is the config var the attachment sets, e.g. DATABASE_URL.
	ConfigVar string
}

var appNameRe = regexp.MustCompile(`^[a-z][a-z0-9-]{1,29}$`)

// CreateApp creates an app with its v1 "Initial release", as Heroku does.
func (s *Server) CreateApp(name string) (AppInfo, error) {
	if !appNameRe.MatchString(name) {
		return AppInfo{}, fmt.Errorf("herokufake: invalid app name %q", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.findApp(name) != nil {
		return AppInfo{}, fmt.Errorf("herokufake: app %s already exists", name)
	}
	now := s.now()
	a := &app{id: s.newID(), name: name, createdAt: now, updatedAt: now,
		features: map[string]bool{}, config: map[string]string{}, formation: map[string]*formation{},
		stackID: s.newID(), regionID: s.newID(), ownerID: s.newID()}
	s.apps = append(s.apps, a)
	r := s.newRelease(a, "Initial release", "")
	r.status, r.current = "succeeded", true
	a.releasedAt = &now
	return AppInfo{ID: a.id, Name: a.name}, nil
}

// EnableFeature turns an app feature (Labs flag) on or off, e.g. runtime-dyno-metadata.
func (s *Server) EnableFeature(appName, feature string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findApp(appName)
	if a == nil {
		return fmt.Errorf("herokufake: no app %s", appName)
	}
	if _, ok := knownFeatures[feature]; !ok {
		return fmt.Errorf("herokufake: unknown feature %s", feature)
	}
	a.features[feature] = on
	return nil
}

// AddPostgres provisions a heroku-postgresql add-on backed by the real database at databaseURL,
// attached to the app as DATABASE (config var DATABASE_URL). Like Heroku it creates a release
// ("Attach DATABASE …") that does not run release phase.
func (s *Server) AddPostgres(appName, databaseURL string) (AddOnInfo, error) {
	if _, err := url.Parse(databaseURL); err != nil {
		return AddOnInfo{}, fmt.Errorf("herokufake: database URL does not parse")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findApp(appName)
	if a == nil {
		return AddOnInfo{}, fmt.Errorf("herokufake: no app %s", appName)
	}
	attName := "DATABASE"
	for _, at := range s.attachments {
		if at.appID == a.id && at.name == attName {
			// Heroku names later databases HEROKU_POSTGRESQL_<COLOR>.
			attName = "HEROKU_POSTGRESQL_" + colors[len(s.addons)%len(colors)]
		}
	}
	now := s.now()
	ad := &addon{id: s.newID(), appID: a.id, service: "heroku-postgresql",
		plan: "heroku-postgresql:essential-0", serviceID: s.newID(), planID: s.newID(),
		databaseURL: databaseURL, provisioned: true, createdAt: now, updatedAt: now}
	ad.name = "postgresql-" + words[len(s.addons)%len(words)] + "-" + strconv.Itoa(10000+len(s.addons)*7919%90000)
	at := &attachment{id: s.newID(), name: attName, addonID: ad.id, appID: a.id, createdAt: now, updatedAt: now}
	s.addons = append(s.addons, ad)
	s.attachments = append(s.attachments, at)
	a.config[at.configVar()] = databaseURL
	cur := s.currentRelease(a)
	r := s.newRelease(a, fmt.Sprintf("Attach %s (@ref:%s)", attName, ad.name), cur.slugID)
	s.succeed(a, r)
	return AddOnInfo{ID: ad.id, Name: ad.name, AppName: a.name, ConfigVar: at.configVar()}, nil
}

var (
	colors = []string{"AMBER", "BLUE", "COBALT", "CRIMSON", "GOLD", "GREEN", "IVORY", "JADE"}
	words  = []string{"curved", "silhouetted", "rugged", "aerodynamic", "flat", "tapered"}
)

// SetConfigVars sets (a nil value deletes) config vars and creates a release, exactly as
// PATCH /apps/{app}/config-vars does: the release runs release phase when the current slug
// has a release command.
func (s *Server) SetConfigVars(appName string, vars map[string]*string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findApp(appName)
	if a == nil {
		return fmt.Errorf("herokufake: no app %s", appName)
	}
	if err := s.setConfig(a, vars); err != nil {
		return err
	}
	return nil
}

var configKeyRe = regexp.MustCompile(`^\w+$`)

func (s *Server) setConfig(a *app, vars map[string]*string) *apiError {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		if !configKeyRe.MatchString(k) {
			return invalid(fmt.Sprintf("Invalid config var name %q: names may contain only letters, digits and underscores.", k))
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	changed := false
	for _, k := range keys {
		v := vars[k]
		old, had := a.config[k]
		if v == nil {
			if had {
				delete(a.config, k)
				changed = true
			}
			continue
		}
		if !had || old != *v {
			a.config[k] = *v
			changed = true
		}
	}
	if !changed {
		return nil
	}
	desc := "Set " + strings.Join(keys, ", ") + " config vars"
	if len(keys) == 1 {
		desc = "Set " + keys[0] + " config var"
	}
	cur := s.currentRelease(a)
	r := s.newRelease(a, desc, cur.slugID)
	s.startRelease(a, r)
	return nil
}

// findApp finds an app by id or name. s.mu must be held.
func (s *Server) findApp(idOrName string) *app {
	for _, a := range s.apps {
		if a.id == idOrName || a.name == idOrName {
			return a
		}
	}
	return nil
}

func (s *Server) findSlug(a *app, id string) *slug {
	for _, sl := range s.slugs {
		if sl.id == id && sl.appID == a.id && !sl.expired {
			return sl
		}
	}
	return nil
}

func (s *Server) slugByID(id string) *slug {
	for _, sl := range s.slugs {
		if sl.id == id {
			return sl
		}
	}
	return nil
}

// findRelease finds a release by id or version number.
func findRelease(a *app, idOrVersion string) *release {
	v, err := strconv.Atoi(strings.TrimPrefix(idOrVersion, "v"))
	for _, r := range a.releases {
		if r.id == idOrVersion || (err == nil && r.version == v) {
			return r
		}
	}
	return nil
}

func (s *Server) currentRelease(a *app) *release {
	for _, r := range a.releases {
		if r.current {
			return r
		}
	}
	return a.releases[0]
}

// newRelease appends release vN+1 of the app's current config and the given slug, pending.
func (s *Server) newRelease(a *app, description, slugID string) *release {
	now := s.now()
	cfg := make(map[string]string, len(a.config))
	for k, v := range a.config {
		cfg[k] = v
	}
	r := &release{id: s.newID(), version: len(a.releases) + 1, status: "pending",
		description: description, slugID: slugID, config: cfg, createdAt: now, updatedAt: now}
	a.releases = append(a.releases, r)
	return r
}

// succeed makes r the current release and moves the formation's dynos onto it.
func (s *Server) succeed(a *app, r *release) {
	now := s.now()
	r.status, r.updatedAt = "succeeded", now
	cur := s.currentRelease(a)
	if cur.version > r.version && cur.current {
		return // a newer release went live first
	}
	cur.current = false
	r.current = true
	a.releasedAt = &now
	if sl := s.slugByID(r.slugID); sl != nil {
		s.syncFormation(a, sl)
	}
	s.syncDynos(a)
}

// syncFormation adds the slug's process types to the formation (web at 1, others at 0) and
// updates commands; types the slug lacks are kept at their quantity, as Heroku does.
func (s *Server) syncFormation(a *app, sl *slug) {
	now := s.now()
	for typ, cmd := range sl.processTypes {
		f, ok := a.formation[typ]
		if !ok {
			q := 0
			if typ == "web" {
				q = 1
			}
			f = &formation{id: s.newID(), typ: typ, size: "Basic", quantity: q, createdAt: now}
			a.formation[typ] = f
		}
		f.command, f.updatedAt = cmd, now
	}
}

// syncDynos runs quantity dynos of each formation type (except release) on the current release.
func (s *Server) syncDynos(a *app) {
	now := s.now()
	cur := s.currentRelease(a)
	var dynos []*dyno
	for _, d := range a.dynos {
		if d.typ == "release" {
			dynos = append(dynos, d) // a release phase still running
		}
	}
	for _, typ := range sortedKeys(a.formation) {
		f := a.formation[typ]
		if typ == "release" {
			continue
		}
		for i := 1; i <= f.quantity; i++ {
			d := &dyno{id: s.newID(), name: fmt.Sprintf("%s.%d", typ, i), typ: typ, command: f.command,
				size: f.size, state: "up", releaseID: cur.id, releaseVersion: cur.version,
				createdAt: now, updatedAt: now}
			for _, old := range a.dynos {
				if old.name == d.name && old.releaseID == cur.id {
					d = old
				}
			}
			dynos = append(dynos, d)
		}
	}
	a.dynos = dynos
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ReleaseStatus is a release as tests see it.
type ReleaseStatus struct {
	ID          string
	Version     int
	Status      string
	Current     bool
	Description string
	SlugID      string
	Output      string
}

// Release returns release idOrVersion of an app.
func (s *Server) Release(appName, idOrVersion string) (ReleaseStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findApp(appName)
	if a == nil {
		return ReleaseStatus{}, fmt.Errorf("herokufake: no app %s", appName)
	}
	r := findRelease(a, idOrVersion)
	if r == nil {
		return ReleaseStatus{}, fmt.Errorf("herokufake: no release %s of %s", idOrVersion, appName)
	}
	rs := ReleaseStatus{ID: r.id, Version: r.version, Status: r.status, Current: r.current,
		Description: r.description, SlugID: r.slugID}
	if r.output != nil {
		b, _, _, _ := r.output.snapshot(0)
		rs.Output = string(b)
	}
	return rs, nil
}

// Maintenance reports an app's maintenance flag.
func (s *Server) Maintenance(appName string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.findApp(appName); a != nil {
		return a.maintenance
	}
	return false
}

// Formation returns the quantity of each process type of an app.
func (s *Server) Formation(appName string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	if a := s.findApp(appName); a != nil {
		for t, f := range a.formation {
			out[t] = f.quantity
		}
	}
	return out
}

// ExpireRelease marks a release expired, as Heroku does to releases older than 30 days and 20
// releases (HEROKU.md §1.4): its status becomes "expired", rolling back to it answers 422, and
// its slug, unless a live release still uses it, answers 404 and can no longer be released.
func (s *Server) ExpireRelease(appName, idOrVersion string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findApp(appName)
	if a == nil {
		return fmt.Errorf("herokufake: no app %s", appName)
	}
	r := findRelease(a, idOrVersion)
	if r == nil {
		return fmt.Errorf("herokufake: no release %s of %s", idOrVersion, appName)
	}
	if r.current {
		return fmt.Errorf("herokufake: release v%d of %s is current", r.version, appName)
	}
	r.status, r.updatedAt = "expired", s.now()
	for _, other := range a.releases {
		if other.slugID == r.slugID && other.status != "expired" {
			return nil
		}
	}
	if sl := s.slugByID(r.slugID); sl != nil {
		sl.expired = true
	}
	return nil
}

// Releases returns every release of an app, oldest first.
func (s *Server) Releases(appName string) []ReleaseStatus {
	s.mu.Lock()
	a := s.findApp(appName)
	var ids []string
	if a != nil {
		for _, r := range a.releases {
			ids = append(ids, r.id)
		}
	}
	s.mu.Unlock()
	var out []ReleaseStatus
	for _, id := range ids {
		if r, err := s.Release(appName, id); err == nil {
			out = append(out, r)
		}
	}
	return out
}
