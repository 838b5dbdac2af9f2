"""Chat users — 公众号用户: the BorderPass user behind an Official Account openid.

An Official Account openid differs from the mini-program openid of the same person; the
notification recipient row (``Recipient.oa_openid``) ties it to the user. The unionid (from
``cgi-bin/user/info``, when the accounts are bound on the open platform) finds the account
the mini-program already created, on the first contact, under the rule of
:mod:`borderpass.services.identity.identities`.
"""

from __future__ import annotations

from borderpass.core.i18n import LOCALES
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.notify import Recipient
from borderpass.services import notify
from borderpass.services.identity import identities


async def linked_user(oa_openid: str) -> User | None:
    """The active user already tied to ``oa_openid``, if any."""
    recipient = await Recipient.get_or_none(oa_openid=oa_openid)
    if recipient is None:
        return None
    return await User.get_or_none(id=recipient.user_id, is_active=True)  # type: ignore[attr-defined]


async def official_account_user(oa_openid: str, unionid: str | None = None,
                                locale: str | None = None) -> User:
    """The active user writing from ``oa_openid``, created as a driver on first contact."""
    user = await linked_user(oa_openid)
    if user is not None:
        # Known, but perhaps created before its unionid was (WeChat was unreachable).
        return await identities.claim_unionid(user, unionid) if unionid else user
    user = await User.filter(unionid=unionid, is_active=True, username__isnull=True) \
        .order_by("id").first() if unionid else None  # never a staff account
    if user is None:
        user = await User.create(unionid=unionid, roles=[Role.DRIVER.value],
                                 locale=locale if locale in LOCALES else "zh_CN")
    await notify.link_official_account(user, oa_openid)  # pushes reach them in chat too
    return user
