"""Replay by cursor: ``GET /api/v1/agency/events?after=<id>&limit=<n>``, signed with the
agency's key, answers its entitled events after ``after`` in id order, up to the log's
horizon (services/exchange/log.py), so an agency that was down catches up on its own."""

from __future__ import annotations

from typing import Any

from borderpass.core.errors import FieldError
from borderpass.models import Agency, ExchangeEvent
from borderpass.services.exchange import envelope, log

MAX_LIMIT = 1000


def _number(text: str | None, field: str, default: int, top: int) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or len(text) > 18:
        raise FieldError("type_int", field)
    value = int(text)
    if value > top:
        raise FieldError("too_many", field, max=top)
    return value


async def page(agency: Agency, after_text: str | None, limit_text: str | None,
               source: str = envelope.DEFAULT_SOURCE) -> dict[str, Any]:
    """The agency's entitled events after the cursor, and the cursor to ask with next."""
    after = _number(after_text, "after", 0, 2**63 - 1)
    limit = _number(limit_text, "limit", 100, MAX_LIMIT) or 1
    top = await log.horizon()
    events = await ExchangeEvent.filter(id__gt=after, id__lte=top,  # R-P7: entitled only
                                        category__in=agency.event_types) \
        .order_by("id").limit(limit)
    return {"events": [envelope.cloudevent(e, source) for e in events],
            "next_after": events[-1].id if events else after,
            "more": len(events) == limit}
