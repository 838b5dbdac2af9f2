from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('borderpass', '0002_auto_20261126_2115')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FilingCommitment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('filing', fields.ForeignKeyField('borderpass.Filing', source_field='filing_id', db_constraint=True, to_field='id', related_name='commitments', on_delete=OnDelete.CASCADE)),
                ('signed_by', fields.ForeignKeyField('borderpass.User', source_field='signed_by_id', db_constraint=True, to_field='id', related_name='filing_commitments', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=10)),
                ('version', fields.CharField(max_length=10)),
                ('locale', fields.CharField(max_length=8)),
                ('text_sha256', fields.CharField(max_length=64)),
                ('channel', fields.CharField(max_length=10)),
                ('signed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'filing_commitments', 'app': 'borderpass', 'pk_attr': 'id', 'table_description': "A filing's credit commitment (信用承诺): which text, language, time and channel."},
            bases=['Model'],
        ),
    ]
