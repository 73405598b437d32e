# label: unsafe
# version: 150000
# rules: drop-column
# why: SeparateDatabaseAndState is judged by its database operations: this one still drops the column the old code selects.
from django.db import migrations

operations = [
    migrations.SeparateDatabaseAndState(
        database_operations=[
            migrations.RemoveField(
                model_name='product',
                name='legacy_code',
            ),
        ],
        state_operations=[
            migrations.RemoveField(
                model_name='product',
                name='legacy_code',
            ),
        ],
    ),
]
