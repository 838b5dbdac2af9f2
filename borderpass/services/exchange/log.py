"""The one ordered event log: every outbound event, written in the transaction of the
change it tells of, read by every subscriber by its bigint id.

On PostgreSQL ids come from a sequence, so two transactions may commit out of id order: a
reader that moved its cursor past id 11 could miss id 10 committed a moment later. Every
writer therefore takes a shared advisory lock (one per transaction, released at commit)
before its event takes an id, and readers read only up to the **horizon**: the highest id
seen while holding that lock exclusively, i.e. once every writer that had an id committed
or rolled back. Writers never wait for each other, only for the instant a reader takes the
horizon. SQLite has one writer at a time, so ids are committed in order there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.transactions import in_transaction

from borderpass.adapters import rows
from borderpass.models import ExchangeEvent
from borderpass.services import clock
from borderpass.services.exchange import kinds

LOG_LOCK = 7_021_021_001  # pg advisory lock key of the event log


def _postgres() -> bool:
    return bool(ExchangeEvent._meta.db.capabilities.dialect == "postgres")


# Every writer's shared lock, taken before its event takes an id (see the module's doc).
_SHARED_LOCK = f"SELECT pg_advisory_xact_lock_shared({LOG_LOCK})"


def _row(type_: str, subject: str, data: dict[str, Any],
         source_key: str | None) -> tuple[str, list[Any]]:
    """``INSERT INTO … (columns)`` of the event table and one event's values in its order."""
    _, sql, params = rows.insert_sql(
        ExchangeEvent, type=type_, category=kinds.CATEGORY_OF[type_], subject=subject,
        data=data, source_key=source_key, at=clock.now())
    return sql.partition(" SELECT ")[0], params


def insert_sql(type_: str, subject: str, data: dict[str, Any], when: str = "",
               source_key: str | None = None) -> tuple[str, list[Any], str]:
    """One event's ``INSERT`` (``{}`` marks) to run inside another statement, and the CTE
    (``l AS (…)``) it needs on PostgreSQL: the shared lock taken before its id."""
    head, params = _row(type_, subject, data, source_key)
    marks = ", ".join("{}" for _ in params)
    lock = f"l AS ({_SHARED_LOCK})" if _postgres() else ""
    sql = f"{head} SELECT {marks}" + (" FROM l" if lock else "") + \
        (f" WHERE {when}" if when else "")
    if source_key is not None:
        sql += " ON CONFLICT (source_key) DO NOTHING"
    return sql, params, lock


async def append(type_: str, subject: str, data: dict[str, Any],
                 source_key: str | None = None) -> None:
    """Write one event; call it inside the transaction of the change it tells of (R-P7)."""
    sql, params, lock = insert_sql(type_, subject, data, source_key=source_key)
    if lock:
        sql = f"WITH {lock} {sql}"
    await rows.execute(ExchangeEvent, sql, *params)


async def append_many(type_: str, events: Sequence[tuple[str, dict[str, Any], str]]) -> None:
    """Write ``(subject, data, source_key)`` events of one type in one statement (a page of
    the tailer's), inside the caller's transaction; a source key logged before is skipped."""
    if not events:
        return
    if _postgres():  # taken before the events take their ids
        await rows.values(ExchangeEvent, f"SELECT 1 AS locked FROM ({_SHARED_LOCK}) l")
    head, groups, params = "", [], []
    for subject, data, source_key in events:
        head, one = _row(type_, subject, data, source_key)
        groups.append("(" + ", ".join("{}" for _ in one) + ")")
        params += one
    await rows.execute(ExchangeEvent, f"{head} VALUES {', '.join(groups)}"
                       " ON CONFLICT (source_key) DO NOTHING", *params)


async def horizon() -> int:
    """The highest event id below which no event can still appear (see the module's doc)."""
    if not _postgres():
        found = await rows.values(ExchangeEvent, "SELECT coalesce(max(id), 0) AS h FROM "
                                  f"{ExchangeEvent._meta.db_table}")
        return int(found[0]["h"])
    async with in_transaction() as conn:
        await conn.execute_query(f"SELECT pg_advisory_xact_lock({LOG_LOCK})")
        _, top = await conn.execute_query(
            f"SELECT coalesce(max(id), 0) AS h FROM {ExchangeEvent._meta.db_table}")
    return int(top[0]["h"])
