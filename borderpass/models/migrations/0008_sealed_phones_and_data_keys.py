"""R-U7: phones sealed and blind-indexed like identity numbers; the data keys' check values.

Schema only: existing clear phones stay readable from their old columns until
``borderpass keys reseal`` moves each one into ``sealed`` (see docs/keys-and-sealing.md).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0007_audit_chain')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DataKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True,
                                       db_index=True)),
                ('kid', fields.CharField(unique=True, max_length=16)),
                ('check_value', fields.CharField(max_length=64)),
                ('index_sealed', fields.TextField(unique=False)),
                ('state', fields.CharField(default='current', max_length=10)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False,
                                                    auto_now_add=False)),
            ],
            options={'table': 'data_keys', 'app': 'borderpass', 'pk_attr': 'id',
                     'table_description': 'One data key by its id and check value (never the '
                                          'key): current, retiring or retired.'},
            bases=['Model'],
        ),
        ops.AddField(model_name='FilingDriver', name='phone_key',
                     field=fields.CharField(null=True, db_index=True, max_length=64)),
        ops.AddField(model_name='User', name='sealed', field=fields.JSONField(default=dict)),
        ops.AddField(model_name='User', name='phone_key',
                     field=fields.CharField(null=True, db_index=True, max_length=64)),
    ]
