"""Organisation profiles — 单位/企业信息 (R-P1): entered once per USCC, reused everywhere.

A profile is a claim until someone vouches for it (R-P1b): the claimant alone reads and
edits a claim; staff verify it, or the first approval of a unit registration, business
filing or export filing made from it does, or it is verified at once when its claimant is
already an admin of an active unit or a member of an exporting enterprise of that USCC.
At most one profile per USCC is verified (a partial unique index); the other claims of that
USCC are then superseded and can no longer be used, so a stranger's claim never overwrites
or reads the enterprise's own. Every change is a line of the profile's history (R-P1c).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from borderpass.core import ids
from borderpass.core.errors import Conflict, FieldError, FieldErrors, NotFound
from borderpass.core.masking import mask_name, mask_phone
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.export import Enterprise, EnterpriseMember
from borderpass.models.profiles import OrganisationProfile, ProfileChange, ProfileStatus
from borderpass.models.units import Unit, UnitAdmin, UnitStatus
from borderpass.services import audit, clock
from borderpass.services import validators as v
from borderpass.services.filings.documents import owned_document
from borderpass.services.identity import phones
from borderpass.services.identity.access import require_role
from borderpass.services.ports import Deps

PHONE_CONTEXT = "profile.contact_phone"
STAFF_ROLES = (Role.REVIEWER, Role.ADMIN, Role.CUSTOMS)
VERIFIER_ROLES = (Role.REVIEWER, Role.ADMIN)
TEXT_FIELDS = ("organisation_name", "legal_representative", "address", "contact_name")
ATTRS = {"organisation_name": "name"}  # request field → column, where they differ
EDIT_KEYS = frozenset({*TEXT_FIELDS, "contact_phone", "licence_document_id", "version"})
CREATE_KEYS = frozenset({*EDIT_KEYS, "uscc"} - {"version"})
PERSONAL = {"legal_representative": mask_name, "contact_name": mask_name,
            "contact_phone": mask_phone}  # masked in the history and to every reader (R-U7)
_LIMITS = {"organisation_name": 100, "legal_representative": 50, "address": 200,
           "contact_name": 50, "contact_phone": 30}


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FieldError("required", name)
    if not isinstance(value, str):
        raise FieldError("type_string", name)
    if len(value.strip()) > _LIMITS[name]:
        raise FieldError("length", name, max=_LIMITS[name])
    return " ".join(value.split())


_CHECKS: dict[str, Callable[[dict[str, Any]], str]] = {
    "organisation_name": lambda b: _text(b, "organisation_name"),
    "legal_representative": lambda b: v.check_name(_text(b, "legal_representative"),
                                                   "legal_representative"),
    "address": lambda b: _text(b, "address"),
    "contact_name": lambda b: v.check_name(_text(b, "contact_name"), "contact_name"),
    "contact_phone": lambda b: v.check_phone(_text(b, "contact_phone"), "contact_phone"),
}


async def _values(user: User, body: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The checked values of ``names`` from ``body``: every problem at once, naming its field."""
    values: dict[str, Any] = {}
    problems: list[FieldError] = []
    for name in names:
        try:
            if name == "licence_document_id":
                values[name] = await _licence(user, body.get(name))
            else:
                values[name] = _CHECKS[name](body)
        except FieldError as err:
            problems.append(err)
    if problems:
        raise FieldErrors(problems)  # nothing stored
    return values


async def _licence(user: User, doc_id: object) -> int | None:
    """The caller's own business licence photo (营业执照), or None to leave it out."""
    if doc_id is None:
        return None
    doc = await owned_document(user, doc_id, "licence_document_id")
    if doc.kind != "business_licence":
        raise FieldError("document_wrong_kind", "licence_document_id",
                         expected="business_licence", found=doc.kind)
    return doc.id


def check_uscc(body: dict[str, Any], field: str = "uscc") -> str:
    """The USCC of a request, checked with its GB 32100-2015 check character."""
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise FieldError("required" if value in (None, "") else "type_string", field)
    return v.check_uscc(value.strip(), field)


