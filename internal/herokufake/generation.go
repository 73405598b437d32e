package herokufake

import (
	"fmt"
	"net/http"
)

// Generations. An app is Cedar unless SetGeneration (or the control API's create with
// "generation":"fir") makes it Fir.
//
// GET /apps/{app} carries "generation":{"id","name"} as heroku-go v6's schema has it (the Heroku
// CLI reads generation.name with the 3.sdk Accept variant; the fake sends it for every 3.x
// variant), and a Fir app's stack and build_stack are "cnb" (the CLI's `heroku run` looks at
// stack.name == "cnb").
//
// Maintenance mode is "not yet available for Fir-generation apps" (Heroku's maintenance-mode
// article, December 2024). What the Platform API answers to PATCH /apps/{app} {"maintenance":…}
// for such an app is not documented (HEROKU.md 4.1, UNCERTAIN); the fake answers 422 with the
// error body below, and changes nothing.
const (
	generationCedar = "cedar"
	generationFir   = "fir"
	firStack        = "cnb"
)

// maintenanceUnsupported is the fake's answer to a maintenance switch on a Fir app.
func maintenanceUnsupported() *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, ID: "unsupported",
		Message: "Maintenance mode is not available for apps of the Fir generation."}
}

// SetGeneration makes an app Cedar ("cedar") or Fir ("fir").
func (s *Server) SetGeneration(appName, generation string) error {
	if generation != generationCedar && generation != generationFir {
		return fmt.Errorf("herokufake: unknown generation %q (cedar or fir)", generation)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findApp(appName)
	if a == nil {
		return fmt.Errorf("herokufake: no app %s", appName)
	}
	a.generation = generation
	a.updatedAt = s.now()
	return nil
}

// generationOf is the app's generation name. s.mu must be held.
func generationOf(a *app) string {
	if a.generation == "" {
		return generationCedar
	}
	return a.generation
}

// stackOf is the app's stack name: "cnb" on Fir.
func stackOf(a *app) string {
	if generationOf(a) == generationFir {
		return firStack
	}
	return stackName
}
