# label: unsafe
# version: 150000
# rules: unbatched-dml
# why: One UPDATE over the whole order table row-locks every matching row until the migration commits; old code updating those orders waits (no batching).
from django.db import migrations

operations = [
    migrations.RunSQL(
        sql="UPDATE base_order SET status = 'archived' WHERE status = 'done'",
        reverse_sql=migrations.RunSQL.noop,
    ),
]
