"""The duty ledger (R-G6): every scan, decision, command, ack, lift, fault and handover.

Entries are queued in the key-value store as they happen (no database round trip on the
lane's hot path) and written to the database in batches by :func:`flush`, which the bridge
runs every fraction of a second and every reader runs first. The same transaction marks
the declarations whose pass opened the pole as used (R-G2; Redis already holds the
release, so a second scan is refused before this is written).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from borderpass.models.gate import LedgerEntry
from borderpass.services import clock, declarations
from borderpass.services.ports import KeyValue

QUEUE = "gate:ledger"
log = logging.getLogger("borderpass.gate")
KINDS = ("scan", "command", "ack", "status", "fault", "fault_resolved", "manual_lift",
         "emergency", "handover", "offline_scan", "double_use", "connect", "disconnect")
_FIELDS = ("lane_code", "event_id", "declaration_id", "plate", "outcome", "reason", "actor",
           "flagged")


def entry(kind: str, lane_code: str = "", at: datetime | None = None, **values: Any) -> str:
    """One ledger entry, serialised for the queue."""
    detail = values.pop("detail", None) or {}
    row = {k: values[k] for k in _FIELDS if k in values and values[k] is not None}
    row.update(kind=kind, lane_code=lane_code, at=(at or clock.now()).isoformat(),
               detail=detail)
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


async def record(kv: KeyValue, *entries: str) -> None:
    """Queue entries for the ledger (R-G6)."""
    if entries:
        await kv.rpush(QUEUE, *entries)


async def flush(kv: KeyValue, batch: int = 2000) -> int:
    """Write queued entries to the database; returns how many. Failed batches go back."""
    written = 0
    while True:
        raw = await kv.lpop(QUEUE, batch)
        if not raw:
            return written
        rows = [_clean(json.loads(r)) for r in raw]
        try:
            async with in_transaction():
                await _insert(rows)
                await declarations.mark_used(*_opened(rows))
        except Exception:
            await kv.rpush(QUEUE, *[r if isinstance(r, str) else r.decode() for r in raw])
            raise
        written += len(rows)
        if len(raw) < batch:
            return written


async def flush_forever(kv: KeyValue, interval: float, batch: int = 100) -> None:
    """Flush every ``interval`` seconds until cancelled (the bridge, or ``borderpass worker``).

    Small batches: each is a short burst of CPU between database round trips, so lanes
    served by the same event loop wait at most a millisecond or two behind it."""
    while True:
        try:
            await flush(kv, batch)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("ledger flush failed")
        await asyncio.sleep(interval)


def _opened(rows: list[dict[str, Any]]) -> list[int]:
    """The declarations whose pass opened the pole in these entries (R-G2)."""
    return [r["declaration_id"] for r in rows if r["kind"] == "scan" and r.get("declaration_id")
            and r.get("outcome") == "open" and r.get("reason") == "pass_valid"]


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    row["at"] = datetime.fromisoformat(row["at"])
    for key in ("plate", "outcome", "reason", "actor", "event_id"):
        if key in row:
            row[key] = str(row[key])[:64 if key in ("actor", "event_id") else 40]
    row["plate"] = row.get("plate", "")[:16]
    return row


# PostgreSQL: a whole batch in one statement from arrays, no model instances (the gate's
# busiest write: three entries per scan).
_COLUMNS = ("at", "lane_code", "kind", "event_id", "declaration_id", "plate", "outcome",
            "reason", "actor", "flagged", "detail")
_PG_INSERT = (
    f"INSERT INTO {LedgerEntry._meta.db_table} ({', '.join(_COLUMNS)})"
    " SELECT at, lane_code, kind, event_id, declaration_id, plate, outcome, reason, actor,"
    " flagged, detail::jsonb FROM unnest($1::timestamptz[], $2::text[], $3::text[],"
    " $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bool[],"
    f" $11::text[]) AS x({', '.join(_COLUMNS)})")


async def _insert(rows: list[dict[str, Any]]) -> None:
    db = LedgerEntry._meta.db
    if db.capabilities.dialect != "postgres":
        await LedgerEntry.bulk_create([LedgerEntry(**r) for r in rows])
        return
    defaults: dict[str, Any] = {
        "lane_code": "", "event_id": "", "declaration_id": None, "plate": "", "outcome": "",
        "reason": "", "actor": "", "flagged": False, "detail": {}}
    full = [defaults | r for r in rows]
    columns: list[list[Any]] = [[r[c] for r in full] for c in _COLUMNS]
    columns[-1] = [json.dumps(d, ensure_ascii=False) for d in columns[-1]]
    await db.execute_query(_PG_INSERT, columns)


async def rows(start: datetime, end: datetime, lane: str | None = None,
               chunk: int = 2000) -> AsyncIterator[list[LedgerEntry]]:
    """Entries with start <= at < end (optionally one lane's), oldest first, in chunks."""
    last_id = 0
    while True:
        query = LedgerEntry.filter(at__gte=start, at__lt=end, id__gt=last_id)
        if lane:
            query = query.filter(lane_code=lane)
        page = await query.order_by("id").limit(chunk)
        if not page:
            return
        yield page
        last_id = page[-1].id


async def count(start: datetime, end: datetime, lane: str | None = None) -> int:
    """How many entries :func:`rows` will yield."""
    query = LedgerEntry.filter(at__gte=start, at__lt=end)
    return await (query.filter(lane_code=lane) if lane else query).count()


def describe(e: LedgerEntry) -> dict[str, Any]:
    """An entry as the API and the export show it."""
    return {"id": e.id, "at": e.at.isoformat(), "lane": e.lane_code, "kind": e.kind,
            "event_id": e.event_id, "declaration_id": e.declaration_id, "plate": e.plate,
            "outcome": e.outcome, "reason": e.reason, "actor": e.actor, "flagged": e.flagged,
            "detail": e.detail}
