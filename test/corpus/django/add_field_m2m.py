# label: safe
# version: 150000
# rules:
# why: A ManyToManyField creates a new through table; its FKs lock product and customer only for an instant (the new table is empty, nothing to validate) and no existing table changes.
from django.db import migrations, models

operations = [
    migrations.AddField(
        model_name='product',
        name='watchers',
        field=models.ManyToManyField(blank=True, related_name='watched_products', to='base.Customer'),
    ),
]
