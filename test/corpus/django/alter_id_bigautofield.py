# label: unsafe
# version: 150000
# rules: column-type-rewrite
# why: The DEFAULT_AUTO_FIELD upgrade: integer -> bigint rewrites customer and, through the FK, order, under ACCESS EXCLUSIVE (Django also drops and re-adds the FK, validating it).
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='customer',
        name='id',
        field=models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID'),
    ),
]
