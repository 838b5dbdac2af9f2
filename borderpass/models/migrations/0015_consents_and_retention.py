"""Personal data life (PIPL): separate consents to the privacy notice, and data exports."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0014_staff_active_and_claims')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PrivacyConsent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('borderpass.User', source_field='user_id', db_constraint=True, to_field='id', related_name='privacy_consents', on_delete=OnDelete.CASCADE)),
                ('version', fields.CharField(max_length=10)),
                ('locale', fields.CharField(max_length=8)),
                ('text_sha256', fields.CharField(max_length=64)),
                ('channel', fields.CharField(max_length=10)),
                ('given_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('withdrawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'privacy_consents', 'app': 'borderpass', 'pk_attr': 'id',
                     'table_description': 'One separate consent to one version of the privacy notice (PIPL art. 29), or its'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DataExport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('borderpass.User', source_field='user_id', db_constraint=True, to_field='id', related_name='data_exports', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(default='pending', max_length=10)),
                ('locale', fields.CharField(default='zh_CN', max_length=8)),
                ('sha256', fields.CharField(null=True, max_length=64)),
                ('size', fields.IntField(null=True)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ready_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'data_exports', 'app': 'borderpass', 'pk_attr': 'id',
                     'table_description': "A user's request for a copy of their data: built by the worker, fetched by them only,"},
            bases=['Model'],
        ),
    ]
