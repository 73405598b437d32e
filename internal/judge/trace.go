package judge

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/database"
	"github.com/zdcd/zdcd/internal/trace"
)

// ErrScratchIsProduction means the scratch database --trace was given is, by the server's own
// identity, the database the plan was judged on.
var ErrScratchIsProduction = errors.New("the scratch database is the judged database")

// Replay connects to the scratch database u (a restored copy of production), makes sure it is
// not the judged database (unless allowSame) and starts where the plan starts, and traces the
// judged plan on it: its pending atomic migrations run in a transaction rolled back at the end
// (docs/trace.md). a must come from a Judge with Trace set.
func (j *Judge) Replay(ctx context.Context, u *config.DatabaseURL, a *Judged, allowSame bool) (*trace.Result, error) {
	db, err := database.Connect(ctx, u.ConnString(), "--trace-url")
	if err != nil {
		return nil, err
	}
	defer db.Close(context.WithoutCancel(ctx))
	id, err := database.Identity(ctx, db.Conn)
	if err != nil {
		return nil, fmt.Errorf("scratch database at %s: %w", Target(u), err)
	}
	if id == a.Identity && !allowSame {
		return nil, ErrScratchIsProduction
	}
	applied, err := db.AppliedMigrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("scratch database at %s: %w", Target(u), err)
	}
	if err := trace.SameStart(a.Applied, applied); err != nil {
		return nil, fmt.Errorf("the scratch database at %s does not start where the plan starts: %w", Target(u), err)
	}
	res, err := trace.Run(ctx, db.Conn, a.Claims, trace.Options{StatementTimeout: j.Config.StatementTimeout})
	if err != nil {
		return nil, fmt.Errorf("trace on the scratch database at %s: %w", Target(u), err)
	}
	res.Target = Target(u)
	return res, nil
}

// Target is "host:port/dbname", never a password.
func Target(u *config.DatabaseURL) string {
	return net.JoinHostPort(u.Host, strconv.Itoa(u.Port)) + "/" + u.Database
}
