"""Removal from the credit pass list (R-U6): by the unit, by the platform, by deregistration.

Each entry is removed by a conditional update (``WHERE status IN live``), so however many
requests race, an entry leaves the list once, and is notified and audited once.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from borderpass.core.errors import Conflict, FieldError, NotFound
from borderpass.core.masking import mask_name, mask_number
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.units import (
    LIVE_MEMBER_STATES,
    DishonestyRecord,
    DishonestySubject,
    Membership,
    MemberStatus,
    RegistrationCode,
    RemovalReason,
    Unit,
    UnitStatus,
)
from borderpass.services import audit, clock
from borderpass.services import validators as v
from borderpass.services.crossings import dishonesty
from borderpass.services.identity.access import require_role
from borderpass.services.ports import Deps
from borderpass.services.units import unit_notices, units

UNIT_REASONS = (RemovalReason.LEFT, RemovalReason.ASKED)


def _note(value: object, field: str = "note", required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FieldError("type_string", field)
    if required and not value.strip():
        raise FieldError("required", field)
    if len(value) > 500:
        raise FieldError("length", field, max=500)
    return value.strip()


async def _remove(member: Membership, actor: User, reason: RemovalReason, note: str) -> bool:
    """Take one entry off the list if it is still live; True only for the request that did.
    The removal, its audit row and the notices it owes (the person; the unit's admins when
    the platform removed it) are one transaction (R-U6, issue #18)."""
    async with in_transaction():
        changed = await Membership.filter(id=member.id, status__in=LIVE_MEMBER_STATES).update(
            status=MemberStatus.REMOVED, removed_at=clock.now(), removed_by_id=actor.id,
            removal_reason=reason.value, removal_note=note)
        if not changed:
            return False
        await audit.record(actor, "delete", "unit_member", member.id, ["status"],
                           reason=reason.value)
        unit = await Unit.get(id=member.unit_id)  # type: ignore[attr-defined]
        await unit_notices.notify(await member.user, unit, "member_removed", member,
                                  reason=reason.value)
        if reason is RemovalReason.DISHONEST:
            await unit_notices.notify_admins(unit, "unit_member_removed", member,
                                             reason=reason.value)
    return True


async def remove_on_erasure(user: User) -> int:
    """Take the person's live entries off every list: they asked for their data to be
    deleted (R-D7, reason ``asked``); how many."""
    removed = 0
    for member in await Membership.filter(user_id=user.id, status__in=LIVE_MEMBER_STATES):
        removed += await _remove(member, user, RemovalReason.ASKED, "")
    return removed


# The doors pass it to ``privacy.erasure.request``: privacy sits below units.
ON_ERASURE = ("unit_entries", remove_on_erasure)


async def remove_by_unit(user: User, unit_id: int, member_id: int, reason: object,
                         note: object = None) -> Membership:
    """The unit removes a person who left or asked to leave (R-U6)."""
    unit = await units.managed_unit(user, unit_id)
    if reason not in {r.value for r in UNIT_REASONS}:
        raise FieldError("choice", "reason", choices=", ".join(r.value for r in UNIT_REASONS))
    text = _note(note)
    member = await Membership.get_or_none(id=member_id, unit_id=unit.id)
    if member is None:
        raise NotFound("member_not_found", "id")
    if not await _remove(member, user, RemovalReason(str(reason)), text):
        raise Conflict("member_not_live", "status", status=member.status.value)
    await member.refresh_from_db()
    return member


async def remove_dishonest(deps: Deps, admin: User, body: dict[str, Any]) -> tuple[
        DishonestyRecord, int]:
    """The platform removes a person or vehicle on the serious dishonesty list (R-U6).

    It writes a dishonesty record (the person by blind index, never the number) that every
    later join and verification checks until it ends, and takes every live entry naming the
    subject off the list, each once. The record and the removals are one transaction."""
    require_role(admin, Role.ADMIN)
    given = [k for k in ("id_number", "plate_number", "vin") if body.get(k) is not None]
    if len(given) != 1:
        raise FieldError("dishonest_subject", "id_number")
    field = given[0]
    raw = body[field]
    if not isinstance(raw, str):
        raise FieldError("type_string", field)
    note = _note(body.get("note"), required=True)
    until = dishonesty.check_until(body.get("until"))
    if field == "id_number":
        number = v.check_id_number(raw, field).number
        kind, key = DishonestySubject.PERSON, deps.cipher.blind_index(number, "id_number")
        query = Membership.filter(person_key=key)
        label = mask_number(number) or "-"
    elif field == "vin":
        kind, key = DishonestySubject.VEHICLE, v.check_vin(raw, field)
        query = Membership.filter(vehicle_key=key)
        label = key
    else:
        kind, key = DishonestySubject.VEHICLE, v.check_plate(raw, field)
        query = Membership.filter(plate_number=key)
        label = key
    live = await query.filter(status__in=LIVE_MEMBER_STATES).prefetch_related("unit")
    if live and kind is DishonestySubject.PERSON:
        label = f"{mask_name(live[0].person_name)} {label}"
    async with in_transaction():
        record = await dishonesty.write(admin, kind, key, label, note, until)
        removed = 0
        for member in live:
            if await _remove(member, admin, RemovalReason.DISHONEST, note):
                removed += 1
        record.removed_count += removed
        await record.save(update_fields=["removed_count"])
        await audit.record(admin, "delete", "credit_list", 0, [field], removed=removed,
                           note=note, record_id=record.id)
    return record, removed


async def deregister(user: User, unit_id: int, reason: object) -> tuple[Unit, int]:
    """Deregister a unit: its code dies and every live entry leaves the list once (R-U6)."""
    unit = await units.managed_unit(user, unit_id, platform=True)
    note = _note(reason, "reason", required=True)
    now = clock.now()
    async with in_transaction():
        changed = await Unit.filter(
            id=unit.id, status__in=(UnitStatus.PENDING, UnitStatus.ACTIVE)).update(
            status=UnitStatus.DEREGISTERED, deregistered_at=now, deregistration_reason=note)
        if not changed:
            raise Conflict("unit_not_active", "status", status=unit.status.value)
        await RegistrationCode.filter(unit_id=unit.id, revoked_at=None).update(revoked_at=now)
    await unit.refresh_from_db()
    await audit.record(user, "update", "unit", unit.id, ["status"], deregistered=True)
    removed = 0
    for member in await Membership.filter(unit_id=unit.id, status__in=LIVE_MEMBER_STATES):
        removed += await _remove(member, user, RemovalReason.UNIT_DEREGISTERED, note)
    await unit_notices.notify_admins(unit, "unit_deregistered", count=removed)
    return unit, removed
