# label: unsafe
# version: 150000
# rules: index-create-blocking
# why: AddIndex runs CREATE INDEX without CONCURRENTLY: a SHARE lock blocks every write to the existing order table for the whole build.
from django.db import migrations, models

operations = [
    migrations.AddIndex(
        model_name='order',
        index=models.Index(fields=['status'], name='base_order_status_idx'),
    ),
]
