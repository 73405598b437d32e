# label: unsafe
# version: 150000
# rules: unique-constraint-blocking, index-build-in-locked-tx, index-create-blocking
# why: ADD COLUMN ... UNIQUE builds the unique index (and a deferred _like index) under the ACCESS EXCLUSIVE lock of the ALTER: customer is unreadable for the builds.
from django.db import migrations, models

operations = [
    migrations.AddField(
        model_name='customer',
        name='referral_code',
        field=models.CharField(blank=True, max_length=12, null=True, unique=True),
    ),
]
