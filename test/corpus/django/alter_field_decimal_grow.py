# label: safe
# version: 150000
# rules:
# why: numeric(10,2) -> numeric(12,2) keeps the scale: binary coercible, no rewrite, and total has no CHECK to re-validate.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='order',
        name='total',
        field=models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True),
    ),
]
