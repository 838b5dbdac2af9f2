"""CloudEvents 1.0 in structured mode (JSON): one event, or a batch as a JSON array
(``application/cloudevents-batch+json``)."""

from __future__ import annotations

import json
from typing import Any

from borderpass.models import ExchangeEvent

SINGLE = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
DEFAULT_SOURCE = "urn:borderpass"


def cloudevent(event: ExchangeEvent, source: str = DEFAULT_SOURCE) -> dict[str, Any]:
    """One event's CloudEvents attributes and data."""
    return {
        "specversion": "1.0",
        "id": str(event.id),
        "source": source,
        "type": event.type,
        "subject": event.subject,
        "time": event.at.isoformat(),
        "datacontenttype": "application/json",
        "data": event.data,
    }


def body(events: list[ExchangeEvent], source: str = DEFAULT_SOURCE,
         batch: bool = False) -> tuple[bytes, str, str]:
    """The POST body, its content type and its ``webhook-id`` (the event id, or
    ``first-last`` for a batch)."""
    if not batch:
        (event,) = events
        return (json.dumps(cloudevent(event, source), ensure_ascii=False,
                           separators=(",", ":")).encode(), SINGLE, str(event.id))
    text = json.dumps([cloudevent(e, source) for e in events], ensure_ascii=False,
                      separators=(",", ":"))
    return text.encode(), BATCH, f"{events[0].id}-{events[-1].id}"
