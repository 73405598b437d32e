# label: safe
# version: 150000
# rules:
# why: Pinning db_column to the current name, then renaming the field, changes only Django's state: the column stays nickname and no SQL runs.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='customer',
        name='nickname',
        field=models.CharField(blank=True, db_column='nickname', max_length=50, null=True),
    ),
    migrations.RenameField(
        model_name='customer',
        old_name='nickname',
        new_name='display_name',
    ),
]
