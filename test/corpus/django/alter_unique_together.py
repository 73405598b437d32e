# label: unsafe
# version: 150000
# rules: unique-constraint-blocking, add-unique-old-writers, unique-on-duplicates
# why: AlterUniqueTogether runs ALTER TABLE ADD CONSTRAINT UNIQUE: the unique index is built under ACCESS EXCLUSIVE on order (reads and writes blocked).
from django.db import migrations

operations = [
    migrations.AlterUniqueTogether(
        name='order',
        unique_together={('customer', 'product')},
    ),
]
