"""An agency's blacklist entry or credit violation is a request, not a verdict (harm:
barring or restricting a person on another system's word alone). It waits as
``pending_review`` until a customs officer or admin confirms it — then the owner of the
named filing is listed with the agency as the entry's source, and the agencies are told,
or the violation enters the party's credit record (``credit_feed.apply``) — or rejects it.
Both decisions are conditional updates (two officers never both act) and audited; a listed
entry is lifted like any other (services/crossings/blacklist.lift)."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from borderpass.core.errors import Conflict, NotFound
from borderpass.models import Agency, InboundEvent, User
from borderpass.models.enums import Role
from borderpass.services import audit, clock
from borderpass.services.crossings import blacklist
from borderpass.services.exchange import credit_feed, kinds
from borderpass.services.identity.access import require_role
from borderpass.services.validators import check_reason

REVIEW_ROLES = (Role.CUSTOMS, Role.ADMIN)
REVIEWED = (kinds.IN_BLACKLIST, kinds.IN_CREDIT)


async def pending(user: User) -> list[dict[str, Any]]:
    """Agencies' blacklist entries and credit violations waiting for review, oldest first."""
    require_role(user, *REVIEW_ROLES)
    rows = await InboundEvent.filter(type__in=REVIEWED, status="pending_review") \
        .order_by("id").limit(200).prefetch_related("agency")
    return [{"id": r.id, "type": r.type, "agency": r.agency.code,
             "agency_name": r.agency.name, "filing_id": r.filing_id,
             "party_kind": r.data.get("party_kind"), "label": r.data.get("label", ""),
             "reason": r.data.get("reason", r.data.get("kind", "")),
             "note": r.data.get("note", ""), "received_at": r.received_at.isoformat()}
            for r in rows]


async def decide(user: User, inbound_id: int, confirm: bool, note: object) -> InboundEvent:
    """Confirm (list the owner or record the violation, source: the agency) or reject."""
    require_role(user, *REVIEW_ROLES)
    text = check_reason(note, "note")
    row = await InboundEvent.get_or_none(id=inbound_id, type__in=REVIEWED)
    if row is None:
        raise NotFound("agency_event_not_found", "id")
    status = "confirmed" if confirm else "rejected"
    async with in_transaction():
        changed = await InboundEvent.filter(id=row.id, status="pending_review").update(
            status=status, reviewed_by_id=user.id, reviewed_at=clock.now(), review_note=text)
        if not changed:
            raise Conflict("agency_event_decided", "id")
        agency = await Agency.get(id=row.agency_id)  # type: ignore[attr-defined]
        if confirm and row.type == kinds.IN_CREDIT:  # R-P6: restricted only on their word
            await credit_feed.apply(agency, row)
            await audit.record(user, "create", "credit_event", row.id, ["kind"],
                               agency=agency.code, inbound_id=row.id, note=text)
        elif confirm:  # R-P6: listed only on a customs officer's word
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
