package pgtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestNewDatabaseIsFreshAndPasswordProtected(t *testing.T) {
	ctx := context.Background()
	a, b := NewDatabase(t), NewDatabase(t)
	if a == b {
		t.Fatalf("two tests got the same database %s", a)
	}
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE only_in_a (id int)"); err != nil {
		t.Fatal(err)
	}
	connB, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer connB.Close(ctx)
	var n int
	if err := connB.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database b sees a's table")
	}
	// A wrong password is refused: the cluster really authenticates.
	c := Shared(t)
	bad := *c
	bad.Password = "wrong"
	if conn, err := pgx.Connect(ctx, bad.URL("postgres")); err == nil {
		conn.Close(ctx)
		t.Fatal("connected with a wrong password")
	}
}

// A cluster whose owner died is stopped and removed by the next Start.
func TestStartReapsOrphans(t *testing.T) {
	orphan, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(orphan.Dir, ownerFile), []byte(strconv.Itoa(dead.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	next, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer next.Stop()
	if _, err := os.Stat(orphan.Dir); !os.IsNotExist(err) {
		_ = orphan.Stop()
		t.Fatalf("orphaned cluster %s was not removed (stat: %v)", orphan.Dir, err)
	}
	if conn, err := pgx.Connect(context.Background(), orphan.URL("postgres")); err == nil {
		conn.Close(context.Background())
		t.Fatal("orphaned server still accepts connections")
	}
}
