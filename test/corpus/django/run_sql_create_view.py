# label: safe
# version: 150000
# rules:
# why: A new view over order takes only ACCESS SHARE on it; the old code never reads the view.
from django.db import migrations

operations = [
    migrations.RunSQL(
        sql="""
        CREATE VIEW base_order_daily AS
            SELECT date_trunc('day', created_at) AS day, count(*) AS orders, sum(total) AS revenue
            FROM base_order
            GROUP BY 1;
        """,
        reverse_sql='DROP VIEW base_order_daily',
    ),
]
