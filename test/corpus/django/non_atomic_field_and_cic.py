# label: unsafe
# version: 150000
# rules: non-atomic-non-idempotent
# why: Non-atomic and two statements: ADD COLUMN commits on its own, so if the concurrent build then fails or is cancelled, every retry of the migration fails on "column priority already exists" and deploys are stuck until repaired by hand. Debatable (no outage), labelled unsafe to protect production (HAZARDS non-atomic-non-idempotent).
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

atomic = False

operations = [
    migrations.AddField(
        model_name='order',
        name='priority',
        field=models.IntegerField(null=True),
    ),
    AddIndexConcurrently(
        model_name='order',
        index=models.Index(fields=['priority'], name='base_order_priority_idx'),
    ),
]
