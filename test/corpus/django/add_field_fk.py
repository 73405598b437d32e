# label: unsafe
# version: 150000
# rules: fk-validating, index-create-blocking, index-build-in-locked-tx
# why: The inline FOREIGN KEY takes SHARE ROW EXCLUSIVE on order and customer and the deferred non-concurrent index is built while ADD COLUMN's ACCESS EXCLUSIVE is held.
from django.db import migrations, models
import django.db.models.deletion

operations = [
    migrations.AddField(
        model_name='order',
        name='referrer',
        field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='referred_orders', to='base.customer'),
    ),
]
