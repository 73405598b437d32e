package heroku

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Heroku runs apps on two generations of its platform: Cedar (classic buildpacks, slugs) and Fir
// (Cloud Native Buildpacks, OCI images). What zdcd needs to know is whether the app has
// maintenance mode: "Maintenance mode is not yet available for Fir-generation apps"
// (devcenter.heroku.com/articles/maintenance-mode, December 2024), so on Fir the maintenance
// window cannot be opened and a restore cannot be hidden behind it.
//
// Where the Platform API says which generation an app runs on (checked December 2026):
//
//   - heroku-go v5.5.0, which zdcd uses, predates Fir: its App has stack and build_stack but no
//     generation, so Generation reads GET /apps/{app} itself.
//   - heroku-go v6 ("Update for Fir", August 2025) generates App.Generation {id, name} from the
//     Platform API's schema: "Generation of the Heroku platform for this app", name "cedar" or
//     "fir" (the generation resource, /generations, is "prototype" in that schema).
//   - The Heroku CLI asks for the app with `Accept: application/vnd.heroku+json; version=3.sdk`
//     and decides on `app.generation.name === 'fir'` (src/lib/apps/generation.ts, isFirApp); an
//     older build of the same helper compared `app.generation === 'fir'`, a plain string. Its
//     `heroku run` prefixes `launcher` when `app.stack.name === 'cnb'` (src/lib/run/helpers.ts).
//
// So Generation sends the CLI's 3.sdk Accept for this one request, accepts generation as an
// object or a string, and also takes stack "cnb" as Fir. What a real Fir app answers to
// PATCH /apps/{app} {"maintenance":…} could not be checked: see ErrMaintenanceUnsupported.

// Generation names.
const (
	GenerationCedar = "cedar"
	GenerationFir   = "fir"
)

// sdkAccept is the Accept variant the Heroku CLI sends to read an app's generation.
const sdkAccept = "application/vnd.heroku+json; version=3.sdk"

// Generation is the platform generation an app runs on, as the Platform API reports it.
type Generation struct {
	// Name is the app's generation ("cedar", "fir"), "" when the answer had none.
	Name string
	// Stack is the app's stack ("heroku-24"; "cnb" on Fir).
	Stack string
}

// Fir reports whether the app runs on Fir: its generation says so, or its stack is "cnb".
func (g Generation) Fir() bool {
	return strings.EqualFold(g.Name, GenerationFir) || strings.EqualFold(g.Stack, "cnb")
}

// HasMaintenanceMode reports whether maintenance mode can be switched on for the app.
func (g Generation) HasMaintenanceMode() bool { return !g.Fir() }

// String names the generation and what said so: "Fir (generation fir, stack cnb)".
func (g Generation) String() string {
	name := "Cedar"
	if g.Fir() {
		name = "Fir"
	}
	if e := g.Evidence(); e != "" {
		return name + " (" + e + ")"
	}
	return name
}

// Evidence is what the Platform API said: "generation fir, stack cnb".
func (g Generation) Evidence() string {
	var why []string
	if g.Name != "" {
		why = append(why, "generation "+g.Name)
	}
	if g.Stack != "" {
		why = append(why, "stack "+g.Stack)
	}
	return strings.Join(why, ", ")
}

// appGeneration is the part of the App answer Generation decodes.
type appGeneration struct {
	Name       string          `json:"name"`
	Generation json.RawMessage `json:"generation"`
	Stack      *struct {
		Name string `json:"name"`
	} `json:"stack"`
}

// Generation reads the app's generation (and stack) from GET /apps/{app}.
func (c *Client) Generation(ctx context.Context, app string) (Generation, error) {
	var a appGeneration
	op := "read the generation of app " + app
	err := c.call(ctx, op, func(ctx context.Context) error {
		return c.platform.Get(withAccept(ctx, sdkAccept), &a, "/apps/"+url.PathEscape(app), nil, nil)
	})
	if err != nil {
		return Generation{}, err
	}
	g := Generation{}
	if a.Stack != nil {
		g.Stack = a.Stack.Name
	}
	name, err := generationName(a.Generation)
	if err != nil {
		return Generation{}, c.fail(op, err)
	}
	g.Name = name
	return g, nil
}

// generationName decodes the app's generation: {"id":…,"name":"fir"} (the schema), "fir" (an
// older 3.sdk answer), or null / absent (an answer that predates Fir: "").
func generationName(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var o struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return "", fmt.Errorf("the app's generation is neither an object nor a string: %.60s", raw)
	}
	return o.Name, nil
}

// acceptKey carries an Accept variant for one request (withAccept).
type acceptKey struct{}

// withAccept asks for the Accept header v on the requests made with ctx. heroku.Transport sets
// version=3 on every request; normalize, below it, puts v in its place.
func withAccept(ctx context.Context, v string) context.Context {
	return context.WithValue(ctx, acceptKey{}, v)
}

// acceptOf returns the Accept variant asked for with ctx, or "".
func acceptOf(ctx context.Context) string {
	v, _ := ctx.Value(acceptKey{}).(string)
	return v
}

// ErrMaintenanceUnsupported is in the chain of SetMaintenance's error when Heroku refused the
// switch because the app has no maintenance mode (a Fir app). Nothing was switched.
//
// What the real Platform API answers for a Fir app is not documented; HEROKU.md 4.1 marks it
// UNCERTAIN. Taken as this refusal: a 422 (the body {"maintenance": bool} is valid for every
// Cedar app, so Heroku has no other reason to find it unprocessable), or a 400, 403 or 422 whose
// id is "unsupported" or whose message speaks of Fir or of the generation. A 401, a 404, a 429
// or a 5xx stays what it is.
var ErrMaintenanceUnsupported = errors.New("maintenance mode is not available for this app (Heroku's Fir generation has none)")

// maintenanceUnsupported marks err as ErrMaintenanceUnsupported.
type maintenanceUnsupported struct{ error }

func (e maintenanceUnsupported) Error() string {
	return e.error.Error() + ": " + ErrMaintenanceUnsupported.Error()
}
func (e maintenanceUnsupported) Unwrap() error        { return e.error }
func (e maintenanceUnsupported) Is(target error) bool { return target == ErrMaintenanceUnsupported }

// firWords finds Fir or the generation named in an error's text ("first" is not "fir").
var firWords = regexp.MustCompile(`(?i)\b(fir|generation)\b`)

// isMaintenanceRefusal reports whether Heroku's answer to a maintenance switch says the app has
// no maintenance mode (see ErrMaintenanceUnsupported).
func isMaintenanceRefusal(err error) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	switch e.Status {
	case http.StatusUnprocessableEntity:
		return true
	case http.StatusBadRequest, http.StatusForbidden:
		return e.ID == "unsupported" || firWords.MatchString(e.ID+" "+e.Message)
	}
	return false
}
