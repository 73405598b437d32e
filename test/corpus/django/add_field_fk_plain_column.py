# label: safe
# version: 150000
# rules:
# why: db_constraint=False and db_index=False leave only ADD COLUMN integer NULL: no FK lock on customer, no index build, nothing the old code sees.
from django.db import migrations, models
import django.db.models.deletion

operations = [
    migrations.AddField(
        model_name='order',
        name='referrer',
        field=models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='referred_orders', to='base.customer'),
    ),
]
