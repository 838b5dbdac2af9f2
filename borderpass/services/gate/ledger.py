"""The duty ledger (R-G6): every scan, decision, command, ack, lift, fault and handover.

Entries are written to the database in the same transaction as what they record (a scan's
release, a lift's approval, a lane event's claim): there is no queue to lose or to double
(issue 17). The lane events of one loop turn share that transaction
(:mod:`borderpass.services.gate.gate_record`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from borderpass.adapters import dialect
from borderpass.models.gate import LedgerEntry
from borderpass.services import clock
from borderpass.services.gate.lane_events import COMPACT_JSON

KINDS = ("scan", "command", "ack", "status", "fault", "fault_resolved", "manual_lift",
         "emergency", "handover", "offline_scan", "double_use", "double_exit", "connect",
         "disconnect")
_FIELDS = ("lane_code", "event_id", "declaration_id", "plate", "outcome", "reason", "actor",
           "flagged")


def entry(kind: str, lane_code: str = "", at: datetime | None = None, **values: Any) -> str:
    """One ledger entry, serialised (the form :func:`write` takes)."""
    detail = values.pop("detail", None) or {}
    row = {k: values[k] for k in _FIELDS if k in values and values[k] is not None}
    row.update(kind=kind, lane_code=lane_code, at=(at or clock.now()).isoformat(),
               detail=detail)
    return COMPACT_JSON(row)


async def record(*entries: str) -> None:
    """Write entries to the ledger now, in their own transaction (R-G6)."""
    if entries:
        async with in_transaction() as tx:
            await write(list(entries), tx)


# Text columns and their widths: a longer value is cut to fit.
_WIDTHS = {"lane_code": 40, "kind": 20, "event_id": 64, "plate": 16, "outcome": 20,
           "reason": 40, "actor": 64}
_COLUMNS = {"at": "timestamptz", "lane_code": "text", "kind": "text", "event_id": "text",
            "declaration_id": "int", "plate": "text", "outcome": "text", "reason": "text",
            "actor": "text", "flagged": "bool", "detail": "jsonb"}


async def write(texts: Sequence[str], tx: BaseDBAsyncClient) -> None:
    """Insert the entries (as :func:`entry` makes them) inside the caller's transaction
    ``tx``: one statement, the entries one JSON parameter unpacked by the database (no
    per-entry work in Python: the gate's busiest write, three entries per scan)."""
    if texts:
        await tx.execute_query(insert_from(dialect.json_rows(tx, dialect.json_param(tx, 1),
                                                             _COLUMNS)),
                               ["[" + ",".join(texts) + "]"])


def _cut(column: str) -> str:
    return f"substr(coalesce(r.{column}, ''), 1, {_WIDTHS[column]})"


def insert_from(rows_from: str, joined: str = "") -> str:
    """The ledger's one INSERT, of the entries of ``rows_from`` (a FROM item named ``r`` with
    the entries' columns, :func:`borderpass.adapters.dialect.json_rows`), optionally beside the
    rows of ``joined`` (a FROM item ``rows_from`` refers to). Texts are cut to their widths;
    a missing ``flagged`` is false, a missing ``detail`` empty."""
    return f"""
INSERT INTO {LedgerEntry._meta.db_table} (at, lane_code, kind, event_id, declaration_id,
  plate, outcome, reason, actor, flagged, detail)
SELECT r.at, {_cut("lane_code")}, {_cut("kind")}, {_cut("event_id")}, r.declaration_id,
  {_cut("plate")}, {_cut("outcome")}, {_cut("reason")}, {_cut("actor")},
  coalesce(r.flagged, false), coalesce(r.detail, '{{}}')
FROM {joined + ", " if joined else ""}{rows_from}
"""


def pg_insert_from(source: str, joined: str = "") -> str:
    """:func:`insert_from` of ``source``, a PostgreSQL JSON expression holding an array of
    entries, for a statement that is PostgreSQL's alone (the lane's scans,
    :mod:`borderpass.services.gate.gate_record`)."""
    return insert_from(dialect.json_rows("postgres", source, _COLUMNS), joined)


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


_VALUES = ("id", "at", "lane_code", "kind", "event_id", "declaration_id", "plate", "outcome",
           "reason", "actor", "flagged", "detail")


async def described(start: datetime, end: datetime, lane: str | None = None,
                    chunk: int = 2000) -> AsyncIterator[list[dict[str, Any]]]:
    """What :func:`rows` yields as the export's plain rows (keys as the API's ledger entry)
    (no model object per row: the 15-day report reads a quarter of a million rows)."""
    last_id = 0
    while True:
        query = LedgerEntry.filter(at__gte=start, at__lt=end, id__gt=last_id)
        if lane:
            query = query.filter(lane_code=lane)
        page = await query.order_by("id").limit(chunk).values(*_VALUES)
        if not page:
            return
        for row in page:
            row["at"] = row["at"].isoformat()
            row["lane"] = row.pop("lane_code")
        yield page
        last_id = page[-1]["id"]


async def count(start: datetime, end: datetime, lane: str | None = None) -> int:
    """How many entries :func:`rows` will yield."""
    query = LedgerEntry.filter(at__gte=start, at__lt=end)
    return await (query.filter(lane_code=lane) if lane else query).count()
