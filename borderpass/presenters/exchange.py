"""The data exchange as the admin API, the console and a calling agency see it: agencies
with their delivery state, dead letters, and an inbound event's receipt."""

from __future__ import annotations

from typing import Any

from borderpass.models import DeadLetter, InboundEvent
from borderpass.services.exchange.subscribers import AgencyState


def agency(state: AgencyState) -> dict[str, Any]:
    """An agency with its delivery state (never the secret)."""
    row = state.agency
    return {
        "id": row.id, "code": row.code, "name": row.name, "kind": row.kind,
        "url": row.url, "event_types": row.event_types, "batch_size": row.batch_size,
        "active": row.active, "last_delivered_id": row.cursor,
        "lag": state.lag, "failures": row.attempts,
        "failing_since": row.failing_since.isoformat() if row.failing_since else None,
        "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        "last_error": row.last_error,
        "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None,
        "dead_letters": state.dead_letters,
    }


def dead_letter(d: DeadLetter) -> dict[str, Any]:
    """An event an agency never took, with its failures."""
    return {"id": d.id, "event_id": d.event_id, "error": d.error, "attempts": d.attempts,
            "first_failed_at": d.first_failed_at.isoformat(),
            "died_at": d.died_at.isoformat(),
            "replayed_at": d.replayed_at.isoformat() if d.replayed_at else None}


def inbound_event(row: InboundEvent) -> dict[str, Any]:
    """An inbound event as the API answers the agency that sent it."""
    return {"id": row.id, "event_id": row.event_id, "type": row.type, "status": row.status,
            "crossing_id": row.crossing_id, "declaration_id": row.declaration_id,
            "filing_id": row.filing_id, "received_at": row.received_at.isoformat()}
