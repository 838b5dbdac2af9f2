"""Members of a unit's credit pass list: joining by the code, verification, upload (R-U3, R-U4).

A person scans the unit's code, files their own data and vehicle (the ordinary filing,
with OCR auto-fill), signs the personal commitment and submits to the unit. The unit
verifies or rejects, signs the unit commitment and uploads the verified people.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from borderpass.core import ids
from borderpass.core.errors import (
    Conflict,
    FieldError,
    FieldErrors,
    Forbidden,
    Unavailable,
)
from borderpass.models import Filing, FilingDriver, User
from borderpass.models.enums import FilingCategory, FilingStatus, Role
from borderpass.models.units import ListUpload, Membership, MemberStatus, Unit
from borderpass.services import audit, clock
from borderpass.services import validators as v
from borderpass.services.crossings import dishonesty
from borderpass.services.filings import commitments, filings
from borderpass.services.identity import phones
from borderpass.services.ports import Deps
from borderpass.services.units import unit_notices, units
from borderpass.services.units.unit_checks import Candidate, check_candidate
from borderpass.services.validators import choice, found

JOIN_KEYS = frozenset({"scene", "filing_id", "driver_id", "commitment", "id_number"})
EDITABLE = (FilingStatus.DRAFT, FilingStatus.RETURNED)  # as a filing's applicant may edit
ON_REVIEW = (FilingStatus.SUBMITTED, FilingStatus.APPROVED)
MAX_BATCH = 500
PERSONAL_FIELDS = ["name", "id_number", "phone"]


def _int(value: object, field: str, missing: str) -> int:
    return ids.body_id(value, field, missing)


async def _bound_people(user: User) -> set[str]:
    """The persons (blind-index keys) this account has already joined or been bound as."""
    keys = set(await FilingDriver.filter(user_id=user.id, id_key__isnull=False)
               .values_list("id_key", flat=True))
    keys |= set(await Membership.filter(user_id=user.id).values_list("person_key", flat=True))
    return {str(k) for k in keys}


def _owner_applies(filing: Filing) -> bool:
    """The applicant declared they are the owner of this self-use vehicle (R-F2)."""
    return filing.category is FilingCategory.PERSONAL and bool(
        filing.data.get("owner", {}).get("is_applicant")) and filing.owner_key is not None


async def _signing_driver(deps: Deps, user: User, filing_id: int, driver_id: int,
                          id_number: str | None) -> tuple[Filing, FilingDriver]:
    """The driver row the caller signs for: their own, never another person's (R-U3).

    One account is one person: a row already bound to the caller is theirs; an unbound row
    becomes theirs when nothing says otherwise: the caller has not joined as someone else,
    an applicant who is the owner signs only for the owner's row, and anyone else states
    the row's identity number (``id_number``). Strangers learn nothing of the filing."""
    filing = await Filing.get_or_none(id=filing_id)
    driver = await FilingDriver.get_or_none(id=driver_id, filing_id=filing_id)
    applicant = filing is not None and filing.applicant_id == user.id  # type: ignore[attr-defined]
    bound_here = driver is not None and driver.user_id == user.id  # type: ignore[attr-defined]
    proved = driver is not None and id_number is not None and driver.id_key is not None \
        and deps.cipher.blind_index(id_number, "id_number") == driver.id_key
    if filing is None or not (applicant or bound_here or proved):
        if filing is not None and driver is not None and id_number is not None:
            raise FieldError("member_id_mismatch", "id_number")
        raise FieldError("filing_not_found", "filing_id")
    if driver is None:
        raise FieldError("driver_not_on_filing", "driver_id")
    if id_number is not None and not proved:  # a stated number is always checked
        raise FieldError("member_id_mismatch", "id_number")
    if bound_here:
        return filing, driver
    if driver.user_id is not None:  # type: ignore[attr-defined]
        raise Forbidden("member_other_person", "driver_id")  # another account signed as them
    bound = await _bound_people(user)
    if bound and driver.id_key not in bound:
        raise Forbidden("member_other_person", "driver_id")
    owner_row = _owner_applies(filing) and driver.id_key == filing.owner_key
    if _owner_applies(filing) and applicant != owner_row:
        # The applicant is the owner: they sign for the owner's row and only for it.
        raise Forbidden("member_other_person", "driver_id")
    if not (proved or bound or (applicant and _owner_applies(filing))):
        if id_number is None:
            raise FieldError("required", "id_number")
        raise FieldError("member_id_mismatch", "id_number")
    return filing, driver


