"""R-U7: an export filing's contact phone sealed and blind-indexed, out of its payload."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('export', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(model_name='EnterpriseFiling', name='sealed',
                     field=fields.JSONField(default=dict)),
        ops.AddField(model_name='EnterpriseFiling', name='contact_phone_key',
                     field=fields.CharField(null=True, db_index=True, max_length=64)),
    ]
