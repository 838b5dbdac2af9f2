"""Every lane event acted on once: claimed by ``(lane, event_id)`` and answered the same on
every retry (issue 17; issue 24 item 3; DESIGN 3). The gate's one idempotency mechanism.

The claim is a row in ``gate_lane_events`` under the unique index ``gate_lane_events_once``,
inserted with ``ON CONFLICT DO NOTHING`` in the transaction of what the event does:

- scans and acks: by the bridge's batch (:mod:`borderpass.services.gate.gate_record`), with
  :func:`claim` and :func:`answers` on SQLite and the same insert inlined in its one
  statement on PostgreSQL;
- status, fault, lift_request, offline_batch: by :func:`once` (the claim first, then the
  action in the same transaction), and each scan of an offline batch by :func:`claim`.

A twin sent at once to another process or connection waits on the claim row until the
first commits, then reads its answer; if the first's transaction rolls back (its action
failed), the twin's claim goes through and it acts afresh. Nothing else in the gate
decides whether an event was seen (no get-or-create by ``event_id``, no Redis key).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from borderpass.models.gate import LaneEvent
from borderpass.services import clock

Key = tuple[str, str]  # (lane code, event id)
_TABLE = LaneEvent._meta.db_table


def _values(tx: BaseDBAsyncClient, width: int, count: int) -> str:
    postgres = tx.capabilities.dialect == "postgres"
    marks = [f"${n}" if postgres else "?" for n in range(1, width * count + 1)]
    return ", ".join("(" + ", ".join(marks[i * width:(i + 1) * width]) + ")"
                     for i in range(count))


async def answers(tx: BaseDBAsyncClient, keys: Sequence[Key]) -> dict[Key, str]:
    """The answers already recorded for these events."""
    found: dict[Key, str] = {}
    for start in range(0, len(keys), 200):
        chunk = keys[start:start + 200]
        rows = await tx.execute_query_dict(
            f"SELECT lane_code, event_id, answer FROM {_TABLE} "
            f"WHERE (lane_code, event_id) IN ({_values(tx, 2, len(chunk))})",
            [v for key in chunk for v in key])
        found.update(((r["lane_code"], r["event_id"]), r["answer"]) for r in rows)
    return found


async def claim(tx: BaseDBAsyncClient,
                items: Sequence[tuple[str, str, str, datetime, str]]) -> set[Key]:
    """Claim events ``(lane, event id, kind, at, answer)``; the keys this call claimed (a
    twin's committed claim wins; an uncommitted one is waited for)."""
    if not items:
        return set()
    ordered = sorted(items)  # one lock order for every claimer: no deadlock between twins
    rows = await tx.execute_query_dict(
        f"INSERT INTO {_TABLE} (lane_code, event_id, kind, at, answer) "
        f"VALUES {_values(tx, 5, len(ordered))} ON CONFLICT (lane_code, event_id) DO NOTHING "
        f"RETURNING lane_code, event_id", [v for item in ordered for v in item])
    return {(r["lane_code"], r["event_id"]) for r in rows}


async def once(lane_code: str, event_id: str, kind: str,
               act: Callable[[BaseDBAsyncClient], Awaitable[str]]) -> str:
    """The answer of the event: ``act(tx)``'s the first time (run in the claim's
    transaction), the stored one on every retry or twin."""
    async with in_transaction() as tx:
        if await claim(tx, [(lane_code, event_id, kind, clock.now(), "")]):
            answer = await act(tx)
            await LaneEvent.filter(lane_code=lane_code, event_id=event_id) \
                .using_db(tx).update(answer=answer)
            return answer
    stored = await answers(connections.get("default"), [(lane_code, event_id)])
    return stored.get((lane_code, event_id), "")
