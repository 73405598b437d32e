# label: unsafe
# version: 150000
# rules: index-drop-blocking
# why: Removing db_index drops the index and its _like twin with plain DROP INDEX: ACCESS EXCLUSIVE on customer where DROP INDEX CONCURRENTLY needs none.
from django.db import migrations, models

operations = [
    migrations.AlterField(
        model_name='customer',
        name='name',
        field=models.CharField(max_length=100),
    ),
]
