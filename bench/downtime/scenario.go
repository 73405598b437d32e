package main

// A scenario is one release of the sample app (test/sampleapp) on top of its baseline: the
// migration files it adds to the shop app, and what zdcd is expected to decide about them.
// Every scenario changes shop_order, the big table the old app's load reads and writes.
type scenario struct {
	// Name is the scenario's kebab-case id: file names, -scenarios, the CSV.
	Name string
	// Title says what the migration does, for the docs.
	Title string
	// Files are the migration files written into shop/migrations, by name.
	Files map[string]string
	// Effect is what the plain migrate does to the old app, for the docs.
	Effect string
	// Want is zdcd's expected decision: "applied" or "refused".
	Want string
	// LongTx holds a long-running analytics transaction on shop_order while the release starts
	// (the classic outage).
	LongTx bool
}

// header is the head of every scenario migration: on top of the sample app's baseline.
const header = `from django.db import migrations, models


class Migration(migrations.Migration):

`

const deps = `    dependencies = [
        ('shop', '0001_squashed_0003_order'),
    ]

`

// addNote is the backward-compatible change old code never notices: a nullable column.
const addNote = `        migrations.AddField(
            model_name='order',
            name='note',
            field=models.CharField(blank=True, max_length=100, null=True),
        ),
`

var scenarios = []scenario{
	{
		Name:   "safe",
		Effect: "harmless either way: the nullable column is metadata only and the index is built without blocking writes; zdcd applies the concurrent index on its own, without a short lock_timeout (it waits by design)",
		Title:  "safe plan: nullable column + new table, then an index built concurrently (atomic = False)",
		Want:   "applied",
		Files: map[string]string{
			"0004_bench_order_note.py": header + deps + "    operations = [\n" + addNote + `        migrations.CreateModel(
            name='Shipment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('order_ref', models.BigIntegerField()),
                ('carrier', models.CharField(max_length=50)),
            ],
        ),
    ]
`,
			"0005_bench_order_created_idx.py": `from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('shop', '0004_bench_order_note'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='order',
            index=models.Index(fields=['created_at'], name='shop_order_created_idx'),
        ),
    ]
`,
		},
	},
	{
		Name:   "index",
		Effect: "CREATE INDEX takes a SHARE lock on shop_order: reads go on, every INSERT and UPDATE waits until the index is built",
		Title:  "unsafe: a non-concurrent CREATE INDEX on shop_order (AddIndex)",
		Want:   "refused",
		Files: map[string]string{
			"0004_bench_order_created_idx.py": header + deps + `    operations = [
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['created_at'], name='shop_order_created_idx'),
        ),
    ]
`,
		},
	},
	{
		Name:   "not-null-default",
		Effect: "fast (metadata only since PostgreSQL 11), but Django then drops the database default, so every INSERT of the old code, which does not name the column, fails",
		Title:  "unsafe: AddField priority integer NOT NULL default 0 (Django drops the default: old INSERTs fail)",
		Want:   "refused",
		Files: map[string]string{
			"0004_bench_order_priority.py": header + deps + `    operations = [
        migrations.AddField(
            model_name='order',
            name='priority',
            field=models.IntegerField(default=0),
        ),
    ]
`,
		},
	},
	{
		Name:   "bigint",
		Effect: "ALTER COLUMN TYPE rewrites the table and its indexes under ACCESS EXCLUSIVE: every query waits for the rewrite",
		Title:  "unsafe: AlterField quantity integer → bigint (table rewrite under ACCESS EXCLUSIVE)",
		Want:   "refused",
		Files: map[string]string{
			"0004_bench_order_quantity_bigint.py": header + deps + `    operations = [
        migrations.AlterField(
            model_name='order',
            name='quantity',
            field=models.PositiveBigIntegerField(default=1),
        ),
    ]
`,
		},
	},
	{
		Name:   "drop-column",
		Effect: "instant, and from then on every query of the old code that names the column fails",
		Title:  "unsafe: RemoveField quantity, a column the old code reads and writes",
		Want:   "refused",
		Files: map[string]string{
			"0004_bench_remove_order_quantity.py": header + deps + `    operations = [
        migrations.RemoveField(
            model_name='order',
            name='quantity',
        ),
    ]
`,
		},
	},
	{
		Name:   "outage",
		Effect: "ADD COLUMN needs ACCESS EXCLUSIVE for an instant, but it queues behind the analytics transaction's ACCESS SHARE lock, and every later query queues behind it: the app stops until the analytics transaction ends. zdcd waits until no session holds a conflicting lock, then takes its lock for an instant with lock_timeout 100 ms",
		Title:  "the classic outage: a nullable column (safe) while a long analytics transaction holds shop_order",
		Want:   "applied",
		LongTx: true,
		Files: map[string]string{
			"0004_bench_order_note.py": header + deps + "    operations = [\n" + addNote + "    ]\n",
		},
	},
}
