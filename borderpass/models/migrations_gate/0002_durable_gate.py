"""The gate's record in the database: crossings (a pass's one use), lane events claimed once,
and the lanes' command outbox (issue 17: PostgreSQL is the record, Redis a cache and a bus).

Upgrade: stop the bridges and let ``borderpass worker`` of the previous version drain the
Redis ledger queue (``gate:ledger``) first; this version writes the ledger directly.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('gate', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Crossing',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True,
                                          db_index=True)),
                ('declaration_id', fields.IntField(null=True)),
                ('direction', fields.CharField(max_length=5)),
                ('kind', fields.CharField(max_length=12)),
                ('lane_code', fields.CharField(max_length=40)),
                ('port', fields.CharField(max_length=40)),
                ('plate', fields.CharField(default='', max_length=16)),
                ('filing_id', fields.IntField(null=True)),
                ('event_id', fields.CharField(max_length=80)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'gate_crossings', 'app': 'gate', 'pk_attr': 'id',
                     'table_description': 'Crossing: a lane let one vehicle through.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LaneEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True,
                                          db_index=True)),
                ('lane_code', fields.CharField(max_length=40)),
                ('event_id', fields.CharField(max_length=64)),
                ('kind', fields.CharField(max_length=20)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('answer', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'gate_lane_events', 'app': 'gate', 'pk_attr': 'id',
                     'table_description': 'One lane event, claimed once, with its answer.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LaneCommand',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True,
                                          db_index=True)),
                ('lane_code', fields.CharField(max_length=40)),
                ('command_id', fields.CharField(max_length=80)),
                ('frame', fields.TextField(unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('acked_at', fields.DatetimeField(null=True, auto_now=False,
                                                  auto_now_add=False)),
            ],
            options={'table': 'gate_commands', 'app': 'gate', 'pk_attr': 'id',
                     'table_description': "The lane's command outbox."},
            bases=['Model'],
        ),
        # R-G2: a pass is used once per direction; the conflict is known by this name.
        ops.RunSQL("CREATE UNIQUE INDEX gate_crossings_one_use"
                   " ON gate_crossings (declaration_id, direction)",
                   reverse_sql="DROP INDEX gate_crossings_one_use"),
        ops.RunSQL("CREATE UNIQUE INDEX gate_lane_events_once"
                   " ON gate_lane_events (lane_code, event_id)",
                   reverse_sql="DROP INDEX gate_lane_events_once"),
        ops.RunSQL("CREATE UNIQUE INDEX gate_commands_once"
                   " ON gate_commands (lane_code, command_id)",
                   reverse_sql="DROP INDEX gate_commands_once"),
        ops.RunSQL("CREATE INDEX gate_commands_pending ON gate_commands (lane_code, id)"
                   " WHERE acked_at IS NULL",
                   reverse_sql="DROP INDEX gate_commands_pending"),
    ]
