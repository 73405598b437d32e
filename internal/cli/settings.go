package cli

import (
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/judge"
)

// newJudge is the judgement of the project and database cfg names; the Django helper runs in the
// command's environment and writes its stderr to the command's.
func newJudge(cfg *config.Config, io IO) *judge.Judge {
	return &judge.Judge{Config: cfg, Env: io.Environ, Stderr: io.Err}
}
