# label: safe
# version: 150000
# rules:
# why: Ordering and verbose names are model state only: no SQL.
from django.db import migrations

operations = [
    migrations.AlterModelOptions(
        name='customer',
        options={'ordering': ['name'], 'verbose_name': 'client'},
    ),
]
