# label: unsafe
# version: 150000
# rules: type-change-revalidates-check
# why: numeric(10,2) -> numeric(12,2) needs no rewrite, but PostgreSQL re-checks the CHECK (price >= 0) on every row under ACCESS EXCLUSIVE (verified on PG15 with a NOTICE-raising check).
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='product',
        name='price',
        field=models.DecimalField(decimal_places=2, max_digits=12),
    ),
]
