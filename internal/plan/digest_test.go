package plan

import (
	"encoding/json"
	"regexp"
	"testing"
)

func sampleMigration() *Migration {
	return &Migration{
		App: "shop", Name: "0007_backfill", File: "shop/migrations/0007_backfill.py", ClassLine: 5, Atomic: true,
		Dependencies: []MigrationKey{{App: "shop", Name: "0006_add_sku"}},
		Operations: []Operation{
			{Index: 0, Class: "AddField", Module: "django.db.migrations.operations.fields", Line: 12, Describe: "Add field sku to product",
				Args: map[string]json.RawMessage{"model_name": json.RawMessage(`"product"`), "name": json.RawMessage(`"sku"`)},
				SQL: []Statement{
					{SQL: `ALTER TABLE "shop_product" ADD COLUMN "sku" varchar(20) NULL`},
					{SQL: `CREATE INDEX "shop_product_sku" ON "shop_product" ("sku")`, Deferred: true},
				}},
			{Index: 1, Class: "RunPython", Module: "django.db.migrations.operations.special", Line: 20,
				Args:   map[string]json.RawMessage{"atomic": json.RawMessage(`true`), "elidable": json.RawMessage(`false`)},
				Python: &PythonCode{Function: "shop.migrations.0007_backfill.fill_sku", File: "shop/migrations/0007_backfill.py", Line: 3}},
			{Index: 2, Class: "SeparateDatabaseAndState", Module: "django.db.migrations.operations.special", Line: 25,
				SQL: []Statement{{SQL: `ALTER TABLE "shop_product" RENAME COLUMN "x" TO "y"`}},
				DatabaseOperations: []Operation{{Index: 0, Class: "RunSQL", Module: "django.db.migrations.operations.special", Line: 26,
					SQL:    []Statement{{SQL: `ALTER TABLE "shop_product" RENAME COLUMN "x" TO "y"`}},
					RunSQL: &RunSQL{SQL: []string{`ALTER TABLE "shop_product" RENAME COLUMN "x" TO "y"`}}}},
				StateOperations: []Operation{{Index: 0, Class: "RenameField", Module: "django.db.migrations.operations.fields", Line: 27}}},
		},
	}
}

func TestDigest(t *testing.T) {
	base := sampleMigration().Digest()
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(base) {
		t.Fatalf("digest %q is not sha256:<64 hex>", base)
	}
	tests := []struct {
		name   string
		change func(m *Migration)
		same   bool
	}{
		{"nothing", func(m *Migration) {}, true},
		{"moved lines and file", func(m *Migration) {
			m.ClassLine, m.File = 9, "elsewhere/0007.py"
			m.Operations[0].Line, m.Operations[1].Line, m.Operations[1].Python.Line = 40, 50, 30
			m.Operations[1].Python.File = "shop/other.py"
			m.Operations[2].DatabaseOperations[0].Line = 99
		}, true},
		{"dependencies, describe, state-only data", func(m *Migration) {
			m.Dependencies = nil
			m.Operations[0].Describe = "something else"
			m.Operations[0].Args["name"] = json.RawMessage(`"renamed_in_state"`)
			m.Operations[2].StateOperations = nil
			m.Operations[1].Python.Reverse = &PythonCode{Function: "shop.migrations.0007_backfill.unfill"}
			m.Operations[1].Args["elidable"] = json.RawMessage(`true`)
		}, true},
		{"args re-encoded with other spacing", func(m *Migration) {
			m.Operations[1].Args["atomic"] = json.RawMessage(` true `)
		}, true},
		{"changed SQL", func(m *Migration) {
			m.Operations[0].SQL[0].SQL = `ALTER TABLE "shop_product" ADD COLUMN "sku" varchar(30) NULL`
		}, false},
		{"SQL whitespace", func(m *Migration) {
			m.Operations[0].SQL[0].SQL += " "
		}, false},
		{"statement no longer deferred", func(m *Migration) { m.Operations[0].SQL[1].Deferred = false }, false},
		{"statement moved to the next operation", func(m *Migration) {
			m.Operations[1].SQL = m.Operations[0].SQL[1:]
			m.Operations[0].SQL = m.Operations[0].SQL[:1]
		}, false},
		{"added operation", func(m *Migration) {
			m.Operations = append(m.Operations, Operation{Class: "RunSQL", Module: "django.db.migrations.operations.special",
				SQL: []Statement{{SQL: "SELECT 1"}}})
		}, false},
		{"added operation without SQL", func(m *Migration) {
			m.Operations = append(m.Operations, Operation{Class: "AlterModelOptions", Module: "django.db.migrations.operations.models"})
		}, false},
		{"changed RunPython function", func(m *Migration) {
			m.Operations[1].Python.Function = "shop.migrations.0007_backfill.fill_sku_v2"
		}, false},
		{"RunPython no longer atomic", func(m *Migration) { m.Operations[1].Args["atomic"] = json.RawMessage(`false`) }, false},
		{"routing hints", func(m *Migration) { m.Operations[1].Args["hints"] = json.RawMessage(`{"target_db":"other"}`) }, false},
		{"migration no longer atomic", func(m *Migration) { m.Atomic = false }, false},
		{"renamed migration", func(m *Migration) { m.Name = "0007_other" }, false},
		{"other app", func(m *Migration) { m.App = "shop2" }, false},
		{"changed class", func(m *Migration) { m.Operations[0].Class = "AlterField" }, false},
		{"changed database operation of SeparateDatabaseAndState", func(m *Migration) {
			m.Operations[2].DatabaseOperations[0].SQL[0].SQL = `ALTER TABLE "shop_product" RENAME COLUMN "x" TO "z"`
		}, false},
		{"custom operation argument", func(m *Migration) {
			m.Operations[0].Module = "shop.operations"
			m2 := sampleMigration()
			m2.Operations[0].Module = "shop.operations"
			m2.Operations[0].Args["name"] = json.RawMessage(`"other"`)
			if m.Digest() == m2.Digest() {
				t.Error("a custom operation's argument does not change the digest")
			}
		}, false},
		{"SQL error", func(m *Migration) { m.Operations[0].SQL, m.Operations[0].SQLError = nil, "needs introspection" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sampleMigration()
			tt.change(m)
			got := m.Digest()
			if got != m.Digest() {
				t.Fatal("digest differs between two calls")
			}
			if (got == base) != tt.same {
				t.Errorf("same digest = %v, want %v", got == base, tt.same)
			}
		})
	}
}

