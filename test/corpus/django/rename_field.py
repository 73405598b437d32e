# label: unsafe
# version: 150000
# rules: rename-column
# why: RENAME COLUMN nickname: the old code still selects nickname and fails immediately.
from django.db import migrations

operations = [
    migrations.RenameField(
        model_name='customer',
        old_name='nickname',
        new_name='display_name',
    ),
]
