# label: unsafe
# version: 150000
# rules: not-null-with-default-update, set-not-null-scan
# why: Django's 4-way alteration runs UPDATE product SET weight_grams = 0 WHERE NULL and SET NOT NULL inside the migration transaction while holding ACCESS EXCLUSIVE; the default is dropped again, so old inserts without the column fail.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='product',
        name='weight_grams',
        field=models.IntegerField(default=0),
    ),
]
