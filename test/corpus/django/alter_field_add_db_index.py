# label: unsafe
# version: 150000
# rules: index-create-blocking
# why: db_index=True on an existing varchar builds two indexes (plain and _like) without CONCURRENTLY: writes to customer are blocked.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='customer',
        name='phone',
        field=models.CharField(blank=True, db_index=True, max_length=20, null=True),
    ),
]
