package heroku

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	hk "github.com/heroku/heroku-go/v5"
)

// Addon is a Heroku Postgres add-on as the backups API needs it: its id, and its billing app,
// under which its transfers are listed (HEROKU.md 4.8).
type Addon struct {
	ID   string
	Name string
	// AppID and AppName are the billing app's (which may differ from the app the database is
	// attached to).
	AppID   string
	AppName string
}

// billingApp is how the transfers paths name the billing app.
func (a Addon) billingApp() string {
	if a.AppName != "" {
		return a.AppName
	}
	return a.AppID
}

// attachment is an add-on attachment with the config_vars the Platform API adds in some variants
// (heroku-go's AddOnAttachment has no such field).
type attachment struct {
	Name      string  `json:"name"`
	Namespace *string `json:"namespace"`
	Addon     struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		App  struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"app"`
	} `json:"addon"`
	ConfigVars []string `json:"config_vars"`
}

func (a attachment) addon() Addon {
	return Addon{ID: a.Addon.ID, Name: a.Addon.Name, AppID: a.Addon.App.ID, AppName: a.Addon.App.Name}
}

// DatabaseAddon finds the Postgres add-on behind a config var of the app (DATABASE_URL), as the
// CLI's pg commands do:
//
//  1. Config.DatabaseAddon (ZDCD_DATABASE_ADDON, an add-on id or name), when set, is looked up
//     directly and wins;
//  2. otherwise POST /actions/addon-attachments/resolve {"addon_attachment":configVar,"app":app};
//     several matches are narrowed to the attachments without a namespace;
//  3. when that answers 404, the app's attachments are listed and the one whose config_vars
//     hold configVar is taken, else the one named after it (DATABASE for DATABASE_URL), else the
//     one whose <NAME>_URL config var has the same value as configVar.
func (c *Client) DatabaseAddon(ctx context.Context, app, configVar string) (Addon, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	ctx = withClass(ctx, idempotent)
	if c.addon != "" {
		a, err := c.platform.AddOnInfo(ctx, c.addon)
		if err != nil {
			return Addon{}, c.fail(fmt.Sprintf("look up add-on %s (ZDCD_DATABASE_ADDON)", c.addon), err)
		}
		return Addon{ID: a.ID, Name: a.Name, AppID: a.App.ID, AppName: a.App.Name}, nil
	}
	op := fmt.Sprintf("find the add-on behind %s of %s", configVar, app)
	var resolved []attachment
	err := c.platform.Post(ctx, &resolved, "/actions/addon-attachments/resolve",
		hk.AddOnAttachmentResolutionOpts{AddonAttachment: configVar, App: hk.String(app)})
	var herr hk.Error
	switch {
	case err == nil:
		return pickResolved(op, resolved)
	case errors.As(err, &herr) && herr.StatusCode == 404:
		// Fall back to listing the attachments.
	default:
		return Addon{}, c.fail(op, err)
	}
	var list []attachment
	if err := c.platform.Get(ctx, &list, "/apps/"+app+"/addon-attachments", nil, &hk.ListRange{Max: maxRange}); err != nil {
		return Addon{}, c.fail(op+": list attachments", err)
	}
	for _, a := range list {
		for _, v := range a.ConfigVars {
			if v == configVar {
				return a.addon(), nil
			}
		}
	}
	for _, a := range list {
		if a.Name+"_URL" == configVar {
			return a.addon(), nil
		}
	}
	if len(list) > 0 {
		vars, err := c.platform.ConfigVarInfoForApp(ctx, app)
		if err != nil {
			return Addon{}, c.fail(op+": read config vars", err)
		}
		if want := vars[configVar]; want != nil && *want != "" {
			for _, a := range list {
				if got := vars[a.Name+"_URL"]; got != nil && *got == *want {
					return a.addon(), nil
				}
			}
		}
	}
	return Addon{}, fmt.Errorf("%s: no add-on attachment of %s provides %s; attach Heroku Postgres (heroku addons:create heroku-postgresql) or set ZDCD_DATABASE_ADDON to the add-on's name", op, app, configVar)
}

// pickResolved chooses among the resolver's matches.
func pickResolved(op string, list []attachment) (Addon, error) {
	if len(list) > 1 {
		var plain []attachment
		for _, a := range list {
			if a.Namespace == nil {
				plain = append(plain, a)
			}
		}
		list = plain
	}
	ids := map[string]attachment{}
	for _, a := range list {
		ids[a.Addon.ID] = a
	}
	switch len(ids) {
	case 0:
		return Addon{}, fmt.Errorf("%s: Heroku resolved no attachment; set ZDCD_DATABASE_ADDON to the add-on's name", op)
	case 1:
		return list[0].addon(), nil
	}
	names := make([]string, 0, len(ids))
	for _, a := range ids {
		names = append(names, a.Addon.Name)
	}
	sort.Strings(names)
	return Addon{}, fmt.Errorf("%s: several add-ons match (%s); set ZDCD_DATABASE_ADDON to the one to back up", op, strings.Join(names, ", "))
}
