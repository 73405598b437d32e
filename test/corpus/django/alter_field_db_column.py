# label: unsafe
# version: 150000
# rules: rename-column
# why: Setting db_column to a new name renames the column; the old code still selects nickname.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='customer',
        name='nickname',
        field=models.CharField(blank=True, db_column='nick', max_length=50, null=True),
    ),
]
