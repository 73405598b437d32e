# label: unsafe
# version: 150000
# rules: column-type-rewrite
# why: varchar(200) -> varchar(100) is not binary coercible (every value re-checked and the table rewritten under ACCESS EXCLUSIVE) and old code may still send 200-character names.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='product',
        name='name',
        field=models.CharField(max_length=100),
    ),
]
