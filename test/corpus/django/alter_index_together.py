# label: unsafe
# version: 150000
# rules: index-create-blocking
# why: index_together builds a composite index with plain CREATE INDEX: writes to order are blocked for the build.
from django.db import migrations

operations = [
    migrations.AlterIndexTogether(
        name='order',
        index_together={('status', 'created_at')},
    ),
]
