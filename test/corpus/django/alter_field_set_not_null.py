# label: unsafe
# version: 150000
# rules: set-not-null-scan, not-null-on-nulls
# why: null=True -> False is SET NOT NULL: a full scan of product under ACCESS EXCLUSIVE (no validated CHECK exists), it fails on existing NULLs, and old code inserting NULL breaks.
# apply-error: contains null values
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='product',
        name='sku',
        field=models.CharField(max_length=32),
    ),
]
