"""Credit (R-P2): events, derived classes, the trips feed cursor, fast-lane decisions."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('borderpass', '0021_filing_successor_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CreditCursor',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('position', fields.BigIntField(default=0)),
                ('pending', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'credit_cursors', 'app': 'borderpass', 'pk_attr': 'name', 'table_description': 'How far a background feed has read (the trips feed: last trip id seen, and the ids'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CreditEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('party_key', fields.CharField(max_length=64)),
                ('party_kind', fields.CharField(max_length=12)),
                ('kind', fields.CharField(max_length=32)),
                ('source', fields.CharField(max_length=40)),
                ('ref', fields.CharField(max_length=100)),
                ('lifts', fields.CharField(null=True, max_length=100)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('detail', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'credit_events', 'app': 'borderpass', 'unique_together': (('source', 'ref'),), 'indexes': [Index(fields=['party_key', 'occurred_at'])], 'pk_attr': 'id', 'table_description': 'One fact about a party (a person by the blind index of their identity number, an'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CreditRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('party_key', fields.CharField(unique=True, max_length=64)),
                ('party_kind', fields.CharField(max_length=12)),
                ('label', fields.CharField(default='', max_length=100)),
                ('credit_class', fields.CharField(default='normal', max_length=12)),
                ('rule', fields.CharField(default='', max_length=12)),
                ('rule_version', fields.IntField(default=0)),
                ('cause_event_id', fields.BigIntField(null=True)),
                ('reasons', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('recheck_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'credit_records', 'app': 'borderpass', 'pk_attr': 'id', 'table_description': "A party's class as the rules (version ``rule_version``) last derived it, the rule"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FastLaneDecision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('filing_id', fields.IntField(unique=True)),
                ('party_key', fields.CharField(max_length=64)),
                ('outcome', fields.CharField(max_length=10)),
                ('rule', fields.CharField(max_length=12)),
                ('rule_version', fields.IntField()),
                ('evidence', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'credit_fast_lane', 'app': 'borderpass', 'pk_attr': 'id', 'table_description': 'What the fast lane (R-P2.6) did with one submitted renewal: approved by rule, or'},
            bases=['Model'],
        ),
    ]
