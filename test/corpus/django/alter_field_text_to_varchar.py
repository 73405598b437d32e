# label: unsafe
# version: 150000
# rules: column-type-rewrite
# why: text -> varchar(200) needs a length coercion of every row under ACCESS EXCLUSIVE (rewrite), and old code may send longer notes.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='order',
        name='note',
        field=models.CharField(blank=True, max_length=200, null=True),
    ),
]
