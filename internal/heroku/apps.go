package heroku

import (
	"context"
	"fmt"
	"sort"

	hk "github.com/heroku/heroku-go/v5"
)

// App is the part of a Heroku app zdcd reads.
type App struct {
	ID          string
	Name        string
	Maintenance bool
	// Stack is the stack's name ("heroku-24"; "cnb" on Fir, which has no maintenance mode).
	Stack string
}

// Dyno is one running (or crashed, starting…) dyno.
type Dyno struct {
	ID   string
	Name string // "web.1", "release.2345"
	Type string // "web", "worker", "release", "scheduler", "run"
	// State is one of crashed, down, idle, starting, up.
	State          string
	ReleaseVersion int
}

// Formation is one process type's scale.
type Formation struct {
	Type     string
	Quantity int
	Size     string
	Command  string
}

// call runs one idempotent Platform API call under the operation bound.
func (c *Client) call(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	return c.fail(op, fn(withClass(ctx, idempotent)))
}

// AppInfo reads an app (id or name).
func (c *Client) AppInfo(ctx context.Context, app string) (App, error) {
	var a *hk.App
	err := c.call(ctx, "get app "+app, func(ctx context.Context) (err error) {
		a, err = c.platform.AppInfo(ctx, app)
		return err
	})
	if err != nil {
		return App{}, err
	}
	return fromApp(a), nil
}

// SetMaintenance turns maintenance mode on or off. It is idempotent: setting the value the app
// already has succeeds. It does not create a release, and does not stop workers or Scheduler
// (HEROKU.md 8): scale those with Scale. On an app without maintenance mode (Fir) the error wraps
// ErrMaintenanceUnsupported.
func (c *Client) SetMaintenance(ctx context.Context, app string, on bool) (App, error) {
	state := "off"
	if on {
		state = "on"
	}
	var a *hk.App
	err := c.call(ctx, fmt.Sprintf("turn maintenance %s for %s", state, app), func(ctx context.Context) (err error) {
		a, err = c.platform.AppUpdate(ctx, app, hk.AppUpdateOpts{Maintenance: hk.Bool(on)})
		return err
	})
	if isMaintenanceRefusal(err) {
		// A Fir app: callers that did not read the generation first still learn why.
		return App{}, maintenanceUnsupported{err}
	}
	if err != nil {
		return App{}, err
	}
	return fromApp(a), nil
}

func fromApp(a *hk.App) App {
	return App{ID: a.ID, Name: a.Name, Maintenance: a.Maintenance, Stack: a.Stack.Name}
}

// Dynos lists the app's dynos.
func (c *Client) Dynos(ctx context.Context, app string) ([]Dyno, error) {
	var list hk.DynoListResult
	err := c.call(ctx, "list dynos of "+app, func(ctx context.Context) (err error) {
		list, err = c.platform.DynoList(ctx, app, &hk.ListRange{Max: 1000})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]Dyno, 0, len(list))
	for _, d := range list {
		out = append(out, Dyno{ID: d.ID, Name: d.Name, Type: d.Type, State: d.State, ReleaseVersion: d.Release.Version})
	}
	return out, nil
}

// Formation lists the app's process types and their quantities, sorted by type.
func (c *Client) Formation(ctx context.Context, app string) ([]Formation, error) {
	var list hk.FormationListResult
	err := c.call(ctx, "list formation of "+app, func(ctx context.Context) (err error) {
		list, err = c.platform.FormationList(ctx, app, &hk.ListRange{Max: 1000})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]Formation, 0, len(list))
	for _, f := range list {
		out = append(out, fromFormation(f))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out, nil
}

// Scale sets one process type's quantity (worker to 0 during a restore, and back). Setting an
// absolute quantity is idempotent, so it is retried like a read.
func (c *Client) Scale(ctx context.Context, app, processType string, quantity int) (Formation, error) {
	if quantity < 0 {
		return Formation{}, fmt.Errorf("scale %s of %s: quantity %d is negative", processType, app, quantity)
	}
	var f *hk.Formation
	err := c.call(ctx, fmt.Sprintf("scale %s of %s to %d", processType, app, quantity), func(ctx context.Context) (err error) {
		f, err = c.platform.FormationUpdate(ctx, app, processType, hk.FormationUpdateOpts{Quantity: hk.Int(quantity)})
		return err
	})
	if err != nil {
		return Formation{}, err
	}
	return fromFormation(*f), nil
}

func fromFormation(f hk.Formation) Formation {
	return Formation{Type: f.Type, Quantity: f.Quantity, Size: f.Size, Command: f.Command}
}

// ConfigVars reads the app's config vars. zdcd never writes them: every change creates a release
// and runs release phase (HEROKU.md 4.3). The values are secrets (DATABASE_URL): do not print
// them.
func (c *Client) ConfigVars(ctx context.Context, app string) (map[string]string, error) {
	var vars hk.ConfigVarInfoForAppResult
	err := c.call(ctx, "read config vars of "+app, func(ctx context.Context) (err error) {
		vars, err = c.platform.ConfigVarInfoForApp(ctx, app)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		if v != nil {
			out[k] = *v
		}
	}
	return out, nil
}
