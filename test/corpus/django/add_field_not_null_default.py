# label: unsafe
# version: 150000
# rules: add-required-column
# why: Django adds is_vip with DEFAULT false NOT NULL, then drops the default: the old code's INSERTs, which omit is_vip, fail with a NOT NULL violation.
from django.db import migrations, models

operations = [
    migrations.AddField(
        model_name='customer',
        name='is_vip',
        field=models.BooleanField(default=False),
    ),
]