# --- who may see and change a profile ------------------------------------------------------


async def is_member(user: User, uscc: str) -> bool:
    """An admin of an authenticated unit, or a member of an exporting enterprise, of the USCC
    (both granted by the platform, never by a claim alone)."""
    unit_ids = await Unit.filter(uscc=uscc, status=UnitStatus.ACTIVE).values_list("id",
                                                                                  flat=True)
    if unit_ids and await UnitAdmin.filter(unit_id__in=list(unit_ids), user_id=user.id).exists():
        return True
    enterprise = await Enterprise.get_or_none(uscc=uscc)
    return enterprise is not None and await EnterpriseMember.filter(
        enterprise_id=enterprise.id, user_id=user.id).exists()


async def has_members(uscc: str) -> bool:
    """Whether the organisation of a USCC has members the platform granted."""
    if await UnitAdmin.filter(unit__uscc=uscc, unit__status=UnitStatus.ACTIVE).exists():
        return True
    return await EnterpriseMember.filter(enterprise__uscc=uscc).exists()


async def may_edit(user: User, profile: OrganisationProfile) -> bool:
    """R-P1b: a claim is its claimant's alone; a verified profile belongs to the
    organisation's members (its claimant only while it has none: someone who left loses
    it with their membership); a superseded claim to nobody."""
    mine: bool = profile.claimant_id == user.id  # type: ignore[attr-defined]
    if profile.status is ProfileStatus.CLAIMED:
        return mine
    if profile.status is ProfileStatus.SUPERSEDED:
        return False
    if await is_member(user, profile.uscc):
        return True
    return mine and not await has_members(profile.uscc)


async def readable(user: User, profile_id: int) -> OrganisationProfile:
    """A profile the caller may read (editors, its claimant, staff); others get a 404."""
    profile = await OrganisationProfile.get_or_none(id=profile_id)
    if profile is None:
        raise NotFound("profile_not_found", "id")
    if user.has_role(*STAFF_ROLES):
        await audit.record(user, "read", "profile", profile.id, ["contact_phone"])
        return profile
    mine = profile.claimant_id == user.id  # type: ignore[attr-defined]
    own_claim = mine and profile.status is not ProfileStatus.VERIFIED
    if own_claim or await may_edit(user, profile):
        return profile
    raise NotFound("profile_not_found", "id")  # a stranger cannot probe (R-U7)


async def usable(user: User, profile_id: object, field: str = "profile_id") -> \
        OrganisationProfile:
    """A profile the caller may fill a form from (R-P1a): one they may edit."""
    profile = await OrganisationProfile.get_or_none(
        id=ids.body_id(profile_id, field, "profile_not_found"))
    if profile is None or not await may_edit(user, profile):
        if profile is not None and profile.status is ProfileStatus.SUPERSEDED \
                and profile.claimant_id == user.id:  # type: ignore[attr-defined]
            raise Conflict("profile_superseded", field)
        raise FieldError("profile_not_found", field)
    return profile


async def of_user(user: User) -> list[OrganisationProfile]:
    """The caller's claims and the verified profiles of their organisations."""
    unit_usccs = await Unit.filter(status=UnitStatus.ACTIVE, admins__user_id=user.id) \
        .values_list("uscc", flat=True)
    ent_usccs = await Enterprise.filter(members__user_id=user.id).values_list("uscc", flat=True)
    usccs = {*unit_usccs, *ent_usccs}
    rows = await OrganisationProfile.filter(
        Q(claimant_id=user.id) | Q(uscc__in=list(usccs), status=ProfileStatus.VERIFIED)
    ).order_by("id").limit(200)
    return [p for p in rows if p.status is not ProfileStatus.VERIFIED
            or await may_edit(user, p)]


async def verified_for(uscc: str) -> OrganisationProfile | None:
    """The one verified profile of a USCC, if any."""
    return await OrganisationProfile.get_or_none(uscc=uscc, status=ProfileStatus.VERIFIED)


# --- create, change ------------------------------------------------------------------------


