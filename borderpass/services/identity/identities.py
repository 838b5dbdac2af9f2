"""Identity links — 身份关联: one person is one user, whether they come through the
mini-program or the Official Account (issue #4).

WeChat gives a person a different openid in every app, but the same unionid in every app
bound to one open-platform account (the mini-program's ``code2Session``, the Official
Account's ``cgi-bin/user/info``). Whichever side learns a unionid calls
:func:`claim_unionid`, so a draft started in chat is found by the mini-program and back.

When another account already carries the unionid, the rule is:

- the two are joined only when one of them holds nothing yet: no row anywhere points at
  it (filings, documents, declarations, unit entries, notifications …) except its Official
  Account link and subscribe grants, which move with it. The empty account is absorbed:
  its openid and Official Account link move to the other, and it is deactivated (its
  sessions end; the next login finds the survivor);
- two accounts that both have their own data are never merged silently: they stay apart,
  and a warning with both user ids and the unionid masked is logged for an administrator;
- a staff account (username and password) never joins a WeChat identity, whatever it
  holds: a WeChat login must never open a session with staff roles.
"""

from __future__ import annotations

import logging
from functools import cache

from tortoise.models import Model
from tortoise.transactions import in_transaction

from borderpass.core.masking import mask_number
from borderpass.models import PrivacyConsent, User, UserSession
from borderpass.models.notify import Recipient, SubscribeGrant

log = logging.getLogger("borderpass.identities")
# A consent to the privacy notice is the person's too (R-D1): it moves with the account.
_FOLLOW_THE_PERSON: tuple[type[Model], ...] = (Recipient, SubscribeGrant, PrivacyConsent)
_NOT_DATA: tuple[type[Model], ...] = (UserSession,)  # a login, not something stored


@cache
def _references() -> tuple[tuple[type[Model], str], ...]:
    """Every (model, column) pointing at a user, except links that follow the person and
    login sessions."""
    meta = User._meta
    found = []
    for name in sorted(meta.backward_fk_fields | meta.backward_o2o_fields):
        relation = meta.fields_map[name]  # a backward relation: the model pointing at users
        model: type[Model] = getattr(relation, "related_model")  # noqa: B009
        if model not in _FOLLOW_THE_PERSON + _NOT_DATA:
            found.append((model, str(getattr(relation, "relation_field"))))  # noqa: B009
    return tuple(found)


def is_staff(user: User) -> bool:
    """A back-office account, which logs in with a password and never through WeChat."""
    return user.username is not None or user.password_hash is not None


async def holds_data(user: User) -> bool:
    """True when anything is stored under ``user``."""
    for model, column in _references():
        if await model.filter(**{column: user.id}).exists():
            return True
    return False


async def claim_unionid(user: User, unionid: str) -> User:
    """The user who carries ``unionid`` from now on: ``user``, or the twin it joined."""
    if user.unionid == unionid:
        return user
    if user.unionid is not None:
        # WeChat never changes a person's unionid: two different ones are two people.
        log.warning("unionid mismatch kept apart", extra={
            "user_id": user.id, "unionid": mask_number(unionid, 4, 2)})
        return user
    twin = await User.filter(unionid=unionid, is_active=True).exclude(id=user.id) \
        .order_by("id").first()
    if twin is None:
        user.unionid = unionid
        await user.save(update_fields=["unionid"])
        return user
    return await join(user, twin, unionid)


async def join(first: User, second: User, unionid: str) -> User:
    """Join two accounts of one unionid when one is empty; else keep both and warn."""
    if is_staff(first) or is_staff(second):
        log.warning("a unionid matches a staff account; not linked", extra={
            "user_ids": [first.id, second.id], "unionid": mask_number(unionid, 4, 2)})
        return first
    if not await holds_data(first):
        survivor, absorbed = second, first
    elif not await holds_data(second):
        survivor, absorbed = first, second
    else:
        log.warning("two accounts with their own data share a unionid; not merged", extra={
            "user_ids": [first.id, second.id], "unionid": mask_number(unionid, 4, 2)})
        return first
    await _absorb(survivor, absorbed, unionid)
    log.info("accounts joined by unionid", extra={
        "user_id": survivor.id, "absorbed_user_id": absorbed.id})
    return survivor


async def _absorb(survivor: User, absorbed: User, unionid: str) -> None:
    """Move the empty account's openid, grants and Official Account link to the survivor."""
    from borderpass.services import notify

    async with in_transaction():
        openid = survivor.openid or absorbed.openid
        await User.filter(id=absorbed.id).update(openid=None, unionid=None, is_active=False)
        await UserSession.filter(user_id=absorbed.id).delete()  # its sessions end
        absorbed.openid, absorbed.unionid, absorbed.is_active = None, None, False
        survivor.openid, survivor.unionid = openid, unionid
        await survivor.save(update_fields=["openid", "unionid"])
        if not await SubscribeGrant.filter(user_id=survivor.id).exists():
            await SubscribeGrant.filter(user_id=absorbed.id).update(user_id=survivor.id)
        await PrivacyConsent.filter(user_id=absorbed.id).update(user_id=survivor.id)
    old = await Recipient.get_or_none(user_id=absorbed.id)
    mine = await Recipient.get_or_none(user_id=survivor.id)
    if old is not None and old.oa_openid and (mine is None or mine.oa_openid is None):
        contact = old.last_contact_at
        recipient = await notify.link_official_account(survivor, old.oa_openid)
        if contact is not None and recipient.last_contact_at is None:
            recipient.last_contact_at = contact
            await recipient.save(update_fields=["last_contact_at"])
