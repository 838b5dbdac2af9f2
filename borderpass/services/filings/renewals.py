"""Renewal of a filing (R-F3): from 60 days before its expiry, a new year that starts at it.

A renewal is a new filing prefilled from the one in force: its data, its drivers and the
documents that stay true for another year; it is edited, submitted (with the filing
commitment) and reviewed like any filing, with the fields it changed listed for the
reviewer (``renewal_changes``). Approved, it runs from the old expiry for a year, so the
vehicle is never without a valid filing; the unit list entries of the old filing move to
it, and the vehicle's open trip may stay abroad until the new expiry (R-F8).

Documents: identity documents, the vehicle licence, the VIN plate, business licence, unit
seal and relationship proof are carried over (each has its own validity, which the
reviewer checks; the applicant replaces one that has expired); the documents in
``FRESH_DOCUMENTS`` are asked anew, because they speak of a period or of the vehicle as
it is now: repayment proof (the last 6 months, R-F4), business-activity proof and powers
of attorney (given for a term), and the vehicle photos.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from borderpass.adapters import constraints
from borderpass.core.errors import Conflict, FieldError
from borderpass.models import Filing, FilingDocument, FilingDriver, Trip, User
from borderpass.models.enums import FilingStatus, TripStatus
from borderpass.models.units import LIVE_MEMBER_STATES, Membership
from borderpass.services import clock
from borderpass.services.filings import renewal_changes, stay_limits
from borderpass.services.filings.filing_checks import add_months
from borderpass.services.filings.subjects import vehicle_key
from borderpass.services.ports import Deps
from borderpass.services.validators import found

RENEWAL_WINDOW = timedelta(days=60)  # R-F3
VALIDITY_MONTHS = 12  # R-F3
IN_PROGRESS = (FilingStatus.DRAFT, FilingStatus.SUBMITTED, FilingStatus.RETURNED,
               FilingStatus.APPROVED)  # index filings_one_renewal (migration 0011)
ONE_RENEWAL_INDEX = "filings_one_renewal"
ONE_SUCCESSOR_INDEX = "filings_one_successor"  # a renewal or a correction (R-D6), not both
ONE_LIVE_VIN_INDEX = "filings_one_live_vin"  # one submitted or approved filing per VIN
FRESH_DOCUMENTS = frozenset({
    "photo_front_45", "photo_rear_45", "photo_side", "repayment_proof",
    "business_activity_proof", "enterprise_power_of_attorney", "power_of_attorney"})
CARRIED_DATA = ("vehicle", "owner", "organisation")  # not the OCR marks of the old draft


def one_year(start: datetime) -> datetime:
    """The end of a filing's year that starts at ``start`` (R-F3)."""
    return start + (add_months(start.date(), VALIDITY_MONTHS) - start.date())


def renewable_from(filing: Filing) -> datetime | None:
    """When the renewal window of an approved filing opens (60 days before expiry)."""
    return filing.expires_at - RENEWAL_WINDOW if filing.expires_at else None


def check_renewable(filing: Filing, now: datetime) -> None:
    """Refuse a renewal of a filing that is not approved and unexpired, or too early."""
    expired = filing.expires_at is not None and filing.expires_at <= now
    if filing.status is not FilingStatus.APPROVED or expired:
        status = FilingStatus.EXPIRED.value if expired else filing.status.value
        raise Conflict("filing_not_renewable", "status", status=status)
    opens = renewable_from(filing)
    if opens is not None and now < opens:
        raise Conflict("renewal_too_early", "expires_at", date=opens.date().isoformat(),
                       days=RENEWAL_WINDOW.days)


async def in_progress(filing_id: int) -> Filing | None:
    """The renewal or correction (R-D6) of the filing that is open or approved, if any."""
    return await Filing.filter(Q(renews_id=filing_id) | Q(corrects_id=filing_id),
                               status__in=IN_PROGRESS).first()


async def successor_clash(exc: IntegrityError) -> bool:
    """Whether the database refused a second renewal or correction of the same filing."""
    return await constraints.violates(exc, ONE_RENEWAL_INDEX, ONE_SUCCESSOR_INDEX)


async def start(user: User, filing_id: int) -> Filing:
    """Open the renewal of the user's own filing: a draft prefilled from it (R-F3, R-P1)."""
    return await open_successor(user, filing_id, check_renewable, FRESH_DOCUMENTS,
                                ("renewal_in_progress", "renewal_id"), renews_id=filing_id)


async def open_successor(user: User, filing_id: int, check: Callable[[Filing, datetime], None],
                         fresh: frozenset[str], busy: tuple[str, str], **link: int) -> Filing:
    """A renewal's or a correction's draft (``link`` says which) of the user's own filing
    that ``check`` accepts, unless one is in progress: then ``busy`` (code, param) (R-D6)."""
    from borderpass.services.privacy import privacy

    privacy.require_not_erasing(user)  # R-D7: what is kept is restricted
    old = found(await Filing.get_or_none(id=filing_id, applicant_id=user.id), "filing_not_found")
    check(old, clock.now())
    code, param = busy
    if (running := await in_progress(old.id)) is not None:
        raise Conflict(code, "id", **{param: running.id})
    try:
        async with in_transaction():
            new = await copy(old, fresh, **link)
    except IntegrityError as exc:  # a concurrent twin opened it (or the other kind) first
        if not await successor_clash(exc):
            raise
        running = await in_progress(old.id)
        raise Conflict(code, "id", **{param: running.id if running else None}) from exc
    return new


