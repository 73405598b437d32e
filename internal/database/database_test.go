package database

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestServerVersionAndAppliedMigrations(t *testing.T) {
	ctx := context.Background()
	db, err := Connect(ctx, pgtest.NewDatabase(t), "DATABASE_URL")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)

	v, err := db.ServerVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v < 100000 || v >= 1000000 {
		t.Fatalf("server_version_num = %d, want a PostgreSQL 10+ number like 150004", v)
	}

	applied, err := db.AppliedMigrations(ctx)
	if err != nil {
		t.Fatalf("no django_migrations table must mean nothing applied, got %v", err)
	}
	if applied == nil || len(applied) != 0 {
		t.Fatalf("applied = %#v, want empty", applied)
	}

	if _, err := db.Conn.Exec(ctx, `CREATE TABLE django_migrations (id serial, app varchar(255), name varchar(255), applied timestamptz);
		INSERT INTO django_migrations (app, name, applied) VALUES ('shop','0002_b',now()), ('accounts','0001_initial',now()), ('shop','0001_a',now())`); err != nil {
		t.Fatal(err)
	}
	applied, err = db.AppliedMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []plan.MigrationKey{{App: "accounts", Name: "0001_initial"}, {App: "shop", Name: "0001_a"}, {App: "shop", Name: "0002_b"}}
	if len(applied) != len(want) {
		t.Fatalf("applied = %v, want %v", applied, want)
	}
	for i := range want {
		if applied[i] != want[i] {
			t.Fatalf("applied = %v, want %v", applied, want)
		}
	}
}

func TestConnectErrorsNameTheTargetNotThePassword(t *testing.T) {
	ctx := context.Background()
	good := pgtest.NewDatabase(t)
	u, _ := url.Parse(good)
	password, _ := u.User.Password()

	wrongPassword := *u
	wrongPassword.User = url.UserPassword(u.User.Username(), "not-"+password)
	missingDB := *u
	missingDB.Path = "/no_such_db"
	closedPort := *u
	closedPort.Host = "127.0.0.1:1"

	tests := []struct {
		name, url, want string
	}{
		{"wrong password", wrongPassword.String(), "password authentication failed"},
		{"missing database", missingDB.String(), `database "no_such_db" does not exist: check the database name`},
		{"nothing listening", closedPort.String(), "127.0.0.1:1/" + strings.TrimPrefix(u.Path, "/") + " (from DATABASE_URL): connect: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Connect(ctx, tt.url, "DATABASE_URL")
			var ce *ConnectError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *ConnectError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			if strings.Contains(msg, password) || strings.Contains(msg, "not-"+password) {
				t.Errorf("error leaks the password: %q", msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
		})
	}
}
