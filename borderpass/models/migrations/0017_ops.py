"""Indexes the 100× database showed missing (issue 22, docs/benchmarks.md), built without
locking the tables.

- ``filings_review_queue``: the submitted filings by age. The review queue asked for the
  100 oldest submitted filings by walking every filing ever submitted (a million after five
  years); the partial index holds only those waiting.
- ``declarations_declared_by``: a driver's declarations, newest first (``GET
  /api/v1/declarations``). Without it PostgreSQL walked the primary key backwards through
  every declaration of the port until it found 200 of that driver's.
- ``declarations_filing``: a filing's declarations (its history, the sweeps).

On PostgreSQL each is built ``CONCURRENTLY``: writes go on while it is built (so the
migration runs outside a transaction, one statement at a time, ``IF NOT EXISTS`` so an
interrupted run can be run again; a failed concurrent build leaves an INVALID index,
which ``DROP INDEX`` before a rerun clears). SQLite builds them plainly.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEXES = (
    ("filings_review_queue", "filings (submitted_at, id) WHERE status = 'submitted'"),
    ("declarations_declared_by", "declarations (declared_by_id, id)"),
    ("declarations_filing", "declarations (filing_id, id)"),
)


async def _create(apps, schema_editor) -> None:
    client = schema_editor.client
    concurrently = "CONCURRENTLY " if client.capabilities.dialect == "postgres" else ""
    for name, target in INDEXES:
        await client.execute_script(
            f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON {target}")


async def _drop(apps, schema_editor) -> None:
    client = schema_editor.client
    concurrently = "CONCURRENTLY " if client.capabilities.dialect == "postgres" else ""
    for name, _ in INDEXES:
        await client.execute_script(f"DROP INDEX {concurrently}IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0015_consents_and_retention')]

    initial = False
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    operations = [
        ops.RunPython(_create, _drop, atomic=False),
    ]
