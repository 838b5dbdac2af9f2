"""Idempotent answers in the database, written in the transaction of the write they answer.

One row per user and ``Idempotency-Key`` (unique: the claim of a concurrent twin waits on
it), indexed by creation time for the 24-hour retention sweep.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0008_sealed_phones_and_data_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IdempotencyRecord',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.IntField()),
                ('key_digest', fields.CharField(max_length=64)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('status', fields.SmallIntField(null=True)),
                ('body', fields.TextField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False, db_index=True)),
            ],
            options={'table': 'idempotency_records', 'app': 'borderpass',
                     'unique_together': (('user_id', 'key_digest'),), 'pk_attr': 'id',
                     'table_description': "One user's Idempotency-Key and the first answer it got."},
            bases=['Model'],
        ),
    ]