func TestDigestSQLErrorArgsAreCanonical(t *testing.T) {
	a, b := sampleMigration(), sampleMigration()
	a.Operations[0].SQLError, b.Operations[0].SQLError = "x", "x"
	a.Operations[0].Args["field"] = json.RawMessage(`{"b": 1, "a": [1.50, "é"]}`)
	b.Operations[0].Args["field"] = json.RawMessage(`{"a":[1.50,"\u00e9"],"b":1}`)
	if a.Digest() != b.Digest() {
		t.Error("the same arguments encoded differently give different digests")
	}
	b.Operations[0].Args["field"] = json.RawMessage(`{"a":[1.5,"é"],"b":1}`)
	if a.Digest() == b.Digest() {
		t.Error("numbers are not kept as written")
	}
}

// The digest of a fixed migration never changes: approvals recorded by one build are matched by
// the next. If this fails, the encoding changed — bump digestVersion deliberately and update.
// The digest of a fixed migration never changes: approvals recorded by one build are matched by
// the next. If this fails, the encoding changed: bump digestVersion deliberately and update want.
func TestDigestIsStable(t *testing.T) {
	const want = "sha256:609e6d18d351998d22cbdb4e124a3650f1150d879f81b02645462aef025d7206"
	if got := sampleMigration().Digest(); got != want {
		t.Errorf("Digest() = %s, want %s", got, want)
	}
}

// A callable default (timezone.now) is computed when the plan is made and rendered as a literal:
// two plans of the same migration must have the same digest, while another callable or another
// statement shape is another plan.
func TestDigestCallableDefault(t *testing.T) {
	mig := func(callable, sql string) *Migration {
		return &Migration{App: "shop", Name: "0008_created", Atomic: true, Operations: []Operation{{
			Class: "AddField", Module: "django.db.migrations.operations.fields",
			NewField: &Field{Name: "created", Default: &Default{Repr: callable, Callable: true}},
			SQL:      []Statement{{SQL: sql}, {SQL: `ALTER TABLE "shop_order" ALTER COLUMN "created" DROP DEFAULT`}},
		}}}
	}
	now := `ALTER TABLE "shop_order" ADD COLUMN "created" timestamptz DEFAULT '2026-11-22T10:00:00+00:00'::timestamptz NOT NULL`
	later := `ALTER TABLE "shop_order" ADD COLUMN "created" timestamptz DEFAULT '2026-11-23T02:00:00+00:00'::timestamptz NOT NULL`
	a := mig("django.utils.timezone.now", now).Digest()
	if b := mig("django.utils.timezone.now", later).Digest(); a != b {
		t.Errorf("the same migration planned twice has two digests: %s, %s", a, b)
	}
	if c := mig("uuid.uuid4", now).Digest(); a == c {
		t.Error("another callable has the same digest")
	}
	nullable := `ALTER TABLE "shop_order" ADD COLUMN "created" timestamptz DEFAULT '2026-11-22T10:00:00+00:00'::timestamptz NULL`
	if d := mig("django.utils.timezone.now", nullable).Digest(); a == d {
		t.Error("another statement shape has the same digest")
	}
	// A constant default stays in the digest byte for byte.
	fixed := mig("x", now)
	fixed.Operations[0].NewField.Default.Callable = false
	fixed2 := mig("x", later)
	fixed2.Operations[0].NewField.Default.Callable = false
	if fixed.Digest() == fixed2.Digest() {
		t.Error("a constant default changed and the digest did not")
	}
}

// Editing a RunPython function's body under the same name is another plan.
func TestDigestRunPythonSource(t *testing.T) {
	a := sampleMigration()
	a.Operations[1].Python.SourceSHA256 = "aa"
	b := sampleMigration()
	b.Operations[1].Python.SourceSHA256 = "bb"
	if a.Digest() == b.Digest() {
		t.Error("a changed RunPython body kept the digest")
	}
}
