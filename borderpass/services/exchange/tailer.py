"""Crossings into the event log, without touching the gate's hot path: a tailer reads the
gate's durable crossings table (``gate_crossings``) after its cursor and writes one
``crossing.recorded`` event each, moving the cursor in the same transaction as the events
(a crash between the two cannot happen; a crossing already logged is skipped by its
``source_key``, so running twice writes nothing twice).

Never losing one: on PostgreSQL a crossing's id is taken before its transaction commits,
so the tailer may see id 12 while 11 is still on its way. It reads only the unbroken run
after its cursor. At a hole it notes the transactions then open in this database (backend
pid and transaction start, from ``pg_stat_activity``): the one holding id 11 took it before
id 12, which is committed, so it is among them. Once none of them is still open (and
``GAP_GRACE`` has gone by) the hole is final — the id was rolled back — and is passed.
On SQLite ids commit in order, so a hole is passed at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from borderpass.models import ExchangeTail
from borderpass.models.gate import Crossing
from borderpass.services import clock
from borderpass.services.exchange import kinds, log, payloads

NAME = "crossings"
GAP_GRACE = timedelta(seconds=2)


def _postgres() -> bool:
    return bool(Crossing._meta.db.capabilities.dialect == "postgres")


OPEN_TRANSACTIONS = ("SELECT pid, xact_start::text AS since FROM pg_stat_activity"
                     " WHERE datname = current_database() AND xact_start IS NOT NULL"
                     " AND pid <> pg_backend_pid()")


async def _open_transactions(conn: object) -> list[list[Any]]:
    _, found = await conn.execute_query(OPEN_TRANSACTIONS)  # type: ignore[attr-defined]
    return [[int(r["pid"]), str(r["since"])] for r in found]


async def _pass_gap(conn: object, tail: ExchangeTail) -> bool:
    """Whether the hole after the cursor may be passed (noting it when first seen)."""
    if not _postgres():
        return True
    if tail.gap_seen_at is None or tail.gap_sessions is None:
        tail.gap_seen_at, tail.gap_sessions = clock.now(), await _open_transactions(conn)
        return False
    if clock.now() - tail.gap_seen_at < GAP_GRACE:
        return False
    still = {(pid, since) for pid, since in await _open_transactions(conn)}
    return not any((pid, since) in still for pid, since in tail.gap_sessions)


PAGE = 500  # crossings logged per turn at most


async def tail_once(batch: int = PAGE) -> int:
    """Log the next crossings after the cursor, in one statement; how many were logged."""
    async with in_transaction() as conn:
        tail = await ExchangeTail.filter(name=NAME).select_for_update().first()
        if tail is None:
            await ExchangeTail.get_or_create(name=NAME)
            tail = await ExchangeTail.filter(name=NAME).select_for_update().first()
            assert tail is not None
        found = await Crossing.filter(id__gt=tail.cursor).order_by("id").limit(batch)
        taken: list[Crossing] = []
        expected, before = tail.cursor + 1, (tail.gap_seen_at, tail.gap_sessions)
        for row in found:
            if row.id != expected:
                if taken or not await _pass_gap(conn, tail):
                    break  # log the run before the hole first; a new hole waits
                tail.gap_seen_at = tail.gap_sessions = None
            taken.append(row)
            expected = row.id + 1
        await log.append_many(kinds.CROSSING_RECORDED, [
            (*payloads.crossing(row), f"crossing:{row.id}") for row in taken])
        if taken:
            tail.cursor = taken[-1].id
            tail.gap_seen_at = tail.gap_sessions = None
        if taken or before != (tail.gap_seen_at, tail.gap_sessions):
            await tail.save()
    return len(taken)
