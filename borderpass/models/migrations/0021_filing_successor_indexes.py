"""Indexes for the lane's state read: the renewal and the correction of a filing are found
by ``renews_id`` / ``corrects_id`` on every scan (R-F3, R-D6); without them each scan read
the whole filings table.

Built ``CONCURRENTLY`` on PostgreSQL (writes go on while a big filings table is indexed;
outside a transaction, ``IF NOT EXISTS`` so an interrupted run can be run again), plainly
on SQLite — as migration 0017 does (docs/deployment.md, "Migrations on a big database").
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEXES = (
    ("filings_renews", "filings (renews_id) WHERE renews_id IS NOT NULL"),
    ("filings_corrects", "filings (corrects_id) WHERE corrects_id IS NOT NULL"),
)


def _concurrently(client) -> str:
    return "CONCURRENTLY " if client.capabilities.dialect == "postgres" else ""


async def _create(apps, schema_editor) -> None:
    client = schema_editor.client
    for name, target in INDEXES:
        await client.execute_script(
            f"CREATE INDEX {_concurrently(client)}IF NOT EXISTS {name} ON {target}")


async def _drop(apps, schema_editor) -> None:
    client = schema_editor.client
    for name, _ in INDEXES:
        await client.execute_script(f"DROP INDEX {_concurrently(client)}IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0020_filing_corrections')]

    initial = False
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    operations = [
        ops.RunPython(_create, _drop, atomic=False),
    ]
