# label: safe
# version: 150000
# rules:
# why: A new table with its own unique index: nothing existing is locked and the old code never reads it.
from django.db import migrations, models

operations = [
    migrations.CreateModel(
        name='Coupon',
        fields=[
            ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('code', models.CharField(max_length=20, unique=True)),
            ('percent_off', models.PositiveSmallIntegerField()),
        ],
    ),
]
