package pgbackup

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

var roleSeq atomic.Int64

// asOwner makes a non-superuser role, owner of d's database (and of its public schema), and
// returns d's ConnString for it.
func asOwner(t *testing.T, d *Dumper) string {
	t.Helper()
	admin := connect(t, d.ConnString)
	u, err := url.Parse(d.ConnString)
	if err != nil {
		t.Fatal(err)
	}
	role := fmt.Sprintf("zdcd_owner_%d", roleSeq.Add(1))
	db := pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize()
	mustExec(t, admin, "CREATE ROLE "+role+" LOGIN PASSWORD 'Owner-pw-1'")
	mustExec(t, admin, "ALTER DATABASE "+db+" OWNER TO "+role)
	u.User = url.UserPassword(role, "Owner-pw-1")
	return u.String()
}

func TestCheckRestorable(t *testing.T) {
	tests := []struct {
		name string
		// setup runs as the superuser; owner makes the check run as the database's non-superuser
		// owner.
		setup []string
		owner bool
		// ownerSetup runs as the owner.
		ownerSetup []string
		want       string // "" when restorable
	}{
		{name: "superuser with an untrusted extension", setup: []string{"CREATE EXTENSION pg_buffercache"}},
		{name: "owner, its tables and a large object", owner: true, ownerSetup: []string{"CREATE TABLE t (id int)", "INSERT INTO t VALUES (1)", "SELECT lo_from_bytea(0, 'x')"}},
		{name: "owner, trusted extension", owner: true, setup: []string{"CREATE EXTENSION hstore"}},
		{name: "owner, provider-installed extension", owner: true, setup: []string{"CREATE EXTENSION pg_buffercache"},
			want: "cannot create extension pg_buffercache again"},
		{name: "owner, a schema it does not own", owner: true, setup: []string{"CREATE SCHEMA provider"},
			want: "does not own schema provider"},
		{name: "owner, an event trigger", owner: true, setup: []string{
			"CREATE FUNCTION et() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END'",
			"CREATE EVENT TRIGGER et ON ddl_command_end EXECUTE FUNCTION et()"},
			want: "cannot create event trigger et (superuser only)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			d, _ := newDumper(t)
			admin := connect(t, d.ConnString)
			if tt.owner {
				d.ConnString = asOwner(t, d)
			}
			for _, q := range tt.setup {
				mustExec(t, admin, q)
			}
			if len(tt.ownerSetup) > 0 {
				owner := connect(t, d.ConnString)
				for _, q := range tt.ownerSetup {
					mustExec(t, owner, q)
				}
			}
			b, err := d.Capture(ctx, "v1")
			if err != nil {
				t.Fatalf("Capture: %v", err)
			}
			err = d.CheckRestorable(ctx, b)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckRestorable: %v", err)
				}
				// And the proof holds: the restore succeeds as this role.
				if err := d.Restore(ctx, b); err != nil {
					t.Fatalf("Restore after a passed check: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrNotRestorable) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "Owner-pw-1") {
				t.Fatalf("CheckRestorable = %v, want ErrNotRestorable with %q", err, tt.want)
			}
			// The refusal was right: the restore would have failed.
			if err := d.Restore(ctx, b); err == nil {
				t.Errorf("Restore succeeded although the check refused it")
			}
		})
	}
}
