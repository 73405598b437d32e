# label: safe
# version: 150000
# rules:
# why: ADD COLUMN text NULL is a catalog-only change (an instant ACCESS EXCLUSIVE); the old code neither selects nor inserts the column.
from django.db import migrations, models

operations = [
    migrations.AddField(
        model_name='order',
        name='gift_message',
        field=models.TextField(blank=True, null=True),
    ),
]
