# label: safe
# version: 150000
# rules:
# why: Indexes and constraints on a table created in the same migration: it is empty and unseen by the old code, so the blocking builds and validations are instant.
from django.db import migrations, models

operations = [
    migrations.CreateModel(
        name='Shipment',
        fields=[
            ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('tracking', models.CharField(max_length=40)),
            ('weight_grams', models.IntegerField()),
            ('shipped_at', models.DateTimeField(null=True)),
        ],
    ),
    migrations.AddIndex(
        model_name='shipment',
        index=models.Index(fields=['shipped_at'], name='base_shipment_shipped_idx'),
    ),
    migrations.AddConstraint(
        model_name='shipment',
        constraint=models.CheckConstraint(check=models.Q(('weight_grams__gt', 0)), name='base_shipment_weight_gt_0'),
    ),
    migrations.AddConstraint(
        model_name='shipment',
        constraint=models.UniqueConstraint(fields=('tracking',), name='base_shipment_tracking_uniq'),
    ),
]
