"""Units (单位): registration, back-office authentication, unit admins, one code per unit.

R-U1 who may register, R-U2 authentication and 一单位一码. The registration code is a
WeChat scene token bound to the unit: the mini-program (``getUnlimited`` image, see
``unit_codes``) and the chat bot (QR scan event) both resolve it with :func:`unit_for_scene`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from borderpass.core import ids
from borderpass.core.errors import BorderPassError, Conflict, FieldError, FieldErrors, NotFound
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.units import (
    RegistrationCode,
    Unit,
    UnitAdmin,
    UnitDocument,
    UnitKind,
    UnitStatus,
)
from borderpass.services import audit, clock
from borderpass.services import validators as v
from borderpass.services.filings import profile_prefill, profiles
from borderpass.services.filings.documents import owned_document
from borderpass.services.identity import phones
from borderpass.services.identity.access import require_role
from borderpass.services.ports import Deps
from borderpass.services.units import unit_notices
from borderpass.services.validators import choice

UNIT_DOCUMENT_KINDS = ("business_licence", "unit_seal", "official_letter", "other")
# R-U1: an enterprise or social organisation shows its licence, a public body its letter.
REQUIRED_DOCUMENTS: dict[UnitKind, tuple[str, ...]] = {
    UnitKind.GOVERNMENT: ("official_letter",),
    UnitKind.ENTERPRISE: ("business_licence",),
    UnitKind.SOCIAL_ORGANISATION: ("business_licence",),
    UnitKind.COMMUNITY: ("official_letter",),
    UnitKind.FREQUENT_PASSAGE: ("official_letter",),
}
REGISTER_KEYS = frozenset({"unit_name", "unit_kind", "uscc", "contact_name", "contact_phone",
                           "documents", "profile_id"})
SCENE_PREFIX = "u"  # 1 + 22 URL-safe characters: inside WeChat's 32-character scene alphabet
MAX_NAME = 100


class Gone(BorderPassError):
    """The scene token was revoked or its unit is no longer active: 410, do not retry."""

    status = 410
    default_code = "unit_code_revoked"


def _text(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FieldError("required", name)
    if not isinstance(value, str):
        raise FieldError("type_string", name)
    if len(value.strip()) > limit:
        raise FieldError("length", name, max=limit)
    return " ".join(value.split())


def _kind(value: object) -> UnitKind:
    return choice(UnitKind, value, "unit_kind")


async def _documents(user: User, kind: UnitKind | None, raw: object,
                     trusted: frozenset[int] = frozenset()) -> tuple[
        dict[str, int], list[FieldError]]:
    """The {kind: document id} map: the caller's own documents of the named kinds."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return {}, [FieldError("type_object", "documents")]
    docs: dict[str, int] = {}
    problems: list[FieldError] = []
    for slot, doc_id in raw.items():
        path = f"documents.{slot}"
        if slot not in UNIT_DOCUMENT_KINDS:
            problems.append(FieldError("document_kind", path))
            continue
        try:
            doc = await owned_document(user, doc_id, path, trusted)
        except FieldError as err:
            problems.append(err)
            continue
        if doc.kind != slot:
            problems.append(FieldError("document_wrong_kind", path, expected=slot,
                                       found=doc.kind))
        docs[slot] = doc.id
    for needed in REQUIRED_DOCUMENTS.get(kind, ()) if kind else ():
        if needed not in raw:
            problems.append(FieldError("document_required", f"documents.{needed}"))
    return docs, problems


