# label: unsafe
# version: 150000
# rules: drop-table
# why: DROP TABLE of auditlog while the old code still reads and writes AuditLog; the data is lost.
from django.db import migrations

operations = [
    migrations.DeleteModel(
        name='AuditLog',
    ),
]
