# label: safe
# version: 150000
# rules:
# why: AddIndexConcurrently alone in an atomic=False migration: the build takes SHARE UPDATE EXCLUSIVE, so reads and writes continue. Debatable (no IF NOT EXISTS), but a failed build only leaves an INVALID index that blocks nothing, the old code keeps working, and the one-statement migration is retried whole once the index is dropped.
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

atomic = False

operations = [
    AddIndexConcurrently(
        model_name='order',
        index=models.Index(fields=['status'], name='base_order_status_idx'),
    ),
]
