"""The blacklist (R-F9): overstaying owners, listed exactly once, lifted only with a reason.

Who is listed is read through ``filings.subjects`` (``active_entry``, ``listed_sql``).
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from borderpass.core.errors import Conflict, NotFound
from borderpass.core.masking import mask_name
from borderpass.models import BlacklistEntry, Filing, Trip, User
from borderpass.models.enums import FilingCategory, Role, SubjectKind, TripStatus
from borderpass.models.units import DishonestyRecord
from borderpass.services import audit, clock
from borderpass.services.credit import sources as credit_sources
from borderpass.services.exchange import kinds as exchange_kinds
from borderpass.services.exchange import log as exchange_log
from borderpass.services.exchange import payloads as exchange_payloads
from borderpass.services.identity.access import require_role
from borderpass.services.validators import check_reason, found

LIFT_ROLES = (Role.ADMIN, Role.CUSTOMS)
REFER_ROLES = (Role.CUSTOMS,)  # R-F9: customs refers suspected smuggling to the authorities


async def sweep_overstays(batch: int = 500) -> int:
    """Blacklist the owner of each open trip past its deadline, once (R-F9).

    Reads only due rows (index on status, deadline). The conditional update claims a
    trip atomically, so concurrent sweeps never list an owner twice, and a trip closed
    by an entry (the vehicle came back) is never claimed.
    """
    now = clock.now()
    due = await Trip.filter(status=TripStatus.OPEN, deadline__lte=now, overstayed_at=None) \
        .order_by("deadline").limit(batch).prefetch_related("filing")
    listed = 0
    for trip in due:
        async with in_transaction():
            claimed = await Trip.filter(id=trip.id, status=TripStatus.OPEN,
                                        overstayed_at=None).update(overstayed_at=now)
            if not claimed:
                continue
            entry = await _list(trip.filing, "overstay", trip=trip)
            await credit_sources.overstay(entry, trip.filing, trip.id)  # R-P2.7: same transaction
            listed += 1
    return listed


async def _list(filing: Filing, reason: str, trip: Trip | None = None,
                source: str = "borderpass", agency_id: int | None = None) -> BlacklistEntry:
    """List a filing's owner (inside the caller's transaction) and tell the agencies."""
    person = filing.category is FilingCategory.PERSONAL
    label = (filing.data.get("vehicle", {}).get("owner_name") or "") if person \
        else filing.data.get("organisation", {}).get("name", "")
    entry = await BlacklistEntry.create(
        subject_kind=SubjectKind.PERSON if person else SubjectKind.ORGANISATION,
        subject_key=filing.owner_key or f"filing:{filing.id}",
        subject_label=(mask_name(label) if person else label) or "-",
        reason=reason, filing=filing, trip=trip, source_agency_id=agency_id)
    await _tell(exchange_kinds.BLACKLIST_LISTED, entry, source)
    return entry


async def _tell(type_: str, entry: BlacklistEntry, source: str = "borderpass") -> None:
    subject, data = exchange_payloads.blacklist(entry, source)
    await exchange_log.append(type_, subject, data)  # issue #21 B: in the same transaction


async def list_for_agency(filing_id: int, reason: str, agency_id: int,
                          agency_code: str) -> BlacklistEntry:
    """List a filing's owner on an agency's entry a customs officer confirmed (inside the
    caller's transaction); the agency is kept as the entry's source."""
    filing = await Filing.get(id=filing_id)
    return await _list(filing, f"agency:{reason}"[:40], source=agency_code,
                       agency_id=agency_id)


async def list_entries(user: User, active_only: bool = True) -> list[BlacklistEntry]:
    """Blacklist entries for staff."""
    require_role(user, Role.ADMIN, Role.CUSTOMS, Role.REVIEWER)
    query = BlacklistEntry.all()
    if active_only:
        query = query.filter(lifted_at=None)
    return await query.order_by("-id").limit(500)


async def lift(user: User, entry_id: int, reason: object) -> BlacklistEntry:
    """Lift an entry, with the reason and who did it recorded."""
    require_role(user, *LIFT_ROLES)
    reason = check_reason(reason)
    entry = found(await BlacklistEntry.get_or_none(id=entry_id), "blacklist_not_found")
    async with in_transaction():  # the lift, its audit row, its credit and agency events
        await mark_lifted(BlacklistEntry, entry_id, user, reason, "blacklist",
                          "blacklist_already_lifted")
        await credit_sources.overstay_lifted(entry)  # R-P2.7
        await entry.refresh_from_db()
        await _tell(exchange_kinds.BLACKLIST_LIFTED, entry)
    return entry


async def mark_lifted(model: type[BlacklistEntry | DishonestyRecord], row_id: int, user: User,
                      reason: str, table: str, already: str) -> None:
    """Record the lift of a listing still in force (else Conflict ``already``), with its
    audit row on ``table``; inside the caller's transaction."""
    changed = await model.filter(id=row_id, lifted_at=None).update(
        lifted_at=clock.now(), lifted_by_id=user.id, lift_reason=reason)
    if not changed:
        raise Conflict(already, "id")
    await audit.record(user, "update", table, row_id, ["lifted_at"], reason=reason)


async def refer_smuggling(user: User, entry_id: int, reason: object) -> BlacklistEntry:
    """Customs marks a case as suspected smuggling and refers it (R-F9: a flag and a record
    for the authorities, not a punishment); who, when and why go to the audit trail."""
    require_role(user, *REFER_ROLES)
    reason = check_reason(reason)
    entry = await BlacklistEntry.get_or_none(id=entry_id)
    if entry is None:
        raise NotFound("blacklist_not_found", "id")
    async with in_transaction():
        changed = await BlacklistEntry.filter(id=entry_id, suspected_smuggling=False) \
            .update(suspected_smuggling=True)
        if not changed:
            raise Conflict("blacklist_already_referred", "id")
        await audit.record(user, "update", "blacklist", entry_id, ["suspected_smuggling"],
                           reason=reason, referred=True,
                           trip_id=entry.trip_id)  # type: ignore[attr-defined]
    await entry.refresh_from_db()
    return entry
