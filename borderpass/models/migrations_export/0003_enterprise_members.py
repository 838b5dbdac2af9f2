"""R-E2: enterprise members invited or added by a member, a contact person, invitations."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('export', '0002_sealed_contact_phone')]

    initial = False

    operations = [
        ops.AddField(model_name='EnterpriseMember', name='is_contact',
                     field=fields.BooleanField(default=False)),
        ops.AddField(model_name='EnterpriseMember', name='added_by',
                     field=fields.ForeignKeyField(
                         'borderpass.User', source_field='added_by_id', null=True,
                         db_constraint=True, to_field='id',
                         related_name='export_members_added', on_delete=OnDelete.CASCADE)),
        ops.CreateModel(
            name='EnterpriseInvitation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True,
                                       db_index=True)),
                ('enterprise', fields.ForeignKeyField(
                    'export.Enterprise', source_field='enterprise_id', db_constraint=True,
                    to_field='id', related_name='invitations', on_delete=OnDelete.CASCADE)),
                ('code_key', fields.CharField(unique=True, max_length=64)),
                ('created_by', fields.ForeignKeyField(
                    'borderpass.User', source_field='created_by_id', db_constraint=True,
                    to_field='id', related_name='export_invitations',
                    on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('used_by', fields.ForeignKeyField(
                    'borderpass.User', source_field='used_by_id', null=True,
                    db_constraint=True, to_field='id', related_name='export_invitations_used',
                    on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'export_enterprise_invitations', 'app': 'export',
                     'pk_attr': 'id', 'table_description': 'A one-use invitation code a member hands a colleague to join the enterprise (R-E2).'},
            bases=['Model'],
        ),
    ]
