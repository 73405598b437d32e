# label: safe
# version: 150000
# rules:
# why: CHECK ... NOT VALID skips the scan: an instant ACCESS EXCLUSIVE; validation is left to a later migration (SHARE UPDATE EXCLUSIVE).
from django.db import migrations

operations = [
    migrations.RunSQL(
        sql='ALTER TABLE base_order ADD CONSTRAINT base_order_quantity_gt_0 CHECK (quantity > 0) NOT VALID',
        reverse_sql='ALTER TABLE base_order DROP CONSTRAINT base_order_quantity_gt_0',
    ),
]
