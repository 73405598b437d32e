# label: safe
# version: 150000
# rules:
# why: A Python-side default on an existing NOT NULL column is not put in the database by Django 3.2: no SQL.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='order',
        name='status',
        field=models.CharField(default='new', max_length=20),
    ),
]
