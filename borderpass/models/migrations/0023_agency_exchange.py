"""Exchange with other agencies (issue #21 B): subscribers, the ordered event log, the
crossings tailer's cursor, dead letters, inbound events; the blacklist's agency source."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


def _fk(model: str, related: str, null: bool = False) -> fields.ForeignKeyField:  # type: ignore[type-arg]
    column = "agency_id" if model == "borderpass.Agency" else "reviewed_by_id"
    return fields.ForeignKeyField(model, source_field=column, db_constraint=True, to_field='id',
                                  related_name=related, null=null,
                                  on_delete=OnDelete.SET_NULL if null else OnDelete.CASCADE)


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0022_credit')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Agency',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=40)),
                ('name', fields.CharField(max_length=100)),
                ('kind', fields.CharField(max_length=20)),
                ('url', fields.CharField(max_length=500)),
                ('secret_sealed', fields.TextField()),
                ('event_types', fields.JSONField(default=list)),
                ('batch_size', fields.IntField(default=1)),
                ('active', fields.BooleanField(default=True)),
                ('cursor', fields.BigIntField(default=0)),
                ('attempts', fields.IntField(default=0)),
                ('failing_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(default='', max_length=300)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'exchange_agencies', 'app': 'borderpass', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExchangeEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('type', fields.CharField(max_length=60)),
                ('category', fields.CharField(max_length=20)),
                ('subject', fields.CharField(max_length=80)),
                ('data', fields.JSONField(default=dict)),
                ('source_key', fields.CharField(null=True, unique=True, max_length=80)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'exchange_events', 'app': 'borderpass', 'pk_attr': 'id',
                     'indexes': [Index(fields=['category', 'id'])]},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExchangeTail',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('cursor', fields.BigIntField(default=0)),
                ('gap_seen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('gap_sessions', fields.JSONField(null=True)),
            ],
            options={'table': 'exchange_tails', 'app': 'borderpass', 'pk_attr': 'name'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeadLetter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('agency', _fk('borderpass.Agency', 'dead_letters')),
                ('event_id', fields.BigIntField()),
                ('error', fields.CharField(default='', max_length=300)),
                ('attempts', fields.IntField(default=0)),
                ('first_failed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('died_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('replayed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'exchange_dead_letters', 'app': 'borderpass', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InboundEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('agency', _fk('borderpass.Agency', 'inbound')),
                ('event_id', fields.CharField(max_length=100)),
                ('type', fields.CharField(max_length=60)),
                ('subject', fields.CharField(default='', max_length=80)),
                ('data', fields.JSONField(default=dict)),
                ('crossing_id', fields.BigIntField(null=True)),
                ('declaration_id', fields.IntField(null=True)),
                ('filing_id', fields.IntField(null=True)),
                ('status', fields.CharField(max_length=20)),
                ('reviewed_by', _fk('borderpass.User', 'reviewed_agency_events', null=True)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('review_note', fields.CharField(default='', max_length=500)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'exchange_inbound', 'app': 'borderpass', 'pk_attr': 'id',
                     'unique_together': (('agency', 'event_id'),)},
            bases=['Model'],
        ),
        ops.AddField(model_name='BlacklistEntry', name='source_agency_id',
                     field=fields.IntField(null=True)),
        ops.RunSQL(
            "CREATE INDEX exchange_inbound_crossing ON exchange_inbound (crossing_id)"
            " WHERE crossing_id IS NOT NULL",
            reverse_sql="DROP INDEX exchange_inbound_crossing",
        ),
        ops.RunSQL(
            "CREATE INDEX exchange_inbound_declaration ON exchange_inbound (declaration_id)"
            " WHERE declaration_id IS NOT NULL",
            reverse_sql="DROP INDEX exchange_inbound_declaration",
        ),
    ]
