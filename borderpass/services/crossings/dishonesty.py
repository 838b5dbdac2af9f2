"""Dishonesty records (R-U6): who the platform removed for serious dishonesty, and until when.

A record names a person by the blind index of their identity number (never the number) or a
vehicle by its VIN or plate, with the reason, who recorded it, when, and until when (open
ended until lifted). :func:`in_force` is the one question every reader asks: the join and
the unit's verification (``unit_members``), and credit (R-P2: a record and its lift are
credit events).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from borderpass.core.errors import FieldError
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.units import DishonestyRecord, DishonestySubject
from borderpass.services import clock
from borderpass.services.credit import sources as credit_sources
from borderpass.services.crossings import blacklist
from borderpass.services.identity.access import require_role
from borderpass.services.validators import check_reason, found


def _live(now: datetime) -> Q:
    return Q(lifted_at=None) & (Q(until=None) | Q(until__gt=now))


async def in_force(person_keys: Sequence[str | None] = (),
                   vehicle_keys: Sequence[str | None] = ()) -> DishonestyRecord | None:
    """The first record in force naming any of these persons (blind-index keys) or vehicles
    (VIN or plate), or None (R-U6)."""
    people = [k for k in person_keys if k]
    vehicles = [k for k in vehicle_keys if k]
    if not people and not vehicles:
        return None
    named = Q(subject_kind=DishonestySubject.PERSON, subject_key__in=people or [""]) | Q(
        subject_kind=DishonestySubject.VEHICLE, subject_key__in=vehicles or [""])
    return await DishonestyRecord.filter(_live(clock.now()) & named).order_by("id").first()


async def write(admin: User, kind: DishonestySubject, key: str, label: str, reason: str,
                until: datetime | None) -> DishonestyRecord:
    """Record a removal; a subject already in force keeps its one record (a retried or
    repeated removal does not stack records), its ``until`` extended if the new one is
    later or open-ended. Call it in the removal's transaction."""
    found = await DishonestyRecord.filter(
        _live(clock.now()), subject_kind=kind, subject_key=key).order_by("id").first()
    if found is None:
        found = await DishonestyRecord.create(subject_kind=kind, subject_key=key,
                                              subject_label=label[:100] or "-", reason=reason,
                                              recorded_by=admin, until=until)
    elif found.until is not None and (until is None or until > found.until):
        found.until = until
        await found.save(update_fields=["until"])
    await credit_sources.dishonesty(found)  # R-P2.7: one event per term, never doubled
    return found


def check_until(value: object, field: str = "until") -> datetime | None:
    """An optional end of the record: an ISO date-time with a zone, in the future."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError("type_string", field)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise FieldError("type_datetime", field) from exc
    if moment.tzinfo is None:
        raise FieldError("datetime_tz", field)
    if moment <= clock.now():
        raise FieldError("dishonesty_until_past", field)
    return moment


async def records(admin: User, active_only: bool = True) -> list[DishonestyRecord]:
    """Records for the platform, newest first (in force only by default)."""
    require_role(admin, Role.ADMIN)
    query = DishonestyRecord.filter(_live(clock.now())) if active_only \
        else DishonestyRecord.all()
    return await query.order_by("-id").limit(500)


async def lift(admin: User, record_id: int, reason: object) -> DishonestyRecord:
    """End a record before its term, with the reason and who did it (audited)."""
    require_role(admin, Role.ADMIN)
    reason = check_reason(reason)
    record = found(await DishonestyRecord.get_or_none(id=record_id), "dishonesty_not_found")
    async with in_transaction():  # the lift, its audit row and its credit events (R-P2.7)
        await blacklist.mark_lifted(DishonestyRecord, record_id, admin, reason,
                                    "dishonesty_record", "dishonesty_already_lifted")
        await credit_sources.dishonesty_lifted(record)
    await record.refresh_from_db()
    return record
