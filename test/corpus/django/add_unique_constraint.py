# label: unsafe
# version: 150000
# rules: unique-constraint-blocking, add-unique-old-writers, unique-on-duplicates
# why: AddConstraint(UniqueConstraint) is ALTER TABLE ADD CONSTRAINT UNIQUE: index build under ACCESS EXCLUSIVE on product.
from django.db import migrations, models

operations = [
    migrations.AddConstraint(
        model_name='product',
        constraint=models.UniqueConstraint(fields=('sku',), name='base_product_sku_uniq'),
    ),
]
