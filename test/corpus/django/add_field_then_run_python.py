# label: unsafe
# version: 150000
# rules: backfill-in-ddl-tx, unbatched-dml
# why: The backfill runs in the same transaction as ADD COLUMN, so order stays under ACCESS EXCLUSIVE (no reads, no writes) for the whole backfill.
from django.db import migrations, models


def fill_is_gift(apps, schema_editor):
    Order = apps.get_model('base', 'Order')
    Order.objects.filter(is_gift__isnull=True).update(is_gift=False)


operations = [
    migrations.AddField(
        model_name='order',
        name='is_gift',
        field=models.BooleanField(null=True),
    ),
    migrations.RunPython(fill_is_gift, migrations.RunPython.noop),
]
