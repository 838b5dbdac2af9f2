"""R-U7: units' contact phones and entries' phones sealed and blind-indexed."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('units', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(model_name='Unit', name='sealed', field=fields.JSONField(default=dict)),
        ops.AddField(model_name='Unit', name='contact_phone_key',
                     field=fields.CharField(null=True, db_index=True, max_length=64)),
        ops.AddField(model_name='Membership', name='phone_key',
                     field=fields.CharField(null=True, db_index=True, max_length=64)),
    ]
