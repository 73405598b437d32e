# label: unsafe
# version: 150000
# rules: drop-column
# why: The old code still names legacy_code in every SELECT of product and crashes once the column is dropped; the data is lost.
from django.db import migrations

operations = [
    migrations.RemoveField(
        model_name='product',
        name='legacy_code',
    ),
]
