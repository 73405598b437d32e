# label: safe
# version: 150000
# rules:
# why: COMMENT ON takes SHARE UPDATE EXCLUSIVE for an instant (reads and writes continue) and changes nothing the old code sees.
from django.db import migrations

operations = [
    migrations.RunSQL(
        sql="COMMENT ON TABLE base_order IS 'One order of one product by one customer'",
        reverse_sql='COMMENT ON TABLE base_order IS NULL',
    ),
]
