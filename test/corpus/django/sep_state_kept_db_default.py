# label: safe
# version: 150000
# rules:
# why: Nullable column plus SET DEFAULT 0 kept in the database (PG 11+: metadata only); the old code's INSERTs get the default, nothing is rewritten.
from django.db import migrations, models

operations = [
    migrations.SeparateDatabaseAndState(
        database_operations=[
            migrations.AddField(
                model_name='order',
                name='discount',
                field=models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True),
            ),
            migrations.RunSQL(
                sql='ALTER TABLE base_order ALTER COLUMN discount SET DEFAULT 0',
                reverse_sql='ALTER TABLE base_order ALTER COLUMN discount DROP DEFAULT',
            ),
        ],
        state_operations=[
            migrations.AddField(
                model_name='order',
                name='discount',
                field=models.DecimalField(blank=True, decimal_places=2, default=0, max_digits=10, null=True),
            ),
        ],
    ),
]
