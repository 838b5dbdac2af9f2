"""R-P1: a unit names the organisation profile its registration was filled from."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('units', '0004_second_line_checks'),
                    ('borderpass', '0024_organisation_profiles')]

    initial = False

    operations = [
        ops.AddField(model_name='Unit', name='profile',
                     field=fields.ForeignKeyField(
                         'borderpass.OrganisationProfile', source_field='profile_id', null=True,
                         db_constraint=True, to_field='id', related_name='units',
                         on_delete=OnDelete.SET_NULL)),
    ]
