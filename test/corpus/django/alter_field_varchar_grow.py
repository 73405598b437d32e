# label: safe
# version: 150000
# rules:
# why: varchar(200) -> varchar(300) is binary coercible: no rewrite, no scan (name has no CHECK or index), only an instant ACCESS EXCLUSIVE; old values still fit.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='product',
        name='name',
        field=models.CharField(max_length=300),
    ),
]
