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
	return printConfig(opts, io)
}

func printConfig(opts ConfigOptions, io IO) error {
	cfg, err := loadConfig(io)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cfg.PrintJSON(io.Out)
	}
	return cfg.Print(io.Out)
}

// loadConfig is the one place the commands load the configuration: from io.Environ (the
// process's, read with envconfig by System; a test's own in the in-process tests).
func loadConfig(io IO) (*config.Config, error) {
	return config.Load(io.Environ)
}
