package rollback

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/release"
)

// On Fir a rollback that must restore is refused (exit 1) before anything is asked of Heroku; a
// rollback without a restore, or any rollback on Cedar, is not.
func TestRefuseOnFir(t *testing.T) {
	fir := heroku.Generation{Name: "fir", Stack: "cnb"}
	restore := &Plan{Incompatible: []plan.MigrationKey{{App: "accounts", Name: "0004_customer_is_vip"}}, Backup: &release.Backup{ID: "b007"}}
	restore.Target.Version = 40
	noRestore := &Plan{}
	noRestore.Target.Version = 40
	tests := []struct {
		name    string
		gen     heroku.Generation
		p       *Plan
		refused bool
	}{
		{"fir, restore", fir, restore, true},
		{"fir by stack only, restore", heroku.Generation{Stack: "cnb"}, restore, true},
		{"fir, no restore", fir, noRestore, false},
		{"cedar, restore", heroku.Generation{Name: "cedar", Stack: "heroku-24"}, restore, false},
		{"unknown, restore", heroku.Generation{}, restore, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			p := &fakePlatform{}
			f := &Flow{Config: &config.Config{AppName: "shop"}, Platform: p, Out: &out, Generation: tt.gen}
			err := f.refuseOnFir(tt.p)
			if !tt.refused {
				if err != nil || out.Len() != 0 {
					t.Fatalf("refused: %v\n%s", err, out.String())
				}
				return
			}
			var re *journal.Error
			if !errors.As(err, &re) || re.Code != 1 || !strings.Contains(err.Error(), "refused on Fir") {
				t.Fatalf("err = %v, want exit 1 refused on Fir", err)
			}
			for _, want := range []string{"Refused on Fir: rolling back to v40 restores the database", "accounts.0004_customer_is_vip", "Nothing was changed."} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			if len(p.calls) != 0 {
				t.Errorf("Heroku was asked: %v", p.calls)
			}
		})
	}
}
