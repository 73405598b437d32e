package cli

import (
	"context"
	"errors"
)

func runApprove(ctx context.Context, args []string, io IO) error {
	return errors.New("approve: not yet")
}
