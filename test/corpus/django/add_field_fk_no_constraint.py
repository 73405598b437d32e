# label: unsafe
# version: 150000
# rules: index-create-blocking, index-build-in-locked-tx
# why: db_constraint=False removes the FK lock but a ForeignKey still gets db_index=True: a non-concurrent index on order built under ADD COLUMN's ACCESS EXCLUSIVE.
from django.db import migrations, models
import django.db.models.deletion

operations = [
    migrations.AddField(
        model_name='order',
        name='referrer',
        field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='referred_orders', to='base.customer'),
    ),
]