async def register(deps: Deps, user: User, body: dict[str, Any]) -> Unit:
    """Register a unit, pending authentication; the registrant becomes its unit admin (R-U2).

    The contact phone is stored sealed and blind-indexed, never in clear (R-U7). With a
    ``profile_id`` the organisation's fields come from its profile (R-P1a)."""
    body, profile, trusted = await profile_prefill.fill(deps, user, body, "unit")
    values: dict[str, Any] = {}
    problems: list[FieldError] = []
    checks: dict[str, Callable[[], Any]] = {
        "name": lambda: _text(body, "unit_name", MAX_NAME),
        "kind": lambda: _kind(body.get("unit_kind")),
        "uscc": lambda: v.check_uscc(_text(body, "uscc", 40), "uscc"),
        "contact_name": lambda: v.check_name(_text(body, "contact_name", 50), "contact_name"),
        "contact_phone": lambda: v.check_phone(_text(body, "contact_phone", 30),
                                               "contact_phone"),
    }
    for name, check in checks.items():
        try:
            values[name] = check()
        except FieldError as err:
            problems.append(err)
    docs, doc_problems = await _documents(user, values.get("kind"), body.get("documents"),
                                          trusted)
    problems += doc_problems
    if problems:
        raise FieldErrors(problems)  # every problem at once, nothing stored
    live = (UnitStatus.PENDING, UnitStatus.ACTIVE)
    if await Unit.filter(uscc=values["uscc"], status__in=live).exists():
        raise Conflict("unit_uscc_taken", "uscc")
    async with in_transaction():
        phone = values.pop("contact_phone")
        token, key = phones.seal(deps, phone, "unit.contact_phone")
        unit = await Unit.create(registered_by=user, contact_phone="", contact_phone_key=key,
                                 sealed={"contact_phone": token}, profile=profile, **values)
        for slot, doc_id in docs.items():
            await UnitDocument.create(unit=unit, kind=slot, document_id=doc_id)
        await add_admin_role(unit, user)
    await audit.record(user, "create", "unit", unit.id, ["contact_name", "contact_phone"])
    return unit


async def add_admin_role(unit: Unit, user: User) -> None:
    """Make ``user`` a unit admin of ``unit`` (a UnitAdmin row and the unit_admin role)."""
    await UnitAdmin.get_or_create(unit=unit, user=user)
    if Role.UNIT_ADMIN.value not in user.roles:
        user.roles = [*user.roles, Role.UNIT_ADMIN.value]
        await user.save(update_fields=["roles"])


async def add_admin(actor: User, unit_id: int, user_id: object) -> UnitAdmin:
    """Let a unit admin (or the platform) name another admin of the unit."""
    unit = await managed_unit(actor, unit_id, platform=True)
    other = await User.get_or_none(id=ids.body_id(user_id, "user_id", "user_not_found"),
                                   is_active=True)
    if other is None:
        raise FieldError("user_not_found", "user_id")
    await add_admin_role(unit, other)
    await audit.record(actor, "update", "unit", unit.id, ["admins"], user_id=other.id)
    return await UnitAdmin.get(unit=unit, user=other)


async def is_unit_admin(user: User, unit: Unit) -> bool:
    """True when ``user`` holds the unit_admin role for this very unit."""
    return user.has_role(Role.UNIT_ADMIN) and await UnitAdmin.filter(
        unit_id=unit.id, user_id=user.id).exists()


async def managed_unit(user: User, unit_id: int, *, platform: bool = False,
                       active: bool = False) -> Unit:
    """The unit ``user`` administers (or any unit for the platform when allowed), else 404."""
    unit = await Unit.get_or_none(id=unit_id)
    allowed = unit is not None and (
        (platform and user.has_role(Role.ADMIN)) or await is_unit_admin(user, unit))
    if unit is None or not allowed:
        raise NotFound("unit_not_found", "id")  # another unit's admin cannot probe (R-U7)
    if active and unit.status is not UnitStatus.ACTIVE:
        raise Conflict("unit_not_active", "status", status=unit.status.value)
    return unit


async def units_of(user: User) -> list[Unit]:
    """The units the user administers."""
    ids = await UnitAdmin.filter(user_id=user.id).values_list("unit_id", flat=True)
    return await Unit.filter(id__in=list(ids)).order_by("id")


async def units_by_status(admin: User, status: str | None) -> list[Unit]:
    """Units for the back office, by status (pending first by default)."""
    require_role(admin, Role.ADMIN)
    wanted = choice(UnitStatus, status or UnitStatus.PENDING.value, "status")
    return await Unit.filter(status=wanted).order_by("id").limit(500)


