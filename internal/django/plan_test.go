package django

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestPlanFreshDatabase(t *testing.T) {
	dir := copySample(t)
	db := pgtest.NewDatabase(t)
	p := mustPlan(t, newSource(t, dir, db))

	if p.Vendor != "postgresql" || p.Alias != "default" || p.Settings != "sampleproject.settings" {
		t.Errorf("vendor, alias, settings = %q, %q, %q", p.Vendor, p.Alias, p.Settings)
	}
	if p.DjangoVersion == "" || p.Python == "" || p.PythonVersion == "" {
		t.Errorf("django %q, python %q %q: want all set", p.DjangoVersion, p.Python, p.PythonVersion)
	}
	if len(p.Applied) != 0 {
		t.Errorf("applied = %v, want none on a fresh database", p.Applied)
	}

	// Every migration pending, in Django's own order.
	all, pending := showPlan(t, dir, db)
	if !reflect.DeepEqual(all, pending) {
		t.Fatalf("showmigrations reports applied migrations on a fresh database")
	}
	if got, want := keyStrings(keys(p)), keyStrings(pending); !reflect.DeepEqual(got, want) {
		t.Fatalf("plan order:\n got %v\nwant %v", got, want)
	}

	// The squashed migration stands for its originals, which are not in the plan.
	sq := findMigration(t, p, "shop", "0001_squashed_0003_order")
	wantReplaces := []plan.MigrationKey{{App: "shop", Name: "0001_initial"}, {App: "shop", Name: "0002_product_sku"}, {App: "shop", Name: "0003_order"}}
	if !reflect.DeepEqual(sq.Replaces, wantReplaces) {
		t.Errorf("squashed replaces = %v, want %v", sq.Replaces, wantReplaces)
	}
	if !sq.Initial || sq.File != "shop/migrations/0001_squashed_0003_order.py" {
		t.Errorf("squashed initial %v file %q", sq.Initial, sq.File)
	}
	for _, name := range []string{"0001_initial", "0002_product_sku", "0003_order"} {
		if indexOf(p, "shop", name) >= 0 {
			t.Errorf("replaced migration shop.%s is in the plan", name)
		}
	}

	// Cross-app dependencies: each dependency comes before its dependant.
	for i, m := range p.Migrations {
		for _, dep := range m.Dependencies {
			if j := indexOf(p, dep.App, dep.Name); j < 0 || j >= i {
				t.Errorf("%s depends on %s, at position %d (own %d)", m.Key(), dep, j, i)
			}
		}
	}
	referrer := findMigration(t, p, "shop", "0010_order_referrer")
	if !containsKey(referrer.Dependencies, "accounts", "0005_rename_nickname_display_name") {
		t.Errorf("shop.0010 dependencies = %v, want accounts.0005", referrer.Dependencies)
	}
	featured := findMigration(t, p, "blog", "0002_post_featured_product")
	if !containsKey(featured.Dependencies, "shop", "0006_alter_product_sku_not_null") {
		t.Errorf("blog.0002 dependencies = %v", featured.Dependencies)
	}
	// swappable_dependency(AUTH_USER_MODEL) is ("auth", "__first__"): resolved.
	accounts1 := findMigration(t, p, "accounts", "0001_initial")
	if !containsKey(accounts1.Dependencies, "auth", "0001_initial") {
		t.Errorf("accounts.0001 dependencies = %v, want auth.0001_initial (resolved __first__)", accounts1.Dependencies)
	}

	for _, m := range p.Migrations {
		if m.ClassLine == 0 || m.File == "" {
			t.Errorf("%s: file %q class_line %d", m.Key(), m.File, m.ClassLine)
		}
		walkOps(m.Operations, func(op plan.Operation) {
			if op.SQLError != "" {
				t.Errorf("%s %s: sql_error %q", m.Key(), op.Class, op.SQLError)
			}
			if op.Line == 0 {
				t.Errorf("%s %s #%d: line 0", m.Key(), op.Class, op.Index)
			}
		})
	}

	t.Run("RunPython", func(t *testing.T) {
		m := findMigration(t, p, "shop", "0005_backfill_product_sku")
		op := m.Operations[0]
		file := "shop/migrations/0005_backfill_product_sku.py"
		if op.Class != "RunPython" || op.ReducesToSQL || len(op.SQL) != 0 || op.Python == nil {
			t.Fatalf("op = %+v", op)
		}
		want := &plan.PythonCode{
			Function: "shop.migrations.0005_backfill_product_sku.fill_missing_skus",
			File:     file,
			Line:     lineOf(t, dir, file, "def fill_missing_skus", 1),
			Reverse: &plan.PythonCode{
				Function: "shop.migrations.0005_backfill_product_sku.clear_generated_skus",
				File:     file,
				Line:     lineOf(t, dir, file, "def clear_generated_skus", 1),
			},
		}
		// The source hashes are SHA-256 hex, one per function (the digest of the plan uses the
		// forward one); the rest is compared as is.
		fwd, rev := op.Python.SourceSHA256, ""
		if op.Python.Reverse != nil {
			rev = op.Python.Reverse.SourceSHA256
			op.Python.Reverse.SourceSHA256 = ""
		}
		if len(fwd) != 64 || len(rev) != 64 || fwd == rev {
			t.Errorf("source hashes %q, %q: want two different SHA-256 hex digests", fwd, rev)
		}
		op.Python.SourceSHA256 = ""
		if !reflect.DeepEqual(op.Python, want) {
			t.Errorf("python = %+v / %+v\nwant %+v / %+v", op.Python, op.Python.Reverse, want, want.Reverse)
		}
		if op.Line != lineOf(t, dir, file, "migrations.RunPython(", 1) || !op.Reversible {
			t.Errorf("line %d reversible %v", op.Line, op.Reversible)
		}
		// Django's own: RunPython.noop forwards.
		ct := findMigration(t, p, "contenttypes", "0002_remove_content_type_name")
		noop := ct.Operations[2]
		if noop.Python == nil || noop.Python.Function != "django.db.migrations.operations.special.RunPython.noop" {
			t.Errorf("contenttypes.0002 RunPython = %+v", noop.Python)
		}
	})

	t.Run("RunSQL", func(t *testing.T) {
		m := findMigration(t, p, "shop", "0008_order_reporting_sql")
		file := m.File
		script, list := m.Operations[0], m.Operations[1]
		if script.RunSQL == nil || len(script.RunSQL.SQL) != 1 || !script.RunSQL.HasReverse {
			t.Fatalf("script RunSQL = %+v", script.RunSQL)
		}
		verbatim := script.RunSQL.SQL[0]
		for _, part := range []string{"\n                -- Orders per customer; read by the reporting job.\n", "CREATE VIEW shop_order_summary AS", "GROUP BY customer_id;\n", "COMMENT ON VIEW shop_order_summary IS 'Orders per customer; for reporting';\n            "} {
			if !strings.Contains(verbatim, part) {
				t.Errorf("verbatim SQL lacks %q:\n%s", part, verbatim)
			}
		}
		// PostgreSQL's backend sends a RunSQL string in one call, as written.
		if got := sqlOf(script); len(got) != 1 || got[0] != verbatim+";" {
			t.Errorf("script statements = %q", got)
		}
		wantList := []string{
			"COMMENT ON TABLE shop_order IS 'Orders placed by customers'",
			"COMMENT ON COLUMN shop_order.quantity IS 'Number of items ordered'",
		}
		if list.RunSQL == nil || !reflect.DeepEqual(list.RunSQL.SQL, wantList) {
			t.Errorf("list RunSQL = %+v", list.RunSQL)
		}
		if got := sqlOf(list); !reflect.DeepEqual(got, []string{wantList[0] + ";", wantList[1] + ";"}) {
			t.Errorf("list statements = %q", got)
		}
		if script.Line != lineOf(t, dir, file, "migrations.RunSQL(", 1) || list.Line != lineOf(t, dir, file, "migrations.RunSQL(", 2) {
			t.Errorf("lines %d %d", script.Line, list.Line)
		}

		// state_operations of a RunSQL.
		shipped := findMigration(t, p, "shop", "0009_order_shipped_at").Operations[0]
		if shipped.RunSQL == nil || len(shipped.RunSQL.StateOperations) != 1 {
			t.Fatalf("0009 RunSQL = %+v", shipped.RunSQL)
		}
		st := shipped.RunSQL.StateOperations[0]
		if st.Class != "AddField" || len(st.SQL) != 0 || st.NewField == nil || st.NewField.Name != "shipped_at" || !st.NewField.Null {
			t.Errorf("state operation = %+v", st)
		}
		if st.Line != lineOf(t, dir, "shop/migrations/0009_order_shipped_at.py", "migrations.AddField(", 1) {
			t.Errorf("state operation line %d", st.Line)
		}
	})

	t.Run("SeparateDatabaseAndState", func(t *testing.T) {
		m := findMigration(t, p, "shop", "0012_order_total")
		file := m.File
		op := m.Operations[0]
		if op.Class != "SeparateDatabaseAndState" || len(op.DatabaseOperations) != 2 || len(op.StateOperations) != 1 {
			t.Fatalf("op = %s with %d database and %d state operations", op.Class, len(op.DatabaseOperations), len(op.StateOperations))
		}
		add, raw := op.DatabaseOperations[0], op.DatabaseOperations[1]
		if add.Class != "AddField" || !reflect.DeepEqual(sqlOf(add), []string{`ALTER TABLE "shop_order" ADD COLUMN "total" numeric(10, 2) NULL;`}) {
			t.Errorf("database operation 0: %s %q", add.Class, sqlOf(add))
		}
		if raw.Class != "RunSQL" || !reflect.DeepEqual(sqlOf(raw), []string{"ALTER TABLE shop_order ALTER COLUMN total SET DEFAULT 0;"}) {
			t.Errorf("database operation 1: %s %q", raw.Class, sqlOf(raw))
		}
		if got, want := sqlOf(op), append(sqlOf(add), sqlOf(raw)...); !reflect.DeepEqual(got, want) {
			t.Errorf("parent SQL %q, want the concatenation %q", got, want)
		}
		st := op.StateOperations[0]
		if st.Class != "AddField" || len(st.SQL) != 0 {
			t.Errorf("state operation %s with SQL %q", st.Class, sqlOf(st))
		}
		if add.NewField == nil || add.NewField.DBType != "numeric(10, 2)" || !add.NewField.Null {
			t.Errorf("database AddField new_field = %+v", add.NewField)
		}
		if op.Line != lineOf(t, dir, file, "migrations.SeparateDatabaseAndState(", 1) ||
			add.Line != lineOf(t, dir, file, "migrations.AddField(", 1) ||
			raw.Line != lineOf(t, dir, file, "migrations.RunSQL(", 1) ||
			st.Line != lineOf(t, dir, file, "migrations.AddField(", 2) {
			t.Errorf("lines: parent %d, database %d %d, state %d", op.Line, add.Line, raw.Line, st.Line)
		}
	})

	t.Run("NonAtomic", func(t *testing.T) {
		m := findMigration(t, p, "shop", "0007_product_name_index_concurrently")
		if m.Atomic {
			t.Errorf("atomic = true")
		}
		op := m.Operations[0]
		if op.Class != "AddIndexConcurrently" || op.Module != "django.contrib.postgres.operations" {
			t.Errorf("class %s module %s", op.Class, op.Module)
		}
		if got := sqlOf(op); !reflect.DeepEqual(got, []string{`CREATE INDEX CONCURRENTLY "shop_product_name_idx" ON "shop_product" ("name");`}) {
			t.Errorf("SQL %q", got)
		}
		for _, other := range p.Migrations {
			if other.Key() != m.Key() && !other.Atomic {
				t.Errorf("%s: atomic = false", other.Key())
			}
		}
	})

	t.Run("Deferred", func(t *testing.T) {
		op := findMigration(t, p, "shop", "0004_order_coupon_code").Operations[0]
		want := []plan.Statement{
			{SQL: `ALTER TABLE "shop_order" ADD COLUMN "coupon_code" varchar(32) NULL;`},
			{SQL: `CREATE INDEX "shop_order_coupon_code_f967759d" ON "shop_order" ("coupon_code");`, Deferred: true},
			{SQL: `CREATE INDEX "shop_order_coupon_code_f967759d_like" ON "shop_order" ("coupon_code" varchar_pattern_ops);`, Deferred: true},
		}
		if !reflect.DeepEqual(op.SQL, want) {
			t.Errorf("SQL = %+v", op.SQL)
		}
		// Deferred statements of a CreateModel belong to it, after the other models' tables.
		blog := findMigration(t, p, "blog", "0001_initial")
		for _, op := range blog.Operations {
			seenDeferred := false
			for _, st := range op.SQL {
				if st.Deferred {
					seenDeferred = true
				} else if seenDeferred {
					t.Errorf("blog.0001 %s: immediate statement after a deferred one", op.Describe)
				}
			}
		}
		post := blog.Operations[1]
		if n := countDeferred(post); n != 7 || !strings.HasPrefix(post.SQL[0].SQL, `CREATE TABLE "blog_post"`) {
			t.Errorf("blog.0001 Post: %d deferred statements, SQL %q", n, sqlOf(post))
		}
	})

	t.Run("ModelsAndFields", func(t *testing.T) {
		vip := findMigration(t, p, "accounts", "0004_customer_is_vip").Operations[0]
		if vip.Model == nil || *vip.Model != (plan.Model{App: "accounts", Name: "Customer", TableBefore: "accounts_customer", TableAfter: "accounts_customer", Managed: true}) {
			t.Errorf("model = %+v", vip.Model)
		}
		nf := vip.NewField
		if vip.OldField != nil || nf == nil || nf.Null || nf.DBType != "boolean" || nf.Default == nil || nf.Default.Repr != "False" || nf.Default.Callable || nf.DBDefault != nil {
			t.Errorf("is_vip old %+v new %+v", vip.OldField, nf)
		}
		var args map[string]any
		b, _ := json.Marshal(vip.Args)
		_ = json.Unmarshal(b, &args)
		if args["model_name"] != "customer" || args["name"] != "is_vip" {
			t.Errorf("args = %s", b)
		}
		if f, ok := args["field"].(map[string]any); !ok || f["class"] != "BooleanField" || f["db_type"] != "boolean" {
			t.Errorf("args.field = %v", args["field"])
		}

		sku := findMigration(t, p, "shop", "0006_alter_product_sku_not_null").Operations[0]
		if sku.OldField == nil || !sku.OldField.Null || sku.NewField == nil || sku.NewField.Null || sku.NewField.DBType != "varchar(32)" {
			t.Errorf("sku old %+v new %+v", sku.OldField, sku.NewField)
		}

		ref := findMigration(t, p, "shop", "0010_order_referrer").Operations[0]
		f := ref.NewField
		if f == nil || f.Class != "ForeignKey" || f.Column != "referrer_id" || f.DBType != "bigint" || f.Related != "accounts.Customer" ||
			f.RelatedTable != "accounts_customer" || !f.DBConstraint || f.OnDelete != "SET_NULL" || !f.DBIndex || !f.Null {
			t.Errorf("referrer = %+v", f)
		}

		ren := findMigration(t, p, "accounts", "0005_rename_nickname_display_name").Operations[0]
		if ren.OldField == nil || ren.OldField.Name != "nickname" || ren.NewField == nil || ren.NewField.Name != "display_name" {
			t.Errorf("rename old %+v new %+v", ren.OldField, ren.NewField)
		}

		del := findMigration(t, p, "blog", "0004_delete_legacycomment").Operations[0]
		if del.Model == nil || del.Model.TableBefore != "blog_legacycomment" || del.Model.TableAfter != "" || del.Model.Name != "LegacyComment" {
			t.Errorf("DeleteModel model = %+v", del.Model)
		}
		create := findMigration(t, p, "blog", "0001_initial").Operations[0]
		if create.Model == nil || create.Model.TableBefore != "" || create.Model.TableAfter != "blog_tag" {
			t.Errorf("CreateModel model = %+v", create.Model)
		}
		var fields []plan.Field
		if err := json.Unmarshal(create.Args["fields"], &fields); err != nil || len(fields) != 2 || fields[1].Name != "name" || !fields[1].Unique || fields[1].DBType != "varchar(50)" {
			t.Errorf("CreateModel fields = %s (%v)", create.Args["fields"], err)
		}
		idx := findMigration(t, p, "blog", "0003_post_published_index").Operations[0]
		var index struct {
			Path   string         `json:"path"`
			Kwargs map[string]any `json:"kwargs"`
		}
		if err := json.Unmarshal(idx.Args["index"], &index); err != nil || index.Path != "django.db.models.Index" || index.Kwargs["name"] != "blog_post_published_idx" {
			t.Errorf("AddIndex index = %s (%v)", idx.Args["index"], err)
		}
	})
}

