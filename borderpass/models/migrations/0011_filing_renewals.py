"""R-F3 renewals and one live filing per vehicle.

A filing may renew another (``renews_id``); its year runs from ``starts_at`` (the renewed
filing's expiry) and ``renewal_changes`` lists the fields that differ from the renewed one.
Two partial unique indexes, PostgreSQL and SQLite alike, keep what a check-then-write
cannot under concurrent submits: one renewal in progress per filing, and one live
(submitted or approved) filing per VIN and slot; a renewal takes the other slot than the
filing it renews, so the two may overlap and nothing else can.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0010_crossing_trips')]

    initial = False

    operations = [
        ops.AddField(model_name='Filing', name='renews',
                     field=fields.ForeignKeyField('borderpass.Filing', source_field='renews_id',
                                                  db_constraint=True, to_field='id',
                                                  related_name='renewals', null=True,
                                                  db_index=True, on_delete=OnDelete.CASCADE)),
        ops.AddField(model_name='Filing', name='starts_at',
                     field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
        ops.AddField(model_name='Filing', name='renewal_changes',
                     field=fields.JSONField(null=True)),
        # Nullable so it can be added to a table that has rows (Tortoise's default is the
        # application's, not the column's); every row gets 0, and the index reads NULL as 0.
        ops.AddField(model_name='Filing', name='vin_slot',
                     field=fields.IntField(default=0, null=True)),
        ops.RunSQL("UPDATE filings SET vin_slot = 0", reverse_sql="SELECT 1"),
        # Twins filed before this check are kept as they are (each beyond the first gets a
        # slot of its own), so the index can be built; new ones are refused.
        ops.RunSQL(
            "UPDATE filings SET vin_slot = -id WHERE vin IS NOT NULL"
            " AND status IN ('submitted', 'approved') AND id NOT IN (SELECT min(id)"
            " FROM filings WHERE vin IS NOT NULL AND status IN ('submitted', 'approved')"
            " GROUP BY vin)",
            reverse_sql="UPDATE filings SET vin_slot = 0",
        ),
        ops.RunSQL(
            "CREATE UNIQUE INDEX filings_one_renewal ON filings (renews_id)"
            " WHERE status IN ('draft', 'submitted', 'returned', 'approved')",
            reverse_sql="DROP INDEX filings_one_renewal",
        ),
        ops.RunSQL(
            "CREATE UNIQUE INDEX filings_one_live_vin ON filings (vin, coalesce(vin_slot, 0))"
            " WHERE status IN ('submitted', 'approved')",
            reverse_sql="DROP INDEX filings_one_live_vin",
        ),
    ]
