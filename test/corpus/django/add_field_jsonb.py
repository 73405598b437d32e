# label: safe
# version: 150000
# rules:
# why: Django's JSONField is jsonb (equality works, unlike json), added as a nullable column: metadata only.
from django.db import migrations, models

operations = [
    migrations.AddField(
        model_name='product',
        name='attributes',
        field=models.JSONField(blank=True, null=True),
    ),
]
