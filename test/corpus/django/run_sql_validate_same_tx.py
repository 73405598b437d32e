# label: unsafe
# version: 150000
# rules: validate-in-same-tx
# why: NOT VALID then VALIDATE in one atomic migration: the validation scan runs while ADD CONSTRAINT's ACCESS EXCLUSIVE on order is still held, so NOT VALID gains nothing.
from django.db import migrations

operations = [
    migrations.RunSQL(
        sql='ALTER TABLE base_order ADD CONSTRAINT base_order_quantity_gt_0 CHECK (quantity > 0) NOT VALID',
        reverse_sql='ALTER TABLE base_order DROP CONSTRAINT base_order_quantity_gt_0',
    ),
    migrations.RunSQL(
        sql='ALTER TABLE base_order VALIDATE CONSTRAINT base_order_quantity_gt_0',
        reverse_sql=migrations.RunSQL.noop,
    ),
]
