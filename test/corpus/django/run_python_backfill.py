# label: unsafe
# version: 150000
# rules: unbatched-dml, data-migration-hygiene
# why: RunPython updates every order row in one transaction: row locks on the whole table block the old code's writes until commit; Python code cannot be proven safe.
from django.db import migrations


def archive_done_orders(apps, schema_editor):
    Order = apps.get_model('base', 'Order')
    Order.objects.filter(status='done').update(status='archived')


operations = [
    migrations.RunPython(archive_done_orders, migrations.RunPython.noop),
]
