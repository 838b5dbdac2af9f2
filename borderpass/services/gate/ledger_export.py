"""Ledger export (R-G6): CSV or XLSX of a period, and the 15-day report with its summary."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from borderpass.core.errors import FieldError
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
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            async for page in ledger.described(start, end, lane):
                for row in page:
                    writer.writerow(_cells(row))
                    summary[(row["kind"], row["outcome"])] += 1
                if progress:
                    progress(len(page))
        return summary
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("ledger")
    sheet.append(list(COLUMNS))
    async for page in ledger.described(start, end, lane):
        for row in page:
            sheet.append(_cells(row))
            summary[(row["kind"], row["outcome"])] += 1
        if progress:
            progress(len(page))
    totals = book.create_sheet("summary")
    totals.append(["from", start.isoformat(), "to", end.isoformat(), "lane", lane or "all"])
    totals.append(["kind", "outcome", "count"])
    for (kind, outcome), n in sorted(summary.items()):
        totals.append([kind, outcome, n])
    book.save(path)
    return summary
