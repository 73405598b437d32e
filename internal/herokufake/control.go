package herokufake

import (
	"encoding/json"
	"net/http"
	"time"
)

// Control endpoints are the fake's own API, under /_localheroku/, for the standalone command and
// for scripts: seed apps and databases, deploy a directory, inject faults, read the request log.
// They need the token but not the v3 Accept header. Heroku has nothing like them.
func (s *Server) controlRoutes() {
	s.handle("POST /_localheroku/apps", s.controlCreateApp)
	s.handle("POST /_localheroku/apps/{app}/postgres", s.controlAddPostgres)
	s.handle("POST /_localheroku/apps/{app}/deploys", s.controlDeploy)
	s.handle("POST /_localheroku/apps/{app}/features/{feature}", s.controlFeature)
	s.handle("POST /_localheroku/faults", s.controlFault)
	s.handle("DELETE /_localheroku/faults", s.controlClearFaults)
	s.handle("POST /_localheroku/backup-failures", s.controlFailBackups)
	s.handle("POST /_localheroku/transfer-sim", s.controlTransferSim)
	s.handle("POST /_localheroku/apps/{app}/scheduled-backups", s.controlScheduledBackup)
	s.handle("GET /_localheroku/requests", s.controlRequests)
}

func (s *Server) controlCreateApp(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var body struct {
		Name string `json:"name"`
		// Generation is "cedar" (the default) or "fir".
		Generation string `json:"generation"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	if body.Generation != "" && body.Generation != generationCedar && body.Generation != generationFir {
		return 0, nil, invalid("generation must be cedar or fir.")
	}
	a, err := s.CreateApp(body.Name)
	if err != nil {
		return 0, nil, invalid(err.Error())
	}
	gen := generationCedar
	if body.Generation != "" {
		gen = body.Generation
	}
	if err := s.SetGeneration(a.Name, gen); err != nil {
		return 0, nil, invalid(err.Error())
	}
	return http.StatusCreated, obj{"id": a.ID, "name": a.Name, "generation": gen}, nil
}

func (s *Server) controlAddPostgres(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var body struct {
		DatabaseURL string `json:"database_url"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	ad, err := s.AddPostgres(r.PathValue("app"), body.DatabaseURL)
	if err != nil {
		return 0, nil, invalid(err.Error())
	}
	return http.StatusCreated, obj{"id": ad.ID, "name": ad.Name, "app": ad.AppName, "config_var": ad.ConfigVar}, nil
}

func (s *Server) controlDeploy(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var body struct {
		Dir string `json:"dir"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	if body.Dir == "" {
		return 0, nil, invalid("Missing required param: dir.")
	}
	rel, err := s.Deploy(r.PathValue("app"), body.Dir)
	if err != nil {
		return 0, nil, invalid(err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findApp(r.PathValue("app"))
	return http.StatusCreated, s.renderRelease(r, a, findRelease(a, rel.ID)), nil
}

func (s *Server) controlFeature(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var body struct {
		Enabled bool `json:"enabled"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	if err := s.EnableFeature(r.PathValue("app"), r.PathValue("feature"), body.Enabled); err != nil {
		return 0, nil, invalid(err.Error())
	}
	return http.StatusOK, obj{"name": r.PathValue("feature"), "enabled": body.Enabled}, nil
}

// faultJSON is Fault on the wire; durations in milliseconds.
type faultJSON struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	Status      int    `json:"status"`
	Count       int    `json:"count"`
	DelayMS     int    `json:"delay_ms"`
	RetryAfter  string `json:"retry_after"`
	Body        string `json:"body"`
	ID          string `json:"id"`
	Message     string `json:"message"`
	ActThenFail bool   `json:"act_then_fail"`
}

func (s *Server) controlFault(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var f faultJSON
	if err := decodeBody(r, &f); err != nil {
		return 0, nil, err
	}
	s.InjectFault(Fault{Method: f.Method, Path: f.Path, Status: f.Status, Count: f.Count,
		Delay: time.Duration(f.DelayMS) * time.Millisecond, RetryAfter: f.RetryAfter, Body: f.Body,
		ID: f.ID, Message: f.Message, ActThenFail: f.ActThenFail})
	return http.StatusCreated, f, nil
}

func (s *Server) controlClearFaults(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	s.ClearFaults()
	return http.StatusOK, obj{"cleared": true}, nil
}

func (s *Server) controlFailBackups(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var body struct {
		Count int `json:"count"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	s.FailBackups(body.Count)
	return http.StatusOK, body, nil
}

func (s *Server) controlRequests(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	type wire struct {
		Time     string              `json:"time"`
		Method   string              `json:"method"`
		Path     string              `json:"path"`
		RawQuery string              `json:"query"`
		Header   map[string][]string `json:"header"`
		Body     json.RawMessage     `json:"body,omitempty"`
		Text     string              `json:"text,omitempty"`
		Status   int                 `json:"status"`
	}
	out := []wire{}
	for _, q := range s.Requests() {
		x := wire{Time: ts(q.Time), Method: q.Method, Path: q.Path, RawQuery: q.RawQuery, Header: q.Header, Status: q.Status}
		if json.Valid(q.Body) {
			x.Body = q.Body
		} else if len(q.Body) > 0 {
			x.Text = string(q.Body)
		}
		out = append(out, x)
	}
	return http.StatusOK, out, nil
}

func (s *Server) controlTransferSim(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var body struct {
		SourceBytes int64  `json:"source_bytes"`
		DurationMS  int    `json:"duration_ms"`
		Kind        string `json:"kind"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	if body.Kind != "" && body.Kind != "backup" && body.Kind != "restore" {
		return 0, nil, invalid("kind must be backup, restore or empty (both).")
	}
	s.SimulateLargeTransfers(TransferSim{SourceBytes: body.SourceBytes, Duration: time.Duration(body.DurationMS) * time.Millisecond, Kind: body.Kind})
	return http.StatusOK, body, nil
}

func (s *Server) controlScheduledBackup(w http.ResponseWriter, r *http.Request) (int, any, *apiError) {
	var body struct {
		DurationMS int `json:"duration_ms"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	name, err := s.StartScheduledBackup(r.PathValue("app"), time.Duration(body.DurationMS)*time.Millisecond)
	if err != nil {
		return 0, nil, invalid(err.Error())
	}
	return http.StatusCreated, obj{"name": name}, nil
}