def _id_number(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError("type_string", "id_number")
    return v.check_id_number(value, "id_number").number


class _VehicleLock:
    """Serialise list changes of one vehicle across processes (R-U5 counts stay exact)."""

    def __init__(self, deps: Deps, vehicle_key: str) -> None:
        self.deps = deps
        self.key = "lock:unit-list:" + hashlib.sha256(vehicle_key.encode()).hexdigest()[:32]
        self.token = secrets.token_hex(8)

    async def __aenter__(self) -> None:
        for _ in range(100):
            if await self.deps.kv.set(self.key, self.token, ex=10, nx=True):
                return
            await asyncio.sleep(0.02)
        raise Unavailable("unavailable", retry_after=1)

    async def __aexit__(self, *exc: object) -> None:
        held = await self.deps.kv.get(self.key)
        if held is not None and (held.decode() if isinstance(held, bytes) else held) == self.token:
            await self.deps.kv.delete(self.key)


async def join(deps: Deps, user: User, body: dict[str, Any]) -> Membership:
    """Submit oneself and one's vehicle to the unit of a scanned code (R-U3).

    Each driver joins from their own account with their own personal commitment. Every
    check runs before anything is written; a draft filing of the caller's own is submitted
    in the same transaction as the entry, so a refused join leaves the draft a draft."""
    unit = await units.unit_by_scene(body.get("scene"))
    filing_id = _int(body.get("filing_id"), "filing_id", "filing_not_found")
    driver_id = _int(body.get("driver_id"), "driver_id", "driver_not_on_filing")
    text = commitments.check_consent(commitments.PERSONAL, body.get("commitment"))
    filing, driver = await _signing_driver(deps, user, filing_id, driver_id,
                                           _id_number(body.get("id_number")))
    draft = filing.status in EDITABLE
    if draft and filing.applicant_id != user.id:  # type: ignore[attr-defined]
        raise Conflict("member_filing_state", "filing_id", status=filing.status.value)
    if not draft and filing.status not in ON_REVIEW:
        raise Conflict("member_filing_state", "filing_id", status=filing.status.value)
    if draft and (problems := await filings.submission_problems_of(deps, filing)):
        raise FieldErrors(problems)  # the filing's own checks (materials, R-U5 …), at once
    if "id_number" not in driver.sealed:
        raise FieldError("required", "driver_id")
    person_id = deps.cipher.decrypt(driver.sealed["id_number"], "driver.id_number")
    phone = phones.read(deps, driver.sealed, "phone", "driver.phone", driver.phone)
    candidate = Candidate(
        person_key=deps.cipher.blind_index(person_id, "id_number"),
        vehicle_key=filing.vin or filing.plate_number or f"filing:{filing.id}",
        owner_key=filing.owner_key if filing.category is FilingCategory.PERSONAL else None,
        self_use=filing.category is FilingCategory.PERSONAL,
        plate_number=filing.plate_number or "")
    async with _VehicleLock(deps, candidate.vehicle_key):
        await check_candidate(candidate)
        async with in_transaction():
            if draft:
                filing = await filings.submit(deps, user, filing.id)
            bound = await FilingDriver.filter(id=driver.id, user_id=None).update(
                user_id=user.id)
            if not bound and driver.user_id != user.id:  # type: ignore[attr-defined]
                raise Forbidden("member_other_person", "driver_id")  # a twin bound it first
            consent = await commitments.record(user, unit, text)
            member = await Membership.create(
                unit=unit, user=user, filing=filing, driver=driver, person_name=driver.name,
                phone="", phone_key=phones.index(deps, phone) if phone else None,
                person_key=candidate.person_key, sealed=_sealed_member(deps, person_id, phone),
                is_owner=candidate.is_owner, self_use=candidate.self_use,
                plate_number=filing.plate_number or "", vehicle_key=candidate.vehicle_key,
                commitment=consent, submitted_at=clock.now())
            await unit_notices.notify_admins(unit, "member_pending", member)  # issue #18
    await audit.record(user, "create", "unit_member", member.id, PERSONAL_FIELDS,
                       unit_id=unit.id)
    return member


def _sealed_member(deps: Deps, person_id: str, phone: str | None) -> dict[str, str]:
    """An entry's snapshot of the identity number and phone, sealed (R-U7)."""
    sealed = {"id_number": deps.cipher.encrypt(person_id, "member.id_number")}
    if phone:
        sealed["phone"] = deps.cipher.encrypt(phone, "member.phone")
    return sealed


async def memberships_of(user: User) -> list[Membership]:
    """The caller's own entries in every unit, newest first."""
    return await Membership.filter(user_id=user.id).order_by("-id").prefetch_related("unit") \
        .limit(200)


def _status(value: str | None) -> MemberStatus | None:
    if value is None or value == "":
        return None
    return choice(MemberStatus, value, "status")


async def members(user: User, unit_id: int, status: str | None = None) -> tuple[
        Unit, list[Membership], bool]:
    """A unit's entries for its own admins (masked) or the platform (clear), audited (R-U7)."""
    unit = await units.managed_unit(user, unit_id, platform=True)
    wanted = _status(status)
    query = Membership.filter(unit_id=unit.id)
    if wanted is not None:
        query = query.filter(status=wanted)
    rows = await query.order_by("id").limit(5000)
    clear = user.has_role(Role.ADMIN) and not await units.is_unit_admin(user, unit)
    await audit.record(user, "read", "unit_members", unit.id, PERSONAL_FIELDS,
                       count=len(rows), clear=clear)
    return unit, rows, clear


@dataclass(frozen=True)
class MemberView:
    """An entry with its sealed fields opened, and whether the caller may see them in clear
    (R-U7: the service decides, the presenter masks)."""

    member: Membership
    id_number: str | None
    phone: str
    clear: bool = False


def view(deps: Deps, member: Membership, clear: bool = False) -> MemberView:
    """An entry as ``clear`` lets the caller see it (``members`` says which)."""
    id_number = deps.cipher.decrypt(member.sealed["id_number"], "member.id_number") \
        if "id_number" in member.sealed else None
    phone = phones.read(deps, member.sealed, "phone", "member.phone", member.phone) or ""
    return MemberView(member, id_number, phone, clear)


def check_ids(raw: object, field: str = "member_ids") -> list[int]:
    """A non-empty list of distinct entry ids (one or many: bulk and one-by-one alike)."""
    if not isinstance(raw, list) or not raw:
        raise FieldError("type_list", field)
    if len(raw) > MAX_BATCH:
        raise FieldError("too_many", field, max=MAX_BATCH)
    found = [_int(x, f"{field}[{i}]", "member_not_found") for i, x in enumerate(raw)]
    if len(set(found)) != len(found):
        raise FieldError("member_duplicate", field)
    return found


async def _pending_batch(unit: Unit, ids: list[int]) -> list[Membership]:
    found = {m.id: m for m in await Membership.filter(unit_id=unit.id, id__in=ids)}
    for i, member_id in enumerate(ids):
        member = found.get(member_id)
        if member is None:  # another unit's entry looks the same as none at all (R-U7)
            raise FieldError("member_not_found", f"member_ids[{i}]")
        if member.status is not MemberStatus.PENDING:
            raise Conflict("member_not_pending", f"member_ids[{i}]", status=member.status.value)
    return [found[i] for i in ids]


async def decide(user: User, unit_id: int, raw_ids: object, verify: bool,
                 reason: object = None) -> list[Membership]:
    """Verify that people belong to the unit, or reject them; all or none (R-U4)."""
    unit = await units.managed_unit(user, unit_id, active=True)
    ids = check_ids(raw_ids)
    note = ""
    if not verify:
        note = v.check_reason(reason)
    batch = await _pending_batch(unit, ids)
    if verify:
        for i, member in enumerate(batch):  # R-U6: nobody is verified back while recorded
            if await dishonesty.in_force([member.person_key],
                                         [member.vehicle_key, member.plate_number]):
                raise Forbidden("member_dishonest", f"member_ids[{i}]")
    now = clock.now()
    async with in_transaction():
        changed = await Membership.filter(id__in=ids, status=MemberStatus.PENDING).update(
            status=MemberStatus.VERIFIED if verify else MemberStatus.REJECTED,
            decided_by_id=user.id, decided_at=now, rejection_reason=note)
        if changed != len(ids):
            raise Conflict("conflict", "member_ids")  # a concurrent decision won: nothing changed
        for member in batch:
            await audit.record(user, "update", "unit_member", member.id, ["status"],
                               verified=verify)
            await unit_notices.notify(await member.user, unit,  # with the change (issue #18)
                                      "member_verified" if verify else "member_rejected",
                                      member, reason=note)
    return await Membership.filter(id__in=ids).order_by("id")


async def upload(user: User, unit_id: int, commitment: object) -> ListUpload:
    """Sign the unit commitment and put every verified entry on the list (R-U4)."""
    unit = await units.managed_unit(user, unit_id, active=True)
    text = commitments.check_consent(commitments.UNIT, commitment)
    ids = list(await Membership.filter(unit_id=unit.id, status=MemberStatus.VERIFIED)
               .values_list("id", flat=True))
    if not ids:
        raise Conflict("nothing_to_upload", "member_ids")
    async with in_transaction():
        consent = await commitments.record(user, unit, text)
        batch = await ListUpload.create(unit=unit, uploaded_by=user, commitment=consent,
                                        member_count=len(ids))
        changed = await Membership.filter(id__in=ids, status=MemberStatus.VERIFIED).update(
            status=MemberStatus.LISTED, listed_at=clock.now(), upload_id=batch.id)
        if changed != len(ids):
            raise Conflict("nothing_to_upload", "member_ids")
        for member in await Membership.filter(id__in=ids).prefetch_related("user"):
            await unit_notices.notify(member.user, unit, "member_listed", member)  # R-U6
    await audit.record(user, "update", "unit", unit.id, ["members"], upload_id=batch.id,
                       count=len(ids))
    return batch


async def live_member(unit: Unit, member_id: int) -> Membership:
    """An entry of this unit, else 404."""
    member = found(await Membership.get_or_none(id=member_id, unit_id=unit.id), "member_not_found")
    return member
