# label: safe
# version: 150000
# rules:
# why: Phase 1 of a column drop: the field leaves Django's state only (no database operations), the column stays (it is nullable, so new code's INSERTs work).
from django.db import migrations

operations = [
    migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.RemoveField(
                model_name='product',
                name='legacy_code',
            ),
        ],
    ),
]