async def authenticate(admin: User, unit_id: int, approve: object, reason: object) -> Unit:
    """Back-office authentication: activate the unit and issue its code, or refuse (R-U2)."""
    require_role(admin, Role.ADMIN)
    if not isinstance(approve, bool):
        raise FieldError("type_bool", "approve")
    if reason is not None and not isinstance(reason, str):
        raise FieldError("type_string", "reason")
    note = (reason or "").strip()
    if not approve and not note:
        raise FieldError("required", "reason")
    if len(note) > 500:
        raise FieldError("length", "reason", max=500)
    unit = await Unit.get_or_none(id=unit_id)
    if unit is None:
        raise NotFound("unit_not_found", "id")
    async with in_transaction():
        changed = await Unit.filter(id=unit_id, status=UnitStatus.PENDING).update(
            status=UnitStatus.ACTIVE if approve else UnitStatus.REFUSED, decided_by_id=admin.id,
            decided_at=clock.now(), refusal_reason="" if approve else note)
        if not changed:
            raise Conflict("unit_not_pending", "status", status=unit.status.value)
        await unit.refresh_from_db()
        if approve:
            await issue_code(unit)
            await profiles.verify_used(unit.profile_id,  # type: ignore[attr-defined]
                                       admin, "unit_authenticated")  # R-P1b
        await unit_notices.notify(await unit.registered_by, unit,  # with it (issue #18)
                                  "unit_authenticated" if approve else "unit_refused",
                                  reason=note)
    await audit.record(admin, "update", "unit", unit.id, ["status"], approve=approve)
    return unit


# --- the registration code (一单位一码, R-U2) ------------------------------------------------


async def issue_code(unit: Unit) -> RegistrationCode:
    """Revoke the unit's live code, if any, and bind a fresh scene token to the unit."""
    await RegistrationCode.filter(unit_id=unit.id, revoked_at=None).update(revoked_at=clock.now())
    return await RegistrationCode.create(unit=unit, scene=SCENE_PREFIX + secrets.token_urlsafe(16))


async def unit_for_scene(scene: str) -> Unit | None:
    """The active unit a live scene token belongs to, or None (used by the bot's scan event)."""
    code = await RegistrationCode.get_or_none(scene=scene, revoked_at=None)
    if code is None:
        return None
    unit = await Unit.get(id=code.unit_id)  # type: ignore[attr-defined]
    return unit if unit.status is UnitStatus.ACTIVE else None


async def unit_by_scene(scene: object, field: str = "scene") -> Unit:
    """Like :func:`unit_for_scene`, but says why a scene does not lead to a unit."""
    if not isinstance(scene, str) or not 1 <= len(scene) <= 32 or not (
            scene.isascii() and scene.isprintable()):  # WeChat's scene alphabet is ASCII
        raise FieldError("unit_code_unknown", field)
    code = await RegistrationCode.get_or_none(scene=scene)
    if code is None:
        raise NotFound("unit_code_unknown", field)
    if code.revoked_at is not None:
        raise Gone("unit_code_revoked", field)
    unit = await Unit.get(id=code.unit_id)  # type: ignore[attr-defined]
    if unit.status is not UnitStatus.ACTIVE:
        raise Gone("unit_not_active", field, status=unit.status.value)
    return unit


# --- views -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitView:
    """A unit with what its view needs besides the row: the contact phone opened (the
    presenter masks it for every viewer, R-U7), its documents by kind, and its code's scene
    for its own admins and the platform only."""

    unit: Unit
    contact_phone: str
    documents: dict[str, int]
    scene: str | None


async def view(deps: Deps, unit: Unit, viewer: User) -> UnitView:
    """A unit as its admins and the back office see it."""
    phone = phones.read(deps, unit.sealed, "contact_phone", "unit.contact_phone",
                        unit.contact_phone) or ""
    own = viewer.has_role(Role.ADMIN) or await is_unit_admin(viewer, unit)
    docs = await UnitDocument.filter(unit_id=unit.id).values_list("kind", "document_id")
    code = await RegistrationCode.filter(unit_id=unit.id, revoked_at=None).first()
    return UnitView(unit, phone, dict(docs), code.scene if code and own else None)
