"""The duty ledger (R-G6): every scan, decision, command, ack, lift, fault and handover.

Entries are queued in the key-value store as they happen (no database round trip on the
lane's hot path) and written to the database in batches by :func:`flush`, which the bridge
runs every fraction of a second and every reader runs first. The same statement (on
SQLite, the same transaction) marks the declarations whose pass opened the pole as used
(R-G2; Redis already holds the release, so a second scan is refused before this is
written).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from borderpass.models import Declaration
from borderpass.models.enums import DeclarationStatus
from borderpass.models.gate import LedgerEntry
from borderpass.services import clock, declarations
from borderpass.services.ports import KeyValue

QUEUE = "gate:ledger"
WORKER_BATCH = 1000  # entries per transaction in ``borderpass worker`` (the bridge: 100)
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
        texts = [r if isinstance(r, str) else r.decode() for r in raw]
        try:
            await _write(texts)
        except Exception:
            await kv.rpush(QUEUE, *texts)
            raise
        written += len(texts)
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


# The entry of a scan whose pass opened the pole (R-G2): its declaration is now used.
_OPENED = {"kind": "scan", "outcome": "open", "reason": "pass_valid"}


def _opened(rows: list[dict[str, Any]]) -> list[int]:
    """The declarations whose pass opened the pole in these entries (R-G2)."""
    return [r["declaration_id"] for r in rows if r.get("declaration_id")
            and all(r.get(k) == v for k, v in _OPENED.items())]


# Text columns and their widths: a longer value is cut to fit.
_WIDTHS = {"lane_code": 40, "kind": 20, "event_id": 64, "plate": 16, "outcome": 20,
           "reason": 40, "actor": 64}


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    row["at"] = datetime.fromisoformat(row["at"])
    for key, width in _WIDTHS.items():
        row[key] = str(row.get(key) or "")[:width]
    return row


async def _write(texts: list[str]) -> None:
    """Insert the entries and mark the opened declarations used, atomically."""
    db = LedgerEntry._meta.db
    if db.capabilities.dialect == "postgres":
        await db.execute_query(_PG_WRITE, ["[" + ",".join(texts) + "]"])
        return
    rows = [_clean(json.loads(t)) for t in texts]
    async with in_transaction():
        await LedgerEntry.bulk_create([LedgerEntry(**r) for r in rows])
        await declarations.mark_used(*_opened(rows))


def _cut(column: str) -> str:
    return f"left(coalesce({column}, ''), {_WIDTHS[column]})"


# PostgreSQL: the queued JSON goes in as one array and the server unpacks it: no per-entry
# work in Python (the gate's busiest write: three entries per scan). One statement inserts
# the batch and marks the declarations whose pass opened the pole as used (R-G2), so both
# happen or neither. Texts are cut to their columns' widths.
_PG_WRITE = f"""
WITH x AS (
  SELECT * FROM json_to_recordset($1::json) AS r(
    at timestamptz, lane_code text, kind text, event_id text, declaration_id int,
    plate text, outcome text, reason text, actor text, flagged bool, detail jsonb)
), written AS (
  INSERT INTO {LedgerEntry._meta.db_table} (at, lane_code, kind, event_id, declaration_id,
    plate, outcome, reason, actor, flagged, detail)
  SELECT at, {_cut("lane_code")}, {_cut("kind")}, {_cut("event_id")}, declaration_id,
    {_cut("plate")}, {_cut("outcome")}, {_cut("reason")}, {_cut("actor")},
    coalesce(flagged, false), coalesce(detail, '{{}}'::jsonb)
  FROM x
)
UPDATE {Declaration._meta.db_table} SET status = '{DeclarationStatus.USED.value}'
WHERE status = '{DeclarationStatus.APPROVED.value}' AND id IN (
  SELECT declaration_id FROM x WHERE {" AND ".join(f"{k} = '{v}'" for k, v in _OPENED.items())}
    AND declaration_id IS NOT NULL)
"""


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