func TestPlanAfterBaseline(t *testing.T) {
	dir := copySample(t)
	db := pgtest.NewDatabase(t)
	baseline(t, dir, db)
	p := mustPlan(t, newSource(t, dir, db))

	_, pending := showPlan(t, dir, db)
	if got, want := keyStrings(keys(p)), keyStrings(pending); !reflect.DeepEqual(got, want) {
		t.Fatalf("pending:\n got %v\nwant %v", got, want)
	}
	want := []string{
		"accounts.0003_customer_phone_ordering", "accounts.0004_customer_is_vip", "accounts.0005_rename_nickname_display_name",
		"shop.0004_order_coupon_code", "shop.0005_backfill_product_sku", "shop.0006_alter_product_sku_not_null",
		"blog.0002_post_featured_product", "blog.0003_post_published_index", "blog.0004_delete_legacycomment", "blog.0005_alter_post_title_length",
		"shop.0007_product_name_index_concurrently", "shop.0008_order_reporting_sql", "shop.0009_order_shipped_at",
		"shop.0010_order_referrer", "shop.0011_remove_product_legacy_code", "shop.0012_order_total",
	}
	if got := keyStrings(keys(p)); !reflect.DeepEqual(got, want) {
		t.Errorf("pending:\n got %v\nwant %v (README.md)", got, want)
	}
	applied := djangoMigrations(t, db)
	if !reflect.DeepEqual(p.Applied, applied) {
		t.Errorf("applied:\n got %v\nwant %v", keyStrings(p.Applied), keyStrings(applied))
	}
	// Migrating the squashed migration records the replaced ones and the squashed one.
	for _, name := range []string{"0001_initial", "0002_product_sku", "0003_order", "0001_squashed_0003_order"} {
		if !containsKey(p.Applied, "shop", name) {
			t.Errorf("applied lacks shop.%s", name)
		}
	}
	for _, m := range p.Migrations {
		walkOps(m.Operations, func(op plan.Operation) {
			if op.SQLError != "" {
				t.Errorf("%s %s: sql_error %q", m.Key(), op.Class, op.SQLError)
			}
		})
	}
	// State comes from the applied migrations: the renamed column's old field is the baseline's.
	ren := findMigration(t, p, "accounts", "0005_rename_nickname_display_name").Operations[0]
	if ren.OldField == nil || ren.OldField.DBType != "varchar(50)" {
		t.Errorf("old field = %+v", ren.OldField)
	}
}

func countDeferred(op plan.Operation) int {
	n := 0
	for _, st := range op.SQL {
		if st.Deferred {
			n++
		}
	}
	return n
}

func containsKey(ks []plan.MigrationKey, app, name string) bool {
	for _, k := range ks {
		if k.App == app && k.Name == name {
			return true
		}
	}
	return false
}

// walkOps visits operations and their nested database, state and RunSQL state operations.
func walkOps(ops []plan.Operation, f func(plan.Operation)) {
	for _, op := range ops {
		f(op)
		walkOps(op.DatabaseOperations, f)
		walkOps(op.StateOperations, f)
		if op.RunSQL != nil {
			walkOps(op.RunSQL.StateOperations, f)
		}
	}
}
