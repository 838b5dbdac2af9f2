"""Ledger export (R-G6): CSV or XLSX of a period, and the 15-day report with its summary.

On PostgreSQL the CSV is written by the database itself (``COPY … TO STDOUT``, streamed to
the file): a 15-day report at 100× data is a quarter of a million rows, and no row becomes
a Python object. The bytes are those :mod:`csv` writes on SQLite (the test compares them).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from tortoise.transactions import in_transaction

from borderpass.core.errors import FieldError
from borderpass.models.gate import LedgerEntry
from borderpass.services.gate import ledger
from borderpass.services.ports import KeyValue

COLUMNS = ("id", "at", "lane", "kind", "event_id", "declaration_id", "plate", "outcome",
           "reason", "actor", "flagged", "detail")
FORMATS = ("csv", "xlsx")
REPORT_PERIOD = timedelta(days=15)  # R-G6: the ledger is reported every 15 days


def _cells(row: dict[str, Any]) -> list[Any]:
    cells = [row[c] for c in COLUMNS]
    cells[-1] = json.dumps(row["detail"], ensure_ascii=False) if row["detail"] else ""
    return ["" if v is None else v for v in cells]


def check_period(start: datetime, end: datetime) -> None:
    """Refuse an empty or reversed period, or one without time zones."""
    if start.tzinfo is None:
        raise FieldError("datetime_tz", "from")
    if end.tzinfo is None:
        raise FieldError("datetime_tz", "to")
    if end <= start:
        raise FieldError("ledger_period", "to")


async def export(kv: KeyValue, path: Path, fmt: str, start: datetime, end: datetime,
                 lane: str | None = None,
                 progress: Callable[[int], None] | None = None) -> Counter[tuple[str, str]]:
    """Write the entries of [start, end) to ``path``; returns counts by (kind, outcome)."""
    if fmt not in FORMATS:
        raise FieldError("choice", "format", choices=", ".join(FORMATS))
    check_period(start, end)
    summary: Counter[tuple[str, str]] = Counter()
    if fmt == "csv" and LedgerEntry._meta.db.capabilities.dialect == "postgres":
        with path.open("wb") as fh:
            return await _copy_csv(fh, start, end, lane, progress)
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            await _write_rows(writer.writerow, summary, start, end, lane, progress)
        return summary
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("ledger")
    sheet.append(list(COLUMNS))
    await _write_rows(sheet.append, summary, start, end, lane, progress)
    totals = book.create_sheet("summary")
    totals.append(["from", start.isoformat(), "to", end.isoformat(), "lane", lane or "all"])
    totals.append(["kind", "outcome", "count"])
    for (kind, outcome), n in sorted(summary.items()):
        totals.append([kind, outcome, n])
    book.save(path)
    return summary


async def _write_rows(write: Callable[[list[Any]], object], summary: Counter[tuple[str, str]],
                      start: datetime, end: datetime, lane: str | None,
                      progress: Callable[[int], None] | None) -> None:
    """Each entry's cells to ``write`` (a csv writer's or a sheet's), counted in ``summary``."""
    async for page in ledger.described(start, end, lane):
        for row in page:
            write(_cells(row))
            summary[(row["kind"], row["outcome"])] += 1
        if progress:
            progress(len(page))


# Each column as the csv module writes ``_cells`` of it: an empty string is NULL (COPY
# quotes an empty string, csv does not), ``at`` in Python's isoformat, booleans as
# ``True``/``False``, an empty detail as nothing and any other as its JSON (jsonb's text is
# ``json.dumps`` of what tortoise reads from it: same separators, same key order).
_AT = ("to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
       "date_part('microseconds', at)::bigint % 1000000 = 0 THEN '' "
       "ELSE to_char(at AT TIME ZONE 'UTC', '.US') END || '+00:00'")
_COPY_COLUMNS = (
    "id", _AT, "NULLIF(lane_code, '')", "NULLIF(kind, '')", "NULLIF(event_id, '')",
    "declaration_id", "NULLIF(plate, '')", "NULLIF(outcome, '')", "NULLIF(reason, '')",
    "NULLIF(actor, '')", "CASE WHEN flagged THEN 'True' ELSE 'False' END",
    "CASE WHEN detail IN ('{}', '[]', '\"\"', '0', 'false', 'null') THEN NULL "
    "ELSE detail::text END")


class _RecordEnds:
    """COPY ends records with ``\n``, the csv module with ``\r\n``: turns the newlines
    outside quoted fields into ``\r\n`` (those inside stay, as csv leaves them), across
    chunk boundaries, counting the records."""

    def __init__(self) -> None:
        self.quoted = False
        self.records = 0

    def __call__(self, data: bytes) -> bytes:
        parts = data.split(b'"')
        for i in range(1 if self.quoted else 0, len(parts), 2):
            if n := parts[i].count(b"\n"):
                self.records += n
                parts[i] = parts[i].replace(b"\n", b"\r\n")
        self.quoted ^= len(parts) % 2 == 0  # an odd number of quotes in this chunk
        return b'"'.join(parts)


async def _copy_csv(fh: IO[bytes], start: datetime, end: datetime, lane: str | None,
                    progress: Callable[[int], None] | None) -> Counter[tuple[str, str]]:
    """The CSV of [start, end) by PostgreSQL's COPY, and its summary from the same snapshot
    (one REPEATABLE READ transaction)."""
    table = LedgerEntry._meta.db_table
    where = "at >= $1 AND at < $2" + (" AND lane_code = $3" if lane else "")
    args: list[Any] = [start, end, *([lane] if lane else [])]
    header = io.StringIO()
    csv.writer(header).writerow(COLUMNS)
    fh.write(header.getvalue().encode("utf-8-sig"))
    ends = _RecordEnds()

    async def out(chunk: bytes) -> None:
        before = ends.records
        fh.write(ends(chunk))
        if progress and ends.records > before:
            progress(ends.records - before)

    async with in_transaction() as conn:
        raw = conn._connection  # asyncpg's, in this transaction
        await raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        counts = await raw.fetch(f"SELECT kind, outcome, count(*) AS n FROM {table} "
                                 f"WHERE {where} GROUP BY kind, outcome", *args)
        await raw.copy_from_query(f"SELECT {', '.join(_COPY_COLUMNS)} FROM {table} "
                                  f"WHERE {where} ORDER BY id", *args, output=out,
                                  format="csv")
    return Counter({(r["kind"], r["outcome"]): r["n"] for r in counts})
