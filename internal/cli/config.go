package cli

import (
	"context"

	"github.com/zdcd/zdcd/internal/config"
)

// ConfigOptions are the flags of `zdcd-release config`.
type ConfigOptions struct {
	JSON bool
}

func runConfig(ctx context.Context, args []string, io IO) error {
	var opts ConfigOptions
	fs := newFlags("config", io)
	fs.BoolVar(&opts.JSON, "json", false, "print as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(io.Environ)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cfg.PrintJSON(io.Out)
	}
	return cfg.Print(io.Out)
}
