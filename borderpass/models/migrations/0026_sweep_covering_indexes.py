"""Covering indexes for the trip-reminder sweep (R-F8, R-F9; issue 22): each due trip's
outbox row needs its trip (id, filing, deadline), its filing's plate and applicant and
the applicant's locale. With these three indexes the sweep's statement reads them by
index-only scans of small indexes instead of a random page of the trips, filings and
users tables per due trip (each a few GB at 100× data):

- ``trips_open_deadline``: the open trips by deadline (a fifth of all trips), holding the
  trip and filing ids;
- ``filings_id_applicant_plate`` and ``users_id_locale``: by id, holding what the outbox
  row copies.

Built ``CONCURRENTLY`` on PostgreSQL (outside a transaction; ``IF NOT EXISTS`` so an
interrupted run can be run again), as migration 0021 does (docs/deployment.md, "Migrations
on a big database"). SQLite, which has no ``INCLUDE``, gets the trips one with the columns
in its key; the other two would copy its tables' own rowid b-trees.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

# name, table, key, included columns, partial predicate
INDEXES = (
    ("trips_open_deadline", "trips", "deadline", "id, filing_id", "status = 'open'"),
    ("filings_id_applicant_plate", "filings", "id", "applicant_id, plate_number", ""),
    ("users_id_locale", "users", "id", "locale", ""),
)


def _target(client, table: str, key: str, include: str, where: str) -> str:
    if client.capabilities.dialect == "postgres":
        target = f"{table} ({key}) INCLUDE ({include})"
    else:
        target = f"{table} ({key}, {include})"
    return f"{target} WHERE {where}" if where else target


def _concurrently(client) -> str:
    return "CONCURRENTLY " if client.capabilities.dialect == "postgres" else ""


async def _create(apps, schema_editor) -> None:
    client = schema_editor.client
    for name, *spec in INDEXES:
        if client.capabilities.dialect != "postgres" and spec[0] != "trips":
            continue
        await client.execute_script(f"CREATE INDEX {_concurrently(client)}IF NOT EXISTS "
                                    f"{name} ON {_target(client, *spec)}")


async def _drop(apps, schema_editor) -> None:
    client = schema_editor.client
    for name, *_ in INDEXES:
        await client.execute_script(f"DROP INDEX {_concurrently(client)}IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0025_erasure_and_subject_keys')]

    initial = False
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    operations = [
        ops.RunPython(_create, _drop, atomic=False),
    ]
