# label: unsafe
# version: 150000
# rules: rename-table
# why: AlterModelTable renames the table under the old code, which still queries the old name.
from django.db import migrations

operations = [
    migrations.AlterModelTable(
        name='auditlog',
        table='base_audit_log',
    ),
]
