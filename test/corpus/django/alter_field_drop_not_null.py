# label: safe
# version: 150000
# rules: drop-not-null (warning)
# why: DROP NOT NULL is metadata only and the old code keeps writing names; only an advisory (new code may write NULL the old code does not expect).
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='order',
        name='status',
        field=models.CharField(max_length=20, null=True),
    ),
]
