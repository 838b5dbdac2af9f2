"""The duty ledger's monthly partitions on PostgreSQL (R-G6, R-U7; docs/deployment.md).

``gate_ledger`` is partitioned by month on ``at`` (gate migration 0008): one partition per
calendar month (UTC) named ``gate_ledger_yYYYYmMM``, ``gate_ledger_legacy`` for the rows
written before the migration, and ``gate_ledger_default`` catching a row no month holds
(a clock far off, or this sweep not run for months) so a scan is never refused for want of a
partition. The sweep creates the months ahead; retention drops whole months once every
row in them is older than the operator's period, which is never under 6 months (MLPS
level 3 logs). Dropping a month is one catalogue change, not millions of deletes, and
waits at most ``LOCK_WAIT`` for the lock (the lanes' writes queue behind it meanwhile;
a busy table is retried on the next run). SQLite keeps one plain table: nothing to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise import connections
from tortoise.transactions import in_transaction

from borderpass.services import clock

TABLE = "gate_ledger"
AHEAD = 3  # months created beyond the current one
MIN_KEEP_DAYS = 183  # R-U7: logs at least 6 months
LOCK_WAIT = "500ms"
log = logging.getLogger("borderpass.ledger")


@dataclass(frozen=True)
class Partition:
    """One partition of the ledger and its range (``lower`` None: from the beginning)."""

    name: str
    lower: datetime | None
    upper: datetime | None  # None: the default partition


def month_start(at: datetime, add: int = 0) -> datetime:
    """The first instant (UTC) of ``at``'s month, ``add`` months later."""
    at = at.astimezone(UTC)
    index = at.year * 12 + at.month - 1 + add
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def month_name(start: datetime) -> str:
    """The partition holding the month beginning at ``start``."""
    return f"{TABLE}_y{start.year:04d}m{start.month:02d}"


def create_sql(start: datetime) -> str:
    """The statement creating the month beginning at ``start`` (if missing)."""
    end = month_start(start, 1)
    return (f"CREATE TABLE IF NOT EXISTS {month_name(start)} PARTITION OF {TABLE} "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')")


def _postgres() -> bool:
    return bool(connections.get("default").capabilities.dialect == "postgres")


async def partitions() -> list[Partition]:
    """The ledger's partitions, oldest first (empty on SQLite or before migration 0008)."""
    if not _postgres():
        return []
    _, rows = await connections.get("default").execute_query(
        "SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound "
        "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = $1::regclass", [TABLE])
    out = [_parse(r["name"], r["bound"]) for r in rows]
    return sorted(out, key=lambda p: (p.upper is None, p.upper or datetime.min.replace(
        tzinfo=UTC)))


def _parse(name: str, bound: str) -> Partition:
    """``FOR VALUES FROM ('2027-01-01 00:00:00+00') TO ('2027-02-01 …')`` → its range."""
    if bound.strip().upper() == "DEFAULT":
        return Partition(name, None, None)
    low, _, high = bound.partition(" TO ")

    def value(text: str) -> datetime | None:
        inner = text[text.index("(") + 1:text.rindex(")")].strip()
        if inner.upper() == "MINVALUE":
            return None
        return datetime.fromisoformat(inner.strip("'")).astimezone(UTC)

    return Partition(name, value(low), value(high))


async def ensure_ahead(months: int = AHEAD) -> int:
    """Create the current month's partition and the next ``months`` (R-G6: a scan always
    has a month to go to); how many were created."""
    if not _postgres():
        return 0
    parts = await partitions()
    if not parts:
        return 0  # not partitioned (gate migration 0008 not applied)
    have = {p.name for p in parts}
    legacy_end = max((p.upper for p in parts if p.lower is None and p.upper is not None),
                     default=None)
    created = 0
    for add in range(months + 1):
        start = month_start(clock.now(), add)
        if month_name(start) in have or (legacy_end and start < legacy_end):
            continue
        try:
            async with in_transaction() as tx:
                await tx.execute_script(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
                await tx.execute_script(create_sql(start))
        except Exception as exc:  # busy (lock_timeout), or rows of that month in the
            # default partition (move them out by hand): the other sweeps go on
            log.warning("ledger partition not created",
                        extra={"partition": month_name(start), "error": type(exc).__name__})
            continue
        created += 1
    return created


async def drop_expired(keep_days: int) -> list[str]:
    """Drop the months whose every row is older than ``keep_days`` (0: keep everything;
    never under ``MIN_KEEP_DAYS``); the partitions dropped. A month still locked by a
    writer after ``LOCK_WAIT`` is left for the next run."""
    if keep_days <= 0 or not _postgres():
        return []
    cutoff = clock.now() - timedelta(days=max(keep_days, MIN_KEEP_DAYS))
    dropped = []
    for part in await partitions():
        if part.upper is None or part.upper > cutoff:
            continue
        try:
            async with in_transaction() as tx:
                await tx.execute_script(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
                await tx.execute_script(f"DROP TABLE {part.name}")
        except Exception as exc:  # lock_timeout: the lanes are busy, try again next run
            log.warning("ledger partition kept for now",
                        extra={"partition": part.name, "error": type(exc).__name__})
            continue
        dropped.append(part.name)
        log.info("ledger partition dropped", extra={"partition": part.name})
    return dropped
