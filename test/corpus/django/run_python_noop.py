# label: safe
# version: 150000
# rules:
# why: RunPython.noop in both directions does nothing at all (a placeholder left by a squash).
from django.db import migrations

operations = [
    migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),
]
