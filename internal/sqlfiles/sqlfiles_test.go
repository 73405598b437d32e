package sqlfiles

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestLoad(t *testing.T) {
	pl, err := Load([]string{filepath.Join("testdata", "migrations")})
	if err != nil {
		t.Fatal(err)
	}
	type op struct {
		line int
		sql  string
	}
	want := []struct {
		name   string
		atomic bool
		ops    []op
	}{
		{"001_add_status", true, []op{{2, "ALTER TABLE orders ADD COLUMN status text"}, {4, "CREATE INDEX orders_status_idx ON orders (status)"}}},
		{"002_index", false, []op{{2, "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_created_idx ON orders (created)"}}},
		{"003_goose", true, []op{{2, "ALTER TABLE orders ADD COLUMN note text"}}},
		{"004_broken", true, []op{{2, "ALTER TABLE orders ADD COLUMN ok int;\nALTER TABLE orders ADD COLUMN;\n"}}},
	}
	if len(pl.Migrations) != len(want) {
		t.Fatalf("%d migrations", len(pl.Migrations))
	}
	for i, w := range want {
		m := pl.Migrations[i]
		if m.Name != w.name || m.App != "migrations" || m.Atomic != w.atomic || m.File != filepath.Join("testdata", "migrations", w.name+".sql") {
			t.Errorf("migration %d = %s/%s atomic=%v file=%s", i, m.App, m.Name, m.Atomic, m.File)
		}
		if len(m.Operations) != len(w.ops) {
			t.Fatalf("%s: %d operations", m.Name, len(m.Operations))
		}
		for j, o := range w.ops {
			got := m.Operations[j]
			if got.Line != o.line || got.SQL[0].SQL != o.sql || got.Class != "SQL" {
				t.Errorf("%s op %d = line %d %q", m.Name, j, got.Line, got.SQL[0].SQL)
			}
		}
	}
}

func TestLoadBadPaths(t *testing.T) {
	for _, p := range []string{"testdata/nope", "sqlfiles.go", "."} {
		_, err := Load([]string{p})
		var e *Error
		if !errors.As(err, &e) || e.Path != p {
			t.Errorf("Load(%q) = %v, want an *Error naming the path", p, err)
		}
	}
}
