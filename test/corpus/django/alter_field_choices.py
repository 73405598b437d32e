# label: safe
# version: 150000
# rules:
# why: choices live only in Python: Django emits no SQL.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='order',
        name='status',
        field=models.CharField(choices=[('new', 'New'), ('paid', 'Paid'), ('done', 'Done')], max_length=20),
    ),
]
