# label: unsafe
# version: 150000
# rules: concurrently-in-transaction
# why: AddIndexConcurrently in an atomic migration cannot run: Django refuses it inside a transaction, so the release fails at apply time.
# apply-error: cannot be executed inside a transaction
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

operations = [
    AddIndexConcurrently(
        model_name='order',
        index=models.Index(fields=['status'], name='base_order_status_idx'),
    ),
]
