# label: safe
# version: 150000
# rules:
# why: RemoveIndexConcurrently alone in an atomic=False migration: DROP INDEX CONCURRENTLY waits for running queries instead of locking them out.
from django.contrib.postgres.operations import RemoveIndexConcurrently
from django.db import migrations

atomic = False

operations = [
    RemoveIndexConcurrently(
        model_name='order',
        name='base_order_created_idx',
    ),
]
