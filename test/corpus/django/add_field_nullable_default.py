# label: safe
# version: 150000
# rules:
# why: Django adds the column with DEFAULT 'web' and drops the default again; on PG 11+ that is metadata only, and since the column is nullable the old code's INSERTs (no channel) store NULL and keep working.
from django.db import migrations, models

operations = [
    migrations.AddField(
        model_name='order',
        name='channel',
        field=models.CharField(default='web', max_length=20, null=True),
    ),
]
