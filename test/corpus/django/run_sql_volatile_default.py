# label: unsafe
# version: 150000
# rules: add-column-volatile-default
# why: A volatile default (gen_random_uuid()) forces a full rewrite of customer under ACCESS EXCLUSIVE, even on PG 11+.
from django.db import migrations, models

operations = [
    migrations.RunSQL(
        sql='ALTER TABLE base_customer ADD COLUMN token uuid DEFAULT gen_random_uuid()',
        reverse_sql='ALTER TABLE base_customer DROP COLUMN token',
        state_operations=[
            migrations.AddField(
                model_name='customer',
                name='token',
                field=models.UUIDField(null=True),
            ),
        ],
    ),
]
