"""The second-line lane reads the credit pass list by plate on every scan: index it."""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('units', '0003_dishonesty_and_self_join')]

    initial = False

    operations = [
        ops.AddIndex(model_name='Membership', index=Index(fields=['plate_number', 'status'])),
    ]
