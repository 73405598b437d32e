# label: unsafe
# version: 150000
# rules: index-drop-blocking
# why: DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on order; queued behind any long query it stalls every read, while RemoveIndexConcurrently does the same without it.
from django.db import migrations

operations = [
    migrations.RemoveIndex(
        model_name='order',
        name='base_order_created_idx',
    ),
]
