# label: safe
# version: 150000
# rules:
# why: on_delete is enforced by Django, not the database: Django 3.2 emits no SQL for it.
from django.db import migrations, models
import django.db.models.deletion

operations = [
    migrations.AlterField(
        model_name='order',
        name='customer',
        field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='base.customer'),
    ),
]
