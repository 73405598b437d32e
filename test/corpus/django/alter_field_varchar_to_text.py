# label: safe
# version: 150000
# rules:
# why: varchar(50) -> text is binary coercible (metadata only) and accepts everything the old code writes.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='customer',
        name='nickname',
        field=models.TextField(blank=True, null=True),
    ),
]