async def copy(old: Filing, fresh: frozenset[str], **link: int) -> Filing:
    """A draft prefilled from ``old`` (``link``: ``renews_id`` or ``corrects_id``), in the
    other VIN slot, without the documents in ``fresh``."""
    new = await Filing.create(
        applicant_id=old.applicant_id, category=old.category,  # type: ignore[attr-defined]
        data={k: v for k, v in old.data.items() if k in CARRIED_DATA}, sealed=dict(old.sealed),
        plate_number=old.plate_number, vin=old.vin, owner_key=old.owner_key,
        official_letter_id=old.official_letter_id,  # type: ignore[attr-defined]
        vin_slot=1 if old.vin_slot == 0 else 0, **link)  # type: ignore[arg-type]
    for d in await FilingDriver.filter(filing_id=old.id).order_by("position", "id"):
        await FilingDriver.create(
            filing=new, user_id=d.user_id, position=d.position,  # type: ignore[attr-defined]
            name=d.name, phone=d.phone, is_owner=d.is_owner, sealed=dict(d.sealed),
            id_key=d.id_key, phone_key=d.phone_key)
    for a in await FilingDocument.filter(filing_id=old.id):
        if a.kind.split("#", 1)[0] not in fresh:
            await FilingDocument.create(filing=new, kind=a.kind,
                                        document_id=a.document_id)  # type: ignore[attr-defined]
    return new


async def on_submit(deps: Deps, filing: Filing) -> dict[str, Any]:
    """What a renewal's submission writes beside its status: the changed fields (R-F3);
    refused when the filing it renews was revoked meanwhile. Nothing for a first filing."""
    if filing.vin:  # what the expiry sweep would do, so a lapsed filing holds no slot
        await Filing.filter(vin=filing.vin, status=FilingStatus.APPROVED,
                            expires_at__lte=clock.now()).update(status=FilingStatus.EXPIRED)
    if filing.renews_id is None:  # type: ignore[attr-defined]
        return {}
    old = await Filing.get(id=filing.renews_id)  # type: ignore[attr-defined]
    if old.status is FilingStatus.REVOKED:
        raise Conflict("filing_not_renewable", "status", status=old.status.value)
    return {"renewal_changes": await renewal_changes.changes(deps, old, filing,
                                                             FRESH_DOCUMENTS)}


async def validity(filing: Filing, now: datetime) -> tuple[datetime, datetime]:
    """When an approved filing's year starts and ends: from now, or for a renewal from the
    old expiry (from now if that has passed: the gap, if any, was the applicant's) (R-F3)."""
    if filing.renews_id is None:  # type: ignore[attr-defined]
        return now, one_year(now)
    old = await Filing.get(id=filing.renews_id)  # type: ignore[attr-defined]
    if old.status is FilingStatus.REVOKED:
        raise Conflict("filing_not_renewable", "status", status=old.status.value)
    begins = max(old.expires_at, now) if old.expires_at else now
    return begins, one_year(begins)


async def on_approved(filing: Filing) -> None:
    """Carry the old filing's unit list entries to its approved renewal, and let its open
    trip stay abroad until the new expiry (R-F3, R-F8). In the approval's transaction."""
    old_id = filing.renews_id  # type: ignore[attr-defined]
    if old_id is None or filing.expires_at is None:
        return
    await carry_memberships(old_id, filing)
    await extend_open_trip(old_id, filing.expires_at)


async def carry_memberships(old_id: int, filing: Filing) -> None:
    """Live entries follow the vehicle to the new filing, each to the same person among its
    drivers; an entry whose person is no longer a driver stays with the old filing."""
    drivers = {d.id_key: d.id for d in await FilingDriver.filter(filing_id=filing.id)
               if d.id_key}
    for member in await Membership.filter(filing_id=old_id, status__in=LIVE_MEMBER_STATES):
        if (driver_id := drivers.get(member.person_key)) is not None:
            await Membership.filter(id=member.id).update(filing_id=filing.id,
                                                         driver_id=driver_id)


async def extend_open_trip(old_id: int, expires: datetime) -> int:
    """The vehicle's open trip gets the deadline the new expiry allows (R-F8, by category:
    ``stay_limits``); never shortened. Trips are the vehicle's (``trips.vin``), whichever
    filing it left under."""
    old = await Filing.get(id=old_id)
    changed = 0
    for trip in await Trip.filter(vin=vehicle_key(old.id, old.vin), status=TripStatus.OPEN,
                                  overstayed_at=None):
        deadline = stay_limits.deadline(trip.exited_at, old.category.value, expires)
        if deadline > trip.deadline:
            changed += await Trip.filter(id=trip.id, status=TripStatus.OPEN) \
                .update(deadline=deadline)
    return changed


def renewed_until_sql(filing_column: str) -> str:
    """SQL for the expiry of the approved renewal of the filing in ``filing_column``, NULL
    when it has none (R-F3): a scalar subquery, so a state read stays one round trip."""
    table = Filing._meta.db_table
    return (f"(SELECT max(r.expires_at) FROM {table} r WHERE r.renews_id = {filing_column}"
            f" AND r.status = '{FilingStatus.APPROVED.value}')")


def moment(value: Any) -> datetime | None:
    """A timestamp read by hand-written SQL, as the model reads it (SQLite gives text)."""
    return Filing._meta.fields_map["expires_at"].to_python_value(value)  # type: ignore[no-any-return]


async def vin_clash(exc: IntegrityError) -> FieldError | None:
    """The field error for a submit the VIN index refused (a concurrent twin), else None."""
    if await constraints.violates(exc, ONE_LIVE_VIN_INDEX):
        return FieldError("vin_already_filed", "vehicle.vin")
    return None
