"""R-P1 organisation profiles: one per USCC and claimant, at most one verified per USCC
(a partial unique index, so two approvals at once cannot both verify a claim), and their
change history."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from borderpass.models.profiles import ProfileStatus


def _fk(model: str, column: str, related: str, null: bool = False,
        on_delete: OnDelete = OnDelete.CASCADE) -> fields.ForeignKeyField:
    return fields.ForeignKeyField(model, source_field=column, db_constraint=True, to_field='id',
                                  related_name=related, null=null, on_delete=on_delete)


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0023_agency_exchange')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OrganisationProfile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True,
                                       db_index=True)),
                ('uscc', fields.CharField(max_length=18, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('legal_representative', fields.CharField(max_length=50)),
                ('address', fields.CharField(max_length=200)),
                ('contact_name', fields.CharField(max_length=50)),
                ('sealed', fields.JSONField(default=dict)),
                ('contact_phone_key', fields.CharField(null=True, max_length=64)),
                ('licence_document', _fk('borderpass.Document', 'licence_document_id',
                                         'organisation_profiles', True, OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(
                    default=ProfileStatus.CLAIMED, enum_type=ProfileStatus, max_length=10,
                    description='CLAIMED: claimed\nVERIFIED: verified\nSUPERSEDED: superseded')),
                ('claimant', _fk('borderpass.User', 'claimant_id', 'claimed_profiles')),
                ('verified_by', _fk('borderpass.User', 'verified_by_id', 'verified_profiles',
                                    True)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False,
                                                     auto_now_add=False)),
                ('verified_how', fields.CharField(default='', max_length=30)),
                ('version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'organisation_profiles', 'app': 'borderpass', 'pk_attr': 'id',
                     'unique_together': (('uscc', 'claimant'),),
                     'table_description': "An enterprise's or unit's own particulars, entered"
                                          " once and reused (R-P1)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProfileChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True,
                                       db_index=True)),
                ('profile', _fk('borderpass.OrganisationProfile', 'profile_id', 'changes')),
                ('actor', _fk('borderpass.User', 'actor_id', 'profile_changes', True)),
                ('field', fields.CharField(max_length=30)),
                ('old', fields.CharField(default='', max_length=200)),
                ('new', fields.CharField(default='', max_length=200)),
                ('version', fields.IntField()),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'organisation_profile_changes', 'app': 'borderpass',
                     'pk_attr': 'id', 'indexes': [Index(fields=['profile_id', 'id'])],
                     'table_description': "One line of a profile's history."},
            bases=['Model'],
        ),
        ops.RunSQL(
            "CREATE UNIQUE INDEX organisation_profiles_one_verified ON organisation_profiles"
            " (uscc) WHERE status = 'verified'",
            reverse_sql="DROP INDEX organisation_profiles_one_verified",
        ),
    ]
