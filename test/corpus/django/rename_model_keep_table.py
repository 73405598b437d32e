# label: safe
# version: 150000
# rules:
# why: Pinning db_table to the current name, then renaming the model, changes only Django's state: the table keeps its name and no SQL runs.
from django.db import migrations

operations = [
    migrations.AlterModelTable(
        name='auditlog',
        table='base_auditlog',
    ),
    migrations.RenameModel(
        old_name='AuditLog',
        new_name='EventLog',
    ),
]
