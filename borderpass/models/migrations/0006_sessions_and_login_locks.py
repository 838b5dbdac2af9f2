"""Sessions in PostgreSQL (Redis is only their cache) and durable login locks (R-U7, MLPS).

A Redis restart without data keeps every session and every lock: the session table holds
the SHA-256 of each bearer token, never the token.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('borderpass', '0005_active_blacklist_index')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoginLock',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('failures', fields.IntField()),
                ('locked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_locks', 'app': 'borderpass', 'pk_attr': 'id', 'table_description': 'A staff login name locked after too many failed passwords (MLPS level 3).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('user', fields.ForeignKeyField('borderpass.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'user_sessions', 'app': 'borderpass', 'pk_attr': 'id', 'table_description': 'A login session: only the SHA-256 of its bearer token is stored.'},
            bases=['Model'],
        ),
    ]
