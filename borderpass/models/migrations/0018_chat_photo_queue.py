"""The chat bot's photo queue in the record: a Redis restart loses no queued photo."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('borderpass', '0017_ops')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ChatPhoto',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('openid', fields.CharField(max_length=64)),
                ('filing_id', fields.IntField()),
                ('slot', fields.CharField(default='', max_length=40)),
                ('media_id', fields.CharField(max_length=256)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'chat_photos', 'app': 'borderpass', 'indexes': [Index(fields=['openid', 'id']), Index(fields=['created_at'])], 'pk_attr': 'id', 'table_description': 'One photo sent in chat, waiting to be stored, read and put on its draft, in order.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChatPhotoRun',
            fields=[
                ('openid', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'chat_photo_runs', 'app': 'borderpass', 'pk_attr': 'openid', 'table_description': "The one worker reading a user's photos, until ``until`` (then another may take over)."},
            bases=['Model'],
        ),
    ]
