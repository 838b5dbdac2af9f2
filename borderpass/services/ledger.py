"""The duty ledger (R-G6): every scan, decision, command, ack, lift, fault and handover.

Entries are queued in the key-value store as they happen (one RPUSH, no database round
trip on the lane's hot path) and written to the database in batches by :func:`flush`,
which the bridge runs every fraction of a second and every reader runs first.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from borderpass.models.gate import LedgerEntry
from borderpass.services import clock
from borderpass.services.ports import KeyValue

QUEUE = "gate:ledger"
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
        rows = [json.loads(r) for r in raw]
        try:
            await LedgerEntry.bulk_create([_model(r) for r in rows])
        except Exception:
            await kv.rpush(QUEUE, *[r if isinstance(r, str) else r.decode() for r in raw])
            raise
        written += len(rows)
        if len(raw) < batch:
            return written


def _model(row: dict[str, Any]) -> LedgerEntry:
    row["at"] = datetime.fromisoformat(row["at"])
    for key in ("plate", "outcome", "reason", "actor", "event_id"):
        if key in row:
            row[key] = str(row[key])[:64 if key in ("actor", "event_id") else 40]
    row["plate"] = row.get("plate", "")[:16]
    return LedgerEntry(**row)


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