async def create(deps: Deps, user: User, body: dict[str, Any]) -> OrganisationProfile:
    """Enter an organisation's particulars once (R-P1). A USCC already verified for another
    organisation is refused without showing anything of it; twins make one profile."""
    problems: list[FieldError] = []
    uscc = ""
    try:
        uscc = check_uscc(body)
    except FieldError as err:
        problems.append(err)
    try:
        values = await _values(user, body, [*_CHECKS, "licence_document_id"])
    except FieldErrors as errs:
        problems += errs.errors
    if problems:
        raise FieldErrors(problems)
    verified = await verified_for(uscc)
    if verified is not None:
        if await may_edit(user, verified):
            raise Conflict("profile_exists", "uscc", profile_id=verified.id)
        raise Conflict("profile_uscc_verified", "uscc")  # R-P1b: not a stranger's to claim
    if await OrganisationProfile.exists(uscc=uscc, claimant_id=user.id):
        raise Conflict("profile_exists", "uscc")
    token, key = phones.seal(deps, values.pop("contact_phone"), PHONE_CONTEXT)
    doc_id = values.pop("licence_document_id")
    values["name"] = values.pop("organisation_name")
    try:
        async with in_transaction():
            profile = await OrganisationProfile.create(
                uscc=uscc, claimant=user, sealed={"contact_phone": token},
                contact_phone_key=key, licence_document_id=doc_id, **values)
            await ProfileChange.create(profile=profile, actor=user, field="created",
                                       new=uscc, version=1)
    except IntegrityError as exc:  # a twin of this very request won
        raise Conflict("profile_exists", "uscc") from exc
    await audit.record(user, "create", "profile", profile.id, ["contact_phone"])
    if await is_member(user, uscc):  # R-P1b: the organisation's own member vouches
        await verify(profile, user, "member")
        await profile.refresh_from_db()
    return profile


def _shown(deps: Deps, profile: OrganisationProfile, name: str) -> str:
    if name == "contact_phone":
        return phones.read(deps, profile.sealed, "contact_phone", PHONE_CONTEXT) or ""
    if name == "licence_document_id":
        doc = profile.licence_document_id  # type: ignore[attr-defined]
        return "" if doc is None else str(doc)
    return str(getattr(profile, ATTRS.get(name, name)))


def _masked(name: str, value: str) -> str:
    return (PERSONAL[name](value) or "") if name in PERSONAL and value else value


async def update(deps: Deps, user: User, profile_id: int, body: dict[str, Any]) -> \
        OrganisationProfile:
    """Change some fields (R-P1c): all checked first, written with one history line per
    changed field, against the version read (a change made meanwhile is a 409)."""
    profile = await readable(user, profile_id)
    if not await may_edit(user, profile):
        if profile.status is ProfileStatus.SUPERSEDED:
            raise Conflict("profile_superseded", "id")
        raise NotFound("profile_not_found", "id")
    if "uscc" in body:
        raise FieldError("profile_uscc_fixed", "uscc")
    version = body.get("version", profile.version)
    if not isinstance(version, int) or isinstance(version, bool):
        raise FieldError("type_int", "version")
    names = [n for n in (*_CHECKS, "licence_document_id") if n in body]
    values = await _values(user, body, names)
    changes = []
    for name, new in values.items():
        old = _shown(deps, profile, name)
        shown_new = "" if new is None else str(new)
        if old != shown_new:
            changes.append((name, old, shown_new, new))
    if not changes:
        return profile
    update: dict[str, Any] = {}
    for name, _, _, new in changes:
        if name == "contact_phone":
            token, key = phones.seal(deps, new, PHONE_CONTEXT)
            update["sealed"] = {**profile.sealed, "contact_phone": token}
            update["contact_phone_key"] = key
        else:
            update[ATTRS.get(name, name)] = new
    async with in_transaction():
        moved = await OrganisationProfile.filter(
            id=profile.id, version=version, status__not=ProfileStatus.SUPERSEDED).update(
            version=F("version") + 1, updated_at=clock.now(), **update)
        if not moved:
            raise Conflict("profile_changed_meanwhile", "version")
        for name, old, new_text, _ in changes:
            await ProfileChange.create(profile_id=profile.id, actor=user, field=name,
                                       old=_masked(name, old), new=_masked(name, new_text),
                                       version=version + 1)
    await audit.record(user, "update", "profile", profile.id, [c[0] for c in changes])
    await profile.refresh_from_db()
    return profile


