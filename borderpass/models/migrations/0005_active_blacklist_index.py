"""R-F9: the blacklist's unlifted entries, indexed by subject.

Every declaration and every lane scan asks "is this owner or driver listed and not
lifted?". A partial index holds only unlifted entries, so that probe reads a few index
pages however long the list's history grows (PostgreSQL and SQLite alike).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0004_one_open_trip')]

    initial = False

    operations = [
        ops.RunSQL(
            "CREATE INDEX blacklist_active_subject ON blacklist (subject_key)"
            " WHERE lifted_at IS NULL",
            reverse_sql="DROP INDEX blacklist_active_subject",
        ),
    ]
