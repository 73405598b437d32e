package cli

import (
	"context"
	"fmt"

	"github.com/zdcd/zdcd/internal/version"
)

func runVersion(ctx context.Context, args []string, io IO) error {
	fs := newFlags("version", io)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, err := fmt.Fprintln(io.Out, "zdcd-release "+version.String())
	return err
}
