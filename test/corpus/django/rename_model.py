# label: unsafe
# version: 150000
# rules: rename-table
# why: RenameModel renames the table auditlog -> eventlog; the old code still queries the old name.
from django.db import migrations

operations = [
    migrations.RenameModel(
        old_name='AuditLog',
        new_name='EventLog',
    ),
]
