package herokufake_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/pgtest"
)

func exec(t *testing.T, db, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func count(t *testing.T, db, sql string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// A capture is a real pg_dump and a restore a real pg_restore: rows deleted after the capture
// come back.
func TestCaptureThenRestoreBringsRowsBack(t *testing.T) {
	ctx := context.Background()
	e := start(t)
	db := pgtest.NewDatabase(t)
	addon, err := e.fake.AddPostgres("myapp", db)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, db, "CREATE TABLE shop_order (id bigint PRIMARY KEY, total numeric NOT NULL); INSERT INTO shop_order SELECT g, g * 1.5 FROM generate_series(1, 500) g")

	e.fake.SlowTransfers(300 * time.Millisecond)
	var capture backupTransfer
	if err := e.svc.Post(ctx, &capture, "/client/v11/databases/"+addon.ID+"/backups", nil); err != nil {
		t.Fatal(err)
	}
	// A poller first sees a running transfer, then a finished one.
	var running backupTransfer
	deadline := time.Now().Add(10 * time.Second)
	for running.StartedAt == nil && time.Now().Before(deadline) {
		if err := e.svc.Get(ctx, &running, "/client/v11/apps/myapp/transfers/"+capture.UUID, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if running.StartedAt == nil || running.FinishedAt != nil {
		t.Errorf("running capture = %+v, want started and not finished", running)
	}
	done := waitTransfer(t, e, "myapp", capture.UUID)
	if !done.Succeeded {
		t.Fatalf("capture failed: %+v", done.Logs)
	}
	if strings.Contains(done.FromURL, pgtest.Shared(t).Password) {
		t.Errorf("from_url shows the database password")
	}
	e.fake.SlowTransfers(0)

	exec(t, db, "DELETE FROM shop_order WHERE id > 10; CREATE TABLE added_after_backup (id int); CREATE SCHEMA reporting; CREATE TABLE reporting.daily (d date)")
	if n := count(t, db, "SELECT count(*) FROM shop_order"); n != 10 {
		t.Fatalf("%d rows after delete", n)
	}
	var restore backupTransfer
	if err := e.svc.Post(ctx, &restore, "/client/v11/databases/"+addon.ID+"/restores", map[string]any{"backup_url": done.ToURL}); err != nil {
		t.Fatal(err)
	}
	if restore.Num != 2 || restore.FromType != "gof3r" || restore.ToType != "pg_restore" || restore.FromURL != done.ToURL {
		t.Errorf("restore = %+v", restore)
	}
	rdone := waitTransfer(t, e, "myapp", restore.UUID)
	if !rdone.Succeeded {
		t.Fatalf("restore failed: %+v", rdone.Logs)
	}
	if n := count(t, db, "SELECT count(*) FROM shop_order"); n != 500 {
		t.Errorf("%d rows after restore, want 500", n)
	}
	// The restore overwrites the database: what was created after the backup is gone.
	if n := count(t, db, "SELECT count(*) FROM pg_class WHERE relname IN ('added_after_backup', 'daily')"); n != 0 {
		t.Errorf("%d relations created after the backup survived the restore", n)
	}
	for _, l := range append(done.Logs, rdone.Logs...) {
		if strings.Contains(l.Message, pgtest.Shared(t).Password) {
			t.Errorf("a transfer log shows the database password: %s", l.Message)
		}
	}
}

// A failing backup finishes with succeeded:false and a pg_dump error in its logs, as Heroku's.
func TestFailingBackup(t *testing.T) {
	ctx := context.Background()
	e := start(t)
	addon, err := e.fake.AddPostgres("myapp", pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	e.fake.FailBackups(1)
	var tr backupTransfer
	if err := e.svc.Post(ctx, &tr, "/client/v11/databases/"+addon.ID+"/backups", nil); err != nil {
		t.Fatal(err)
	}
	done := waitTransfer(t, e, "myapp", tr.UUID)
	if done.Succeeded || done.FinishedAt == nil {
		t.Fatalf("failing backup = %+v", done)
	}
	var msgs []string
	for _, l := range done.Logs {
		msgs = append(msgs, l.Message)
	}
	if !strings.Contains(strings.Join(msgs, "\n"), "pg_dump: error: connection to server") {
		t.Errorf("logs = %q", msgs)
	}
	// Only one: the next capture succeeds.
	if err := e.svc.Post(ctx, &tr, "/client/v11/databases/"+addon.ID+"/backups", nil); err != nil {
		t.Fatal(err)
	}
	if next := waitTransfer(t, e, "myapp", tr.UUID); !next.Succeeded || next.Num != 2 {
		t.Errorf("next capture = %+v", next)
	}
	// A restore from a backup that does not exist fails the same way.
	var r backupTransfer
	if err := e.svc.Post(ctx, &r, "/client/v11/databases/"+addon.ID+"/restores", map[string]any{"backup_url": e.url + "/blobs/missing.dump"}); err != nil {
		t.Fatal(err)
	}
	if rd := waitTransfer(t, e, "myapp", r.UUID); rd.Succeeded {
		t.Errorf("restore of a missing backup succeeded")
	}
}

// Cancel stops a running transfer; public-url gives a download of a finished backup.
func TestTransferCancelAndPublicURL(t *testing.T) {
	ctx := context.Background()
	e := start(t)
	addon, err := e.fake.AddPostgres("myapp", pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	var done backupTransfer
	if err := e.svc.Post(ctx, &done, "/client/v11/databases/"+addon.ID+"/backups", nil); err != nil {
		t.Fatal(err)
	}
	waitTransfer(t, e, "myapp", done.UUID)
	var pub struct {
		URL       string `json:"url"`
		ExpiresAt string `json:"expires_at"`
	}
	if err := e.svc.Post(ctx, &pub, "/client/v11/apps/myapp/transfers/1/actions/public-url", nil); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(pub.URL)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 5)
	_, _ = io.ReadFull(resp.Body, head)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(head) != "PGDMP" || pub.ExpiresAt == "" {
		t.Errorf("public URL %s: %s, starts %q", pub.URL, resp.Status, head)
	}

	e.fake.SlowTransfers(time.Minute)
	var slow backupTransfer
	if err := e.svc.Post(ctx, &slow, "/client/v11/databases/"+addon.ID+"/backups", nil); err != nil {
		t.Fatal(err)
	}
	var canceled struct {
		backupTransfer
		CanceledAt *string `json:"canceled_at"`
	}
	if err := e.svc.Post(ctx, &canceled, "/client/v11/apps/myapp/transfers/"+slow.UUID+"/actions/cancel", nil); err != nil {
		t.Fatal(err)
	}
	if canceled.CanceledAt == nil || canceled.FinishedAt == nil || canceled.Succeeded {
		t.Errorf("canceled transfer = %+v", canceled)
	}
	var status backupTransfer
	if err := e.svc.Get(ctx, &status, "/client/v11/apps/myapp/transfers/"+slow.UUID, nil, nil); err != nil || status.Succeeded || status.FinishedAt == nil {
		t.Errorf("after cancel: %+v %v", status, err)
	}
}
