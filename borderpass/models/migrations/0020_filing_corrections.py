"""R-D6 corrections of a filing in force (PIPL art. 46).

A filing may correct another (``corrects_id``); approved, it supersedes it (status
``superseded``, which fits the 10-character status column). One partial unique index keeps
what a check-then-write cannot under concurrent twins: one successor in progress per
filing, a renewal or a correction, never both (``filings_one_successor``).
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0019_second_line')]

    initial = False

    operations = [
        ops.AddField(model_name='Filing', name='corrects',
                     field=fields.ForeignKeyField('borderpass.Filing', source_field='corrects_id',
                                                  db_constraint=True, to_field='id',
                                                  related_name='corrections', null=True,
                                                  db_index=True, on_delete=OnDelete.CASCADE)),
        ops.RunSQL(
            "CREATE UNIQUE INDEX filings_one_successor ON filings"
            " (coalesce(renews_id, corrects_id))"
            " WHERE status IN ('draft', 'submitted', 'returned', 'approved')"
            " AND coalesce(renews_id, corrects_id) IS NOT NULL",
            reverse_sql="DROP INDEX filings_one_successor",
        ),
    ]
