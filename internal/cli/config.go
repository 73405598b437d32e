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

// loadConfig is the one place the commands load the configuration. It is to read io.Environ; for
// now config.Load reads the process environment, which the in-process tests set to io.Environ.
func loadConfig(io IO) (*config.Config, error) {
	_ = io.Environ
	return config.Load()
}
