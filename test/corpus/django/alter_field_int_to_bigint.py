# label: unsafe
# version: 150000
# rules: column-type-rewrite
# why: integer -> bigint is not binary coercible: order and its indexes are rewritten under ACCESS EXCLUSIVE.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='order',
        name='quantity',
        field=models.BigIntegerField(),
    ),
]
