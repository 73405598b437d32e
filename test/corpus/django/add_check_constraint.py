# label: unsafe
# version: 150000
# rules: check-constraint-validating
# why: ADD CONSTRAINT CHECK without NOT VALID scans every row of order under ACCESS EXCLUSIVE.
from django.db import migrations, models

operations = [
    migrations.AddConstraint(
        model_name='order',
        constraint=models.CheckConstraint(check=models.Q(('quantity__gt', 0)), name='base_order_quantity_gt_0'),
    ),
]
