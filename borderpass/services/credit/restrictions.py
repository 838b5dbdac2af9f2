"""What a restricted or dishonest class costs (R-P2.8): no exit
declaration, refused with the event that caused the class named in the reader's language;
no fast lane (``fast_lane.eligible``), so every change goes to a reviewer."""

from __future__ import annotations

from borderpass.core.errors import Forbidden
from borderpass.core.i18n import translate
from borderpass.models.credit import CreditEvent
from borderpass.services.credit import events, rules

BARRED = frozenset({rules.RESTRICTED, rules.DISHONEST})


async def check_exit(owner_key: str | None, locale: str) -> None:
    """Refuse an exit declaration when the owner's class bars it (R-P2.8)."""
    record = await events.class_of(owner_key)
    if record is None or record.credit_class not in BARRED:
        return
    cause = await CreditEvent.get_or_none(id=record.cause_event_id) \
        if record.cause_event_id else None
    raise Forbidden(
        "credit_restricted", "filing_id",
        credit_class=translate(rules.CLASSES[record.credit_class], locale),
        event=translate(rules.KINDS[cause.kind], locale) if cause else "-",
        date=cause.occurred_at.date().isoformat() if cause else "-",
        event_id=cause.id if cause else "-", rule=record.rule)
