# label: unsafe
# version: 150000
# rules: index-create-blocking, add-unique-old-writers, unique-on-duplicates
# why: A conditional UniqueConstraint is emitted as CREATE UNIQUE INDEX without CONCURRENTLY: a SHARE lock blocks writes to customer for the whole build.
from django.db import migrations, models

operations = [
    migrations.AddConstraint(
        model_name='customer',
        constraint=models.UniqueConstraint(condition=models.Q(('is_active', True)), fields=('phone',), name='base_customer_active_phone_uniq'),
    ),
]
