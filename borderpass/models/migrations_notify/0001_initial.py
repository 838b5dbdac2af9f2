from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from borderpass.models.notify import NotificationStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('borderpass', '0002_auto_20261126_2115')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('dedupe_key', fields.CharField(unique=True, max_length=160)),
                ('user', fields.ForeignKeyField('borderpass.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('locale', fields.CharField(max_length=8)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=NotificationStatus.PENDING, description='PENDING: pending\nSENDING: sending\nSENT: sent\nFAILED: failed\nWAITING: waiting\nSKIPPED: skipped', enum_type=NotificationStatus, max_length=8)),
                ('next_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claim_token', fields.CharField(null=True, max_length=32)),
                ('attempts', fields.SmallIntField(default=0)),
                ('pinned_channel', fields.CharField(null=True, max_length=12)),
                ('pinned_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('in_flight', fields.CharField(null=True, max_length=12)),
                ('in_flight_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('channel', fields.CharField(null=True, max_length=12)),
                ('msgid', fields.CharField(null=True, max_length=40)),
                ('maybe_delivered', fields.BooleanField(default=False)),
                ('last_error', fields.CharField(default='', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notifications', 'app': 'notify', 'indexes': [Index(fields=['status', 'next_at'])], 'pk_attr': 'id', 'table_description': 'Notification — 通知: one intended push in the outbox, unique per event (dedupe_key).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeliveryAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notification', fields.ForeignKeyField('notify.Notification', source_field='notification_id', db_constraint=True, to_field='id', related_name='delivery_attempts', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharField(max_length=12)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharField(max_length=24)),
                ('errcode', fields.IntField(null=True)),
                ('detail', fields.CharField(default='', max_length=300)),
            ],
            options={'table': 'notification_attempts', 'app': 'notify', 'pk_attr': 'id', 'table_description': 'One try to push a notification through one channel, and what WeChat answered.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Recipient',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('borderpass.User', source_field='user_id', db_constraint=True, to_field='id', related_name='recipient', on_delete=OnDelete.CASCADE)),
                ('oa_openid', fields.CharField(null=True, unique=True, max_length=64)),
                ('last_contact_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notify_recipients', 'app': 'notify', 'pk_attr': 'id', 'table_description': "A user's Official Account identity and their last message (the 48-hour window)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SubscribeGrant',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('borderpass.User', source_field='user_id', db_constraint=True, to_field='id', related_name='subscribe_grants', on_delete=OnDelete.CASCADE)),
                ('template_id', fields.CharField(max_length=64)),
                ('remaining', fields.IntField(default=0)),
                ('long_term', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'subscribe_grants', 'app': 'notify', 'unique_together': (('user', 'template_id'),), 'pk_attr': 'id', 'table_description': "A user's grants for one mini-program subscribe template (one-time ones are counted)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SweepMark',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('swept_until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notify_sweep_marks', 'app': 'notify', 'pk_attr': 'name', 'table_description': 'How far in time a reminder sweep has looked, so a restart catches up exactly.'},
            bases=['Model'],
        ),
    ]
