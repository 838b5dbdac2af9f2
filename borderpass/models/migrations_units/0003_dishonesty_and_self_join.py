"""R-U6: dishonesty records written by platform removal, read by every join and verification."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from borderpass.models.units import DishonestySubject


class Migration(migrations.Migration):
    dependencies = [('units', '0002_sealed_phones')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DishonestyRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True,
                                       db_index=True)),
                ('subject_kind', fields.CharEnumField(
                    description='PERSON: person\nVEHICLE: vehicle', enum_type=DishonestySubject,
                    max_length=8)),
                ('subject_key', fields.CharField(db_index=True, max_length=64)),
                ('subject_label', fields.CharField(max_length=100)),
                ('reason', fields.CharField(max_length=500)),
                ('recorded_by', fields.ForeignKeyField(
                    'borderpass.User', source_field='recorded_by_id', db_constraint=True,
                    to_field='id', related_name='dishonesty_records',
                    on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('removed_count', fields.IntField(default=0)),
                ('lifted_at', fields.DatetimeField(null=True, auto_now=False,
                                                   auto_now_add=False)),
                ('lifted_by', fields.ForeignKeyField(
                    'borderpass.User', source_field='lifted_by_id', null=True,
                    db_constraint=True, to_field='id', related_name='lifted_dishonesty_records',
                    on_delete=OnDelete.CASCADE)),
                ('lift_reason', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'unit_dishonesty_records', 'app': 'units',
                     'indexes': [Index(fields=['subject_key', 'lifted_at'])], 'pk_attr': 'id',
                     'table_description': 'A platform removal for serious dishonesty (R-U6): who, why, by whom, when, until.'},
            bases=['Model'],
        ),
    ]
