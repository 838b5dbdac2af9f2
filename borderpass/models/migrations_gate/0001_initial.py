from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from borderpass.models.gate import LaneType, LiftStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('borderpass', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Lane',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=40)),
                ('port', fields.CharField(max_length=40)),
                ('lane_type', fields.CharEnumField(description='BONDED_GOODS: bonded_goods\nECOMMERCE_9610: ecommerce_9610\nNON_BONDED_GOODS: non_bonded_goods\nADMINISTRATIVE: administrative\nPEOPLE: people', enum_type=LaneType, max_length=20)),
                ('direction', fields.CharField(max_length=5)),
                ('accepts', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('languages', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('credential_hash', fields.CharField(max_length=64)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'gate_lanes', 'app': 'gate', 'pk_attr': 'id', 'table_description': 'Lane — 通道: one barrier with its controller, type (R-G1), direction and credential.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FaultTicket',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lane', fields.ForeignKeyField('gate.Lane', source_field='lane_id', db_constraint=True, to_field='id', related_name='faults', on_delete=OnDelete.CASCADE)),
                ('event_id', fields.CharField(default='', max_length=64)),
                ('reported_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('symptom', fields.CharField(max_length=500)),
                ('cause', fields.CharField(default='', max_length=500)),
                ('fix', fields.CharField(default='', max_length=500)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_by', fields.ForeignKeyField('borderpass.User', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name='resolved_faults', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'gate_faults', 'app': 'gate', 'pk_attr': 'id', 'table_description': 'A fault report (故障登记): lane, time, cause found and fix (R-G7).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('lane_code', fields.CharField(default='', db_index=True, max_length=40)),
                ('kind', fields.CharField(max_length=20)),
                ('event_id', fields.CharField(default='', max_length=64)),
                ('declaration_id', fields.IntField(null=True)),
                ('plate', fields.CharField(default='', max_length=16)),
                ('outcome', fields.CharField(default='', max_length=20)),
                ('reason', fields.CharField(default='', max_length=40)),
                ('actor', fields.CharField(default='', max_length=64)),
                ('flagged', fields.BooleanField(default=False)),
                ('detail', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'gate_ledger', 'app': 'gate', 'indexes': [Index(fields=['lane_code', 'at'])], 'pk_attr': 'id', 'table_description': 'LedgerEntry — 值班台账: every scan, decision, command, ack, lift, fault, handover (R-G6).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ManualLift',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lane', fields.ForeignKeyField('gate.Lane', source_field='lane_id', db_constraint=True, to_field='id', related_name='manual_lifts', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=LiftStatus.REQUESTED, description='REQUESTED: requested\nAPPROVED: approved\nREFUSED: refused\nEXECUTED: executed', enum_type=LiftStatus, max_length=10)),
                ('event_id', fields.CharField(default='', max_length=64)),
                ('requested_by', fields.CharField(max_length=64)),
                ('reason', fields.CharField(max_length=500)),
                ('plate', fields.CharField(default='', max_length=16)),
                ('approver', fields.ForeignKeyField('borderpass.User', source_field='approver_id', null=True, db_constraint=True, to_field='id', related_name='approved_lifts', on_delete=OnDelete.CASCADE)),
                ('decision_note', fields.CharField(default='', max_length=500)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('executed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'gate_manual_lifts', 'app': 'gate', 'pk_attr': 'id', 'table_description': 'A manual lift (人工抬杆) request, opened only after customs approval (R-G4).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Pass',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('declaration', fields.OneToOneField('borderpass.Declaration', source_field='declaration_id', db_constraint=True, to_field='id', related_name='gate_pass', on_delete=OnDelete.CASCADE)),
                ('kid', fields.CharField(max_length=8)),
                ('credential', fields.CharField(max_length=400)),
                ('secret_sealed', fields.TextField(unique=False)),
                ('valid_from', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('valid_until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('secret_delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_reason', fields.CharField(default='', max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'gate_passes', 'app': 'gate', 'pk_attr': 'id', 'table_description': 'Pass — 通行码: the signed QR credential of one approved declaration (R-F7).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SigningKey',
            fields=[
                ('kid', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=8)),
                ('public_key', fields.CharField(max_length=64)),
                ('private_sealed', fields.TextField(unique=False)),
                ('active', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'gate_signing_keys', 'app': 'gate', 'pk_attr': 'kid', 'table_description': 'An Ed25519 pass-signing key, its private half sealed with the data key.'},
            bases=['Model'],
        ),
    ]
