# label: safe
# version: 150000
# rules:
# why: varchar(100) -> varchar(150) is binary coercible: PostgreSQL keeps the table and both indexes (plain and _like, checked by relfilenode on PG15); only an instant ACCESS EXCLUSIVE.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='customer',
        name='name',
        field=models.CharField(db_index=True, max_length=150),
    ),
]
