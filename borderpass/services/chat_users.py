"""Chat users — 公众号用户: the BorderPass user behind an Official Account openid.

An Official Account openid differs from the mini-program openid of the same person; the
notification recipient row (``Recipient.oa_openid``) ties it to the user, and a unionid,
when known, finds the account the mini-program already created.
"""

from __future__ import annotations

from borderpass.core.i18n import LOCALES
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.notify import Recipient
from borderpass.services import notify


async def official_account_user(oa_openid: str, unionid: str | None = None,
                                locale: str | None = None) -> User:
    """The active user writing from ``oa_openid``, created as a driver on first contact."""
    recipient = await Recipient.get_or_none(oa_openid=oa_openid)
    if recipient is not None:
        user = await User.get_or_none(id=recipient.user_id, is_active=True)  # type: ignore[attr-defined]
        if user is not None:
            return user
    user = await User.filter(unionid=unionid).first() if unionid else None
    if user is None:
        user = await User.create(unionid=unionid, roles=[Role.DRIVER.value],
                                 locale=locale if locale in LOCALES else "zh_CN")
    await notify.link_official_account(user, oa_openid)  # pushes reach them in chat too
    return user
