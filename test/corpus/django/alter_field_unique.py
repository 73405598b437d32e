# label: unsafe
# version: 150000
# rules: unique-constraint-blocking, add-unique-old-writers, unique-on-duplicates
# why: unique=True adds a UNIQUE constraint: its index is built under ACCESS EXCLUSIVE on customer, fails on existing duplicates, and old code may still insert duplicates.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='customer',
        name='phone',
        field=models.CharField(blank=True, max_length=20, null=True, unique=True),
    ),
]
