"""Agencies' inspection results, as staff see them beside the crossing or declaration they
name (R-P1: inspected once, recognised by all)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from borderpass.models import InboundEvent
from borderpass.services.exchange import kinds


@dataclass(frozen=True)
class Result:
    """One agency's result on one crossing or declaration."""

    agency: str
    result: str
    note: str


async def for_declarations(declaration_ids: Iterable[int | None]) -> dict[int, list[Result]]:
    """Results per declaration id (results on a crossing carry its declaration)."""
    wanted = sorted({i for i in declaration_ids if i is not None})
    if not wanted:
        return {}
    found: dict[int, list[Result]] = {}
    rows = await InboundEvent.filter(type=kinds.IN_INSPECTION, status="recorded",
                                     declaration_id__in=wanted) \
        .order_by("id").prefetch_related("agency")
    for row in rows:
        assert row.declaration_id is not None
        found.setdefault(row.declaration_id, []).append(
            Result(row.agency.code, str(row.data.get("result", "")),
                   str(row.data.get("note", ""))))
    return found
