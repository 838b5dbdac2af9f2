"""Notifications as the admin API and the console show them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from borderpass.models.notify import DeliveryAttempt, Notification


def notification(row: Notification, attempts: Sequence[DeliveryAttempt] | None = None
                 ) -> dict[str, Any]:
    """A notification; with ``attempts``, every delivery attempt too."""
    item: dict[str, Any] = {
        "id": row.id, "key": row.dedupe_key, "kind": row.kind,
        "user_id": row.user_id,  # type: ignore[attr-defined]
        "locale": row.locale, "status": row.status.value, "attempts": row.attempts,
        "channel": row.channel, "maybe_delivered": row.maybe_delivered,
        "last_error": row.last_error, "next_at": row.next_at.isoformat(),
        "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }
    if attempts is not None:
        item["delivery_attempts"] = [{
            "channel": a.channel, "started_at": a.started_at.isoformat(),
            "finished_at": a.finished_at.isoformat(),
            "outcome": a.outcome, "errcode": a.errcode, "msgid": a.msgid,
            "detail": a.detail} for a in attempts]
    return item
