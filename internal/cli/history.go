package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/zdcd/zdcd/internal/ledger"
)

// HistoryOptions are the flags and argument of `zdcd-release history`.
type HistoryOptions struct {
	Format string
	Limit  int
	// RunID, when set, shows one run in full.
	RunID int64
}

func runHistory(ctx context.Context, args []string, io IO) error {
	var opts HistoryOptions
	fs := newFlags("history", io)
	fs.StringVar(&opts.Format, "format", "text", "text or json")
	fs.IntVar(&opts.Limit, "limit", 20, "how many runs to list, newest first")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: zdcd-release history [--format text|json] [--limit N] [RUN-ID]")
		fs.PrintDefaults()
	}
	ids, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if opts.Format != "text" && opts.Format != "json" {
		return &usageError{msg: fmt.Sprintf("unknown --format %q: use text or json", opts.Format)}
	}
	if opts.Limit < 1 {
		return &usageError{msg: fmt.Sprintf("--limit %d: use a positive number", opts.Limit)}
	}
	switch len(ids) {
	case 0:
	case 1:
		id, err := strconv.ParseInt(ids[0], 10, 64)
		if err != nil || id < 1 {
			return &usageError{msg: fmt.Sprintf("run id %q: use a number from the history list", ids[0])}
		}
		opts.RunID = id
	default:
		return &usageError{msg: "history takes at most one run id"}
	}
	return history(ctx, opts, io)
}

// history prints the ledger. It reads only: a database without a ledger has no history, and
// none is created.
func history(ctx context.Context, opts HistoryOptions, io IO) error {
	cfg, err := loadConfig(io)
	if err != nil {
		return err
	}
	s, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.close(ctx)
	store, ok, err := ledger.OpenExisting(ctx, s.db.Conn, s.opts)
	if err != nil {
		return err
	}
	if !ok {
		if opts.Format == "json" {
			_, err := fmt.Fprintln(io.Out, "[]")
			return err
		}
		_, err := fmt.Fprintln(io.Out, "No runs recorded: zdcd-release has not run a release or nightly against this database yet.")
		return err
	}
	if opts.RunID > 0 {
		d, err := store.Run(ctx, opts.RunID)
		if errors.Is(err, ledger.ErrNotFound) {
			return &usageError{msg: fmt.Sprintf("no run %d in the ledger: run `zdcd-release history` for the list", opts.RunID)}
		}
		if err != nil {
			return err
		}
		if opts.Format == "json" {
			return ledger.WriteRunJSON(io.Out, d)
		}
		return ledger.WriteRunText(io.Out, d)
	}
	runs, err := store.History(ctx, opts.Limit)
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		return ledger.WriteHistoryJSON(io.Out, runs)
	}
	return ledger.WriteHistoryText(io.Out, runs)
}
