"""Review claims: who holds which submitted filing, until when (one row per filing).

Staff deactivation needs no column: ``users.is_active`` exists since 0001.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0012_ports_and_letter_scope')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReviewClaim',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('filing_id', fields.IntField(unique=True)),
                ('user_id', fields.IntField()),
                ('holder', fields.CharField(max_length=100)),
                ('claimed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False, db_index=True)),
            ],
            options={'table': 'review_claims', 'app': 'borderpass', 'pk_attr': 'id',
                     'table_description': 'Which reviewer holds which filing, until when.'},
            bases=['Model'],
        ),
    ]
