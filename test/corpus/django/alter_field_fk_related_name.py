# label: safe
# version: 150000
# rules:
# why: related_name is Python-side only.
from django.db import migrations, models
import django.db.models.deletion

operations = [
    migrations.AlterField(
        model_name='order',
        name='customer',
        field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='orders', to='base.customer'),
    ),
]
