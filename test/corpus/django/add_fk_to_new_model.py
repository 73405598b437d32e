# label: unsafe
# version: 150000
# rules: index-create-blocking, index-build-in-locked-tx, fk-validating
# why: The coupon table is new, but the FK column and its index go on the existing order table: a non-concurrent index build (and FK validation scan) on order under ACCESS EXCLUSIVE.
from django.db import migrations, models
import django.db.models.deletion

operations = [
    migrations.CreateModel(
        name='Coupon',
        fields=[
            ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('code', models.CharField(max_length=20, unique=True)),
        ],
    ),
    migrations.AddField(
        model_name='order',
        name='coupon',
        field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, to='base.coupon'),
    ),
]
