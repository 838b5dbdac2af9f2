"""The duty ledger partitioned by month on PostgreSQL (R-G6; issue 22): old months are
dropped whole by retention instead of deleted row by row, and each month's indexes stay
the size of a month. SQLite keeps its one table (nothing here runs there).

Done without rewriting or locking the table for long, whatever its size:

1. a unique index on ``(id, at)`` built ``CONCURRENTLY`` (a partitioned table's unique
   keys must hold the partition key, so the primary key becomes ``(id, at)``; ids still
   come from the one sequence, so they stay unique and ordered);
2. ``CHECK (at < B)``, ``B`` the start of the month after next, added ``NOT VALID`` and then
   validated (a scan that lets writes go on);
3. one short transaction (``lock_timeout`` 5 s): the table renamed ``gate_ledger_legacy``,
   a partitioned ``gate_ledger`` made like it, the old table attached as the partition
   of everything before ``B`` (the validated check spares PostgreSQL the scan), the keys
   and indexes declared on the parent (the legacy table's are taken over, not rebuilt),
   the sequence handed to the new table, the months from ``B`` on and a default
   partition created.

The legacy partition is dropped by retention like a month once ``B`` is old enough. ON
CONFLICT targets do not name the ledger (``services/gate/gate_record.py`` only inserts into
it), so nothing else changes. Reversing leaves the table partitioned: the model is the
same either way.
"""

from datetime import UTC, datetime

from tortoise import migrations
from tortoise.migrations import operations as ops

AHEAD = 3  # months created after B (the sweep keeps creating them)


def _month(at: datetime, add: int) -> datetime:
    index = at.year * 12 + at.month - 1 + add
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


async def _partition(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    _, rows = await client.execute_query(
        "SELECT relkind::text AS relkind FROM pg_class WHERE oid = 'gate_ledger'::regclass")
    if rows[0]["relkind"] == "p":
        return  # already partitioned (a rerun)
    bound = _month(datetime.now(UTC), 2)
    until = bound.isoformat()
    await client.execute_script(
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS gate_ledger_legacy_id_at "
        "ON gate_ledger (id, at)")
    await client.execute_script(
        "ALTER TABLE gate_ledger DROP CONSTRAINT IF EXISTS gate_ledger_legacy_bound")
    await client.execute_script(
        f"ALTER TABLE gate_ledger ADD CONSTRAINT gate_ledger_legacy_bound "
        f"CHECK (at < '{until}') NOT VALID")
    await client.execute_script(
        "ALTER TABLE gate_ledger VALIDATE CONSTRAINT gate_ledger_legacy_bound")
    months = []
    for add in range(AHEAD + 1):
        start, end = _month(bound, add), _month(bound, add + 1)
        months.append(
            f"CREATE TABLE gate_ledger_y{start.year:04d}m{start.month:02d} PARTITION OF "
            f"gate_ledger FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}');")
    # one multi-statement query: one implicit transaction, all or nothing
    await client.execute_script(f"""
SET LOCAL lock_timeout = '5s';
ALTER TABLE gate_ledger RENAME TO gate_ledger_legacy;
ALTER TABLE gate_ledger_legacy ADD CONSTRAINT gate_ledger_legacy_id_at
  UNIQUE USING INDEX gate_ledger_legacy_id_at;
CREATE TABLE gate_ledger (LIKE gate_ledger_legacy INCLUDING DEFAULTS) PARTITION BY RANGE (at);
ALTER TABLE gate_ledger ATTACH PARTITION gate_ledger_legacy
  FOR VALUES FROM (MINVALUE) TO ('{until}');
ALTER TABLE gate_ledger ADD CONSTRAINT gate_ledger_id_at PRIMARY KEY (id, at);
CREATE INDEX gate_ledger_at ON gate_ledger (at);
CREATE INDEX gate_ledger_lane ON gate_ledger (lane_code);
CREATE INDEX gate_ledger_lane_at ON gate_ledger (lane_code, at);
ALTER SEQUENCE gate_ledger_id_seq OWNED BY gate_ledger.id;
{"".join(months)}
CREATE TABLE gate_ledger_default PARTITION OF gate_ledger DEFAULT;
""")


async def _keep(apps, schema_editor) -> None:
    """Reversing keeps the partitioned table: the same columns serve the same model."""


class Migration(migrations.Migration):
    dependencies = [('gate', '0005_second_line')]

    initial = False
    atomic = False  # CREATE INDEX CONCURRENTLY and VALIDATE run outside a transaction

    operations = [
        ops.RunPython(_partition, _keep, atomic=False),
    ]
