# label: safe
# version: 150000
# rules:
# why: A new table with FKs to product and customer: the parents get SHARE ROW EXCLUSIVE only for the instant of an empty-table validation and index build at commit.
from django.db import migrations, models
import django.db.models.deletion

operations = [
    migrations.CreateModel(
        name='Review',
        fields=[
            ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('rating', models.PositiveSmallIntegerField()),
            ('body', models.TextField(blank=True)),
            ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='base.customer')),
            ('product', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='base.product')),
        ],
    ),
]
