# label: safe
# version: 150000
# rules:
# why: CREATE INDEX CONCURRENTLY IF NOT EXISTS, alone, in a non-atomic migration: writes continue during the build and a retry is idempotent.
from django.db import migrations

atomic = False

operations = [
    migrations.RunSQL(
        sql='CREATE INDEX CONCURRENTLY IF NOT EXISTS base_order_note_idx ON base_order (note)',
        reverse_sql='DROP INDEX CONCURRENTLY IF EXISTS base_order_note_idx',
    ),
]
