"""Indexes for the lane's state read: the renewal and the correction of a filing are found
by ``renews_id`` / ``corrects_id`` on every scan (R-F3, R-D6); without them each scan read
the whole filings table."""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0020_filing_corrections')]

    initial = False

    operations = [
        ops.RunSQL(
            "CREATE INDEX filings_renews ON filings (renews_id) WHERE renews_id IS NOT NULL",
            reverse_sql="DROP INDEX filings_renews",
        ),
        ops.RunSQL(
            "CREATE INDEX filings_corrects ON filings (corrects_id)"
            " WHERE corrects_id IS NOT NULL",
            reverse_sql="DROP INDEX filings_corrects",
        ),
    ]
