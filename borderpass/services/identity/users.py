"""Users: WeChat drivers, staff accounts and their profiles.

Sessions live in :mod:`borderpass.services.identity.sessions`, staff login and passwords in
:mod:`borderpass.services.identity.staff`.
"""

from __future__ import annotations

from borderpass.core.errors import Conflict, FieldError
from borderpass.core.i18n import LOCALES
from borderpass.models import LoginLock, User
from borderpass.models.enums import Role
from borderpass.services import audit
from borderpass.services.identity import passwords, phones
from borderpass.services.ports import Deps


async def wechat_user(openid: str, unionid: str | None, locale: str | None = None) -> User:
    """The user of a WeChat identity, created as a driver on first login."""
    from borderpass.services.identity import identities

    user = await User.get_or_none(openid=openid)
    if user is None and unionid:
        # Perhaps first seen in the Official Account chat (same unionid, issue #4).
        user = await User.filter(unionid=unionid, is_active=True, username__isnull=True) \
            .order_by("id").first()
        if user is not None and user.openid is None:
            user.openid = openid
            await user.save(update_fields=["openid"])
    if user is None:
        user = await User.create(
            openid=openid,
            unionid=unionid,
            roles=[Role.DRIVER.value],
            locale=locale if locale in LOCALES else "zh_CN",
        )
    elif unionid and user.unionid != unionid:
        user = await identities.claim_unionid(user, unionid)  # joins only an empty twin
    return user


async def add_staff(username: str, password: str, roles: list[str], name: str = "") -> User:
    """Create a staff account; the password meets the policy and is hashed off the loop."""
    for role in roles:
        if role not in {r.value for r in Role}:
            raise FieldError("role_unknown", "roles", role=role)
    if not 1 <= len(username) <= 64:
        raise FieldError("length", "username", max=64)
    passwords.check_policy(username, password)
    if await User.filter(username=username).exists():
        raise Conflict("username_taken", "username")
    user = await User.create(
        username=username,
        password_hash=await passwords.hash_password(password),
        roles=roles,
        display_name=name or username,
    )
    # A lock an attacker left on the name before it existed is not this account's.
    for lock in await LoginLock.filter(username=username):
        if await LoginLock.filter(id=lock.id).delete():
            await audit.record(None, "login_unlock", "login_lock", lock.id, username=username,
                               failures=lock.failures, via="account_created")
    return user


def phone_of(deps: Deps, user: User) -> str | None:
    """The user's own phone (sealed, or clear from before sealing)."""
    return phones.read(deps, user.sealed, "phone", "user.phone", user.phone)


async def update_profile(deps: Deps, user: User, changes: dict[str, str]) -> User:
    """Change the user's own display name, phone (sealed, R-U7), locale or time zone."""
    from borderpass.services.validators import check_phone

    if "locale" in changes:
        if changes["locale"] not in LOCALES:
            raise FieldError("locale_unknown", "locale")
        user.locale = changes["locale"]
    if "display_name" in changes:
        name = changes["display_name"].strip()
        if not 0 < len(name) <= 100:
            raise FieldError("length", "display_name", max=100)
        user.display_name = name
    if "phone" in changes:
        token, user.phone_key = phones.seal(deps, check_phone(changes["phone"], "phone"),
                                            "user.phone")
        user.phone, user.sealed = None, {**user.sealed, "phone": token}
    if "timezone" in changes:
        from zoneinfo import available_timezones

        if changes["timezone"] not in available_timezones():
            raise FieldError("timezone_unknown", "timezone")
        user.timezone = changes["timezone"]
    await user.save()
    return user
