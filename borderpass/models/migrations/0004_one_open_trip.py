"""R-F7: at most one open trip per filing, kept by the database itself.

A partial unique index (PostgreSQL and SQLite alike) replaces the row lock a declaration
took to read "is a trip open?": a second exit now fails to insert its trip.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0003_filing_commitments')]

    initial = False

    operations = [
        ops.RunSQL(
            "CREATE UNIQUE INDEX trips_one_open ON trips (filing_id) WHERE status = 'open'",
            reverse_sql="DROP INDEX trips_one_open",
        ),
    ]
