"""An agency's blacklist entry is a request, not a verdict (harm: barring a person from
crossing on another system's word alone). It waits as ``pending_review`` until a customs
officer or admin confirms it — then the owner of the named filing is listed with the
agency as the entry's source, and the agencies are told — or rejects it. Both decisions
are conditional updates (two officers never both act) and audited; a listed entry is
lifted like any other (services/blacklist.lift)."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from borderpass.core.errors import Conflict, FieldError, NotFound
from borderpass.models import Agency, InboundEvent, User
from borderpass.models.enums import Role
from borderpass.services import audit, blacklist, clock
from borderpass.services.access import require_role
from borderpass.services.exchange import kinds

REVIEW_ROLES = (Role.CUSTOMS, Role.ADMIN)


def _note(note: object) -> str:
    if not isinstance(note, str) or not note.strip():
        raise FieldError("required", "note")
    if len(note) > 500:
        raise FieldError("length", "note", max=500)
    return note.strip()


async def pending(user: User) -> list[dict[str, Any]]:
    """Agencies' blacklist entries waiting for review, oldest first."""
    require_role(user, *REVIEW_ROLES)
    rows = await InboundEvent.filter(type=kinds.IN_BLACKLIST, status="pending_review") \
        .order_by("id").limit(200).prefetch_related("agency")
    return [{"id": r.id, "agency": r.agency.code, "agency_name": r.agency.name,
             "filing_id": r.filing_id, "reason": r.data.get("reason", ""),
             "note": r.data.get("note", ""), "received_at": r.received_at.isoformat()}
            for r in rows]


async def decide(user: User, inbound_id: int, confirm: bool, note: object) -> InboundEvent:
    """Confirm (list the owner, source: the agency) or reject an agency's entry."""
    require_role(user, *REVIEW_ROLES)
    text = _note(note)
    row = await InboundEvent.get_or_none(id=inbound_id, type=kinds.IN_BLACKLIST)
    if row is None:
        raise NotFound("agency_event_not_found", "id")
    status = "confirmed" if confirm else "rejected"
    async with in_transaction():
        changed = await InboundEvent.filter(id=row.id, status="pending_review").update(
            status=status, reviewed_by_id=user.id, reviewed_at=clock.now(), review_note=text)
        if not changed:
            raise Conflict("agency_event_decided", "id")
        if confirm:  # R-P6: listed only on a customs officer's word
            agency = await Agency.get(id=row.agency_id)  # type: ignore[attr-defined]
            assert row.filing_id is not None
            entry = await blacklist.list_for_agency(row.filing_id, row.data["reason"],
                                                    agency.id, agency.code)
            await audit.record(user, "create", "blacklist", entry.id, ["subject_key"],
                               agency=agency.code, inbound_id=row.id, note=text)
        else:
            await audit.record(user, "update", "agency_event", row.id, ["status"],
                               status=status, note=text)
    await row.refresh_from_db()
    return row
