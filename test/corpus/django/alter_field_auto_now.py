# label: safe
# version: 150000
# rules:
# why: auto_now_add -> auto_now is Python-side behaviour only: no SQL.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='auditlog',
        name='created_at',
        field=models.DateTimeField(auto_now=True),
    ),
]