async def verify(profile: OrganisationProfile, actor: User | None, how: str) -> bool:
    """Verify a claim (R-P1b) unless another profile of its USCC is verified already; the
    other claims of the USCC are then superseded. Safe inside the caller's transaction."""
    if profile.status is not ProfileStatus.CLAIMED:
        return profile.status is ProfileStatus.VERIFIED
    try:
        async with in_transaction():  # a savepoint: a lost race leaves the caller's work
            done = await OrganisationProfile.filter(
                id=profile.id, status=ProfileStatus.CLAIMED).update(
                status=ProfileStatus.VERIFIED, verified_at=clock.now(),
                verified_by_id=actor.id if actor else None, verified_how=how)
            if not done:
                return False
            await OrganisationProfile.filter(uscc=profile.uscc, status=ProfileStatus.CLAIMED) \
                .exclude(id=profile.id).update(status=ProfileStatus.SUPERSEDED)
            await ProfileChange.create(profile_id=profile.id, actor=actor, field="status",
                                       old=ProfileStatus.CLAIMED.value,
                                       new=f"{ProfileStatus.VERIFIED.value}:{how}",
                                       version=profile.version)
    except IntegrityError:  # another claim of this USCC was verified at the same moment
        return False
    await audit.record(actor, "update", "profile", profile.id, ["status"], how=how)
    return True


async def verify_by_staff(staff: User, profile_id: int) -> OrganisationProfile:
    """Staff vouch for a claim after checking its licence (R-P1b)."""
    require_role(staff, *VERIFIER_ROLES)
    profile = await OrganisationProfile.get_or_none(id=profile_id)
    if profile is None:
        raise NotFound("profile_not_found", "id")
    if profile.status is ProfileStatus.SUPERSEDED:
        raise Conflict("profile_superseded", "status")
    if profile.status is ProfileStatus.CLAIMED and not await verify(profile, staff, "staff"):
        raise Conflict("profile_uscc_verified", "uscc")
    await profile.refresh_from_db()
    return profile


async def verify_used(profile_id: object, actor: User, how: str) -> None:
    """An approval of a registration or filing made from a profile verifies it (R-P1b)."""
    if not isinstance(profile_id, int):
        return
    profile = await OrganisationProfile.get_or_none(id=profile_id)
    if profile is not None:
        await verify(profile, actor, how)


# --- views ---------------------------------------------------------------------------------


def contact_phone(deps: Deps, profile: OrganisationProfile) -> str:
    """The clear contact phone, for filling a form server-side only (never a response)."""
    return phones.read(deps, profile.sealed, "contact_phone", PHONE_CONTEXT) or ""


def masked_phone(deps: Deps, profile: OrganisationProfile) -> str | None:
    """The contact phone as every viewer sees it, masked (R-U7)."""
    return mask_phone(contact_phone(deps, profile))


async def history(profile: OrganisationProfile) -> list[dict[str, Any]]:
    """The profile's changes, oldest first: who, when, which field, old and new (masked)."""
    rows = await ProfileChange.filter(profile_id=profile.id).order_by("id") \
        .prefetch_related("actor")
    return [{"at": r.at.isoformat(), "field": r.field, "old": r.old, "new": r.new,
             "version": r.version, "actor_id": r.actor.id if r.actor else None,
             "actor": (mask_name(r.actor.display_name) or r.actor.username or "")
             if r.actor else ""} for r in rows]


async def for_staff(uscc: str | None) -> list[OrganisationProfile]:
    """Profiles of one USCC (or the latest ones) for the back office."""
    query = OrganisationProfile.all()
    if uscc:  # checked like any USCC: a hostile query string is a 422 naming it
        query = query.filter(uscc=check_uscc({"uscc": uscc}))
    return await query.order_by("-id").limit(200)
