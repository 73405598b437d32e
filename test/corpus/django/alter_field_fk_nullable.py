# label: unsafe
# version: 150000
# rules: fk-validating
# why: Django 3.2 drops the FK, runs DROP NOT NULL, then re-adds the FK with a plain ADD CONSTRAINT FOREIGN KEY: SHARE ROW EXCLUSIVE on order and customer while every order row is validated.
from django.db import migrations, models
import django.db.models.deletion

operations = [
    migrations.AlterField(
        model_name='order',
        name='customer',
        field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, to='base.customer'),
    ),
]
