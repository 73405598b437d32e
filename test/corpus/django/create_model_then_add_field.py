# label: safe
# version: 150000
# rules:
# why: A NOT NULL field with a default added to a table created earlier in the same migration: the table is empty and the old code never inserts into it.
from django.db import migrations, models

operations = [
    migrations.CreateModel(
        name='GiftCard',
        fields=[
            ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('balance', models.DecimalField(decimal_places=2, max_digits=10)),
        ],
    ),
    migrations.AddField(
        model_name='giftcard',
        name='code',
        field=models.CharField(db_index=True, default='', max_length=16),
        preserve_default=False,
    ),
]
