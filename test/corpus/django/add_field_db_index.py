# label: unsafe
# version: 150000
# rules: index-create-blocking, index-build-in-locked-tx
# why: ADD COLUMN takes ACCESS EXCLUSIVE and the two deferred CREATE INDEX (plain and _like) run in the same transaction, so reads and writes of order are blocked for both builds.
from django.db import migrations, models

operations = [
    migrations.AddField(
        model_name='order',
        name='coupon_code',
        field=models.CharField(blank=True, db_index=True, max_length=32, null=True),
    ),
]
