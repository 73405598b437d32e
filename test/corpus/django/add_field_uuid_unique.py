# label: unsafe
# version: 150000
# rules: add-required-column, unique-constraint-blocking, unique-on-duplicates
# why: uuid4 is evaluated once, so every existing row gets the same uuid and the UNIQUE index fails (built under ACCESS EXCLUSIVE); the dropped default also breaks old INSERTs.
# apply-error: could not create unique index
import uuid

from django.db import migrations, models

operations = [
    migrations.AddField(
        model_name='product',
        name='public_id',
        field=models.UUIDField(default=uuid.uuid4, unique=True),
    ),
]
