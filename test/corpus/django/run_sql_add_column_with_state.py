# label: safe
# version: 150000
# rules:
# why: RunSQL adding a nullable column without default (metadata only), with the matching AddField as state_operations.
from django.db import migrations, models

operations = [
    migrations.RunSQL(
        sql='ALTER TABLE base_order ADD COLUMN shipped_at timestamp with time zone NULL',
        reverse_sql='ALTER TABLE base_order DROP COLUMN shipped_at',
        state_operations=[
            migrations.AddField(
                model_name='order',
                name='shipped_at',
                field=models.DateTimeField(blank=True, null=True),
            ),
        ],
    ),
]
