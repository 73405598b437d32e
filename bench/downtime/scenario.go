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
	// AppOptions makes the app's settings bound every query with a statement_timeout passed in
	// the connection's startup options (appOptionsLine), for the migrate and the zdcd run alike.
	AppOptions bool
	// PgBouncer makes the release (the migrate command, and zdcd with its own connections)
	// reach the database through a PgBouncer in session mode that drops the `options` startup
	// parameter (pgbouncer.go). The old app's load and the blocker stay on the direct URL.
	PgBouncer bool
	// ZdcdEnv is added to zdcd's environment in this scenario.
	ZdcdEnv []string
	// Outlasts: the blocker (LongTx) holds shop_order longer than ZDCD_LOCK_WAIT, so zdcd's
	// attempts must be cut by lock_timeout and retried; checked in evaluate.
	Outlasts bool
}

// appOptionsLine is what the app-options scenarios append to the sample app's settings: a
// statement_timeout in the `options` connection parameter, a common way to bound web queries.
// libpq takes PGOPTIONS only as the default of `options`, so this replaces zdcd's PGOPTIONS
// string entirely (https://www.postgresql.org/docs/current/libpq-envars.html); zdcd's session
// guard sets the timeouts from inside Django instead (docs/release.md, Session settings).
const appOptionsLine = "\nDATABASES[\"default\"][\"OPTIONS\"][\"options\"] = \"-c statement_timeout=30000\"\n"

// blockerLockWait is ZDCD_LOCK_WAIT in the scenarios whose blocker outlasts it: short against
// the blocker's hold (-hold, 8 s by default), so zdcd stops waiting and attempts under
// lock_timeout while the blocker still holds the table.
const blockerLockWait = "2s"

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
	{
		Name:       "app-options",
		Effect:     "the app's settings pass `options=-c statement_timeout=30000`, so the migrate session has a 30 s statement_timeout and no lock_timeout: ADD COLUMN queues behind the blocker's ACCESS SHARE lock, and every later query of the app queues behind it until the blocker ends. zdcd sets lock_timeout 100 ms from inside Django (the app's options replace PGOPTIONS), waits ZDCD_LOCK_WAIT=" + blockerLockWait + " for the blocker, then attempts: each attempt gives up after 100 ms in the queue and is retried until the blocker has ended",
		Title:      "a nullable column behind a blocker that outlasts ZDCD_LOCK_WAIT; the app's OPTIONS say options=-c statement_timeout=30000",
		Want:       "applied",
		LongTx:     true,
		AppOptions: true,
		Outlasts:   true,
		ZdcdEnv:    []string{"ZDCD_LOCK_WAIT=" + blockerLockWait},
		Files: map[string]string{
			"0004_bench_order_note.py": header + deps + "    operations = [\n" + addNote + "    ]\n",
		},
	},
	{
		Name:       "pgbouncer-session",
		Effect:     "as in app-options, through a PgBouncer in session mode with `ignore_startup_parameters = options`: the pooler drops the startup options (the app's and PGOPTIONS alike), so the migrate session has neither timeout and ADD COLUMN waits behind the blocker, the app's queries behind it. zdcd's guard sets lock_timeout 100 ms with a SET after connecting, which session pooling keeps; its attempts are cut and retried as in app-options",
		Title:      "app-options, with the release going through PgBouncer (session mode, ignore_startup_parameters = options)",
		Want:       "applied",
		LongTx:     true,
		AppOptions: true,
		PgBouncer:  true,
		Outlasts:   true,
		ZdcdEnv:    []string{"ZDCD_LOCK_WAIT=" + blockerLockWait},
		Files: map[string]string{
			"0004_bench_order_note.py": header + deps + "    operations = [\n" + addNote + "    ]\n",
		},
	},
}
