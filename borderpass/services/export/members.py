"""Enterprise members (R-E2: who exports, applies): invited or added by a member, removed by
a member but never the last one, one of them the contact person. Each change is audited.

Membership is granted by an approved filing (the applicant of an enterprise's first approved
filing, ``enterprises.approve``) or by a member; a refused filing grants nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from borderpass.adapters import constraints
from borderpass.core import ids
from borderpass.core.errors import Conflict, FieldError, NotFound
from borderpass.models import User
from borderpass.models.export import Enterprise, EnterpriseInvitation, EnterpriseMember
from borderpass.services import audit, clock
from borderpass.services.export.forms import is_member
from borderpass.services.identity import phones, users
from borderpass.services.ports import Deps
from borderpass.services.validators import check_phone

INVITATION_DAYS = 7
ADD_KEYS = frozenset({"user_id", "phone"})


async def visible(user: User, enterprise_id: int) -> Enterprise:
    """One of the user's enterprises; any other id is a 404, like an unknown one."""
    enterprise = await Enterprise.get_or_none(id=enterprise_id)
    if enterprise is None or not await is_member(user, enterprise):
        raise NotFound("export_enterprise_not_found", "id")
    return enterprise


def _code_key(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


# unique_together (enterprise, user): the name Tortoise gave it (migrations_export/0001)
_ONE_MEMBERSHIP = "uid_export_ente_enterpr_a97d73"


async def grant(enterprise: Enterprise, user: User, actor: User | None, how: str) -> \
        EnterpriseMember:
    """Make ``user`` a member (the first member is the contact); audited. Call it in the
    transaction of the change that grants it."""
    first = not await EnterpriseMember.filter(enterprise_id=enterprise.id).exists()
    try:
        async with in_transaction():
            member = await EnterpriseMember.create(enterprise=enterprise, user=user,
                                                   is_contact=first, added_by=actor)
    except IntegrityError as exc:
        if not await constraints.violates(exc, _ONE_MEMBERSHIP):
            raise
        raise Conflict("export_member_exists", "user_id") from exc
    await audit.record(actor, "create", "export_member", member.id, ["user_id"],
                       enterprise_id=enterprise.id, user_id=user.id, how=how)
    return member


async def members(user: User, enterprise_id: int) -> list[EnterpriseMember]:
    """The members of one of the user's enterprises, oldest first."""
    enterprise = await visible(user, enterprise_id)
    return await EnterpriseMember.filter(enterprise_id=enterprise.id).order_by("id") \
        .prefetch_related("user")


@dataclass(frozen=True)
class Colleague:
    """A member with their phone opened (the presenter masks it for colleagues, R-U7)."""

    member: EnterpriseMember
    phone: str | None


def colleague(deps: Deps, member: EnterpriseMember) -> Colleague:
    """A member (its ``user`` fetched) as the other members see them."""
    return Colleague(member, users.phone_of(deps, member.user))


async def invite(user: User, enterprise_id: int) -> tuple[EnterpriseInvitation, str]:
    """A one-use code, valid 7 days, for a colleague to join (the code is shown once)."""
    enterprise = await visible(user, enterprise_id)
    code = secrets.token_urlsafe(12)
    invitation = await EnterpriseInvitation.create(
        enterprise=enterprise, code_key=_code_key(code), created_by=user,
        expires_at=clock.now() + timedelta(days=INVITATION_DAYS))
    await audit.record(user, "create", "export_invitation", invitation.id, [],
                       enterprise_id=enterprise.id)
    return invitation, code


async def accept(user: User, code: object) -> EnterpriseMember:
    """Join the enterprise of an invitation code; the code is spent once, even by twins."""
    if not isinstance(code, str) or not 8 <= len(code) <= 64:
        raise FieldError("export_invite_unknown", "code")
    invitation = await EnterpriseInvitation.get_or_none(code_key=_code_key(code))
    now = clock.now()
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        raise FieldError("export_invite_unknown", "code")
    enterprise = await Enterprise.get(id=invitation.enterprise_id)  # type: ignore[attr-defined]
    if await EnterpriseMember.filter(enterprise_id=enterprise.id, user_id=user.id).exists():
        raise Conflict("export_member_exists", "code")
    async with in_transaction():
        spent = await EnterpriseInvitation.filter(id=invitation.id, used_at=None).update(
            used_at=now, used_by_id=user.id)
        if not spent:
            raise FieldError("export_invite_unknown", "code")
        creator = await User.get(id=invitation.created_by_id)  # type: ignore[attr-defined]
        member = await grant(enterprise, user, creator, "invitation")
    return member


async def add(deps: Deps, actor: User, enterprise_id: int, body: dict[str, Any]) -> \
        EnterpriseMember:
    """A member adds a colleague by their user id or the phone they registered."""
    enterprise = await visible(actor, enterprise_id)
    given = [k for k in ("user_id", "phone") if body.get(k) is not None]
    if len(given) != 1:
        raise FieldError("export_member_one_way", "user_id")
    if given[0] == "user_id":
        other = await User.get_or_none(
            id=ids.body_id(body["user_id"], "user_id", "export_member_user"), is_active=True)
    else:
        if not isinstance(body["phone"], str):
            raise FieldError("type_string", "phone")
        key = phones.index(deps, check_phone(body["phone"], "phone"))
        found = await User.filter(phone_key=key, is_active=True).order_by("id").limit(2)
        other = found[0] if len(found) == 1 else None  # an ambiguous phone adds nobody
    if other is None or other.username is not None:  # staff accounts do not export
        raise FieldError("export_member_user", given[0])
    return await grant(enterprise, other, actor, given[0])


async def remove(actor: User, enterprise_id: int, member_id: int) -> EnterpriseMember:
    """A member removes a member (themselves too), never the last one; the contact role
    passes to the longest-standing member left."""
    enterprise = await visible(actor, enterprise_id)
    async with in_transaction():
        await Enterprise.select_for_update().get(id=enterprise.id)  # one removal at a time
        member = await EnterpriseMember.get_or_none(id=member_id, enterprise_id=enterprise.id)
        if member is None:
            raise NotFound("export_member_not_found", "id")
        if await EnterpriseMember.filter(enterprise_id=enterprise.id).count() <= 1:
            raise Conflict("export_member_last", "id")
        await member.delete()
        if member.is_contact:
            heir = await EnterpriseMember.filter(enterprise_id=enterprise.id).order_by("id") \
                .first()
            if heir is not None:
                await EnterpriseMember.filter(id=heir.id).update(is_contact=True)
        await audit.record(actor, "delete", "export_member", member_id, ["user_id"],
                           enterprise_id=enterprise.id,
                           user_id=member.user_id)  # type: ignore[attr-defined]
    return member


async def set_contact(actor: User, enterprise_id: int, member_id: int) -> EnterpriseMember:
    """Make one member the enterprise's contact person (exactly one at a time)."""
    enterprise = await visible(actor, enterprise_id)
    async with in_transaction():
        await Enterprise.select_for_update().get(id=enterprise.id)
        member = await EnterpriseMember.get_or_none(id=member_id, enterprise_id=enterprise.id)
        if member is None:
            raise NotFound("export_member_not_found", "id")
        await EnterpriseMember.filter(enterprise_id=enterprise.id).exclude(id=member.id) \
            .update(is_contact=False)
        await EnterpriseMember.filter(id=member.id).update(is_contact=True)
        await audit.record(actor, "update", "export_member", member.id, ["is_contact"],
                           enterprise_id=enterprise.id)
    await member.refresh_from_db()
    return member
