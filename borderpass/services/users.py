"""Users and sessions: WeChat drivers, staff accounts, opaque bearer tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from borderpass.core import rows
from borderpass.core.errors import Conflict, FieldError, Unauthorized
from borderpass.core.i18n import LOCALES
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.services import phones
from borderpass.services.ports import Deps

_hasher = PasswordHasher()
_SESSION_PREFIX = "session:"


def session_key(token: str) -> str:
    """The Redis key of a session: a hash of the token, so a Redis dump does not leak live
    sessions."""
    return _SESSION_PREFIX + hashlib.sha256(token.encode()).hexdigest()


async def wechat_user(openid: str, unionid: str | None, locale: str | None = None) -> User:
    """The user of a WeChat identity, created as a driver on first login."""
    from borderpass.services import identities

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
    """Create a staff account (argon2-hashed password)."""
    for role in roles:
        if role not in {r.value for r in Role}:
            raise FieldError("role_unknown", "roles", role=role)
    if len(password) < 8:
        raise FieldError("password_short", "password")
    if await User.filter(username=username).exists():
        raise Conflict("username_taken", "username")
    return await User.create(
        username=username,
        password_hash=_hasher.hash(password),
        roles=roles,
        display_name=name or username,
    )


async def staff_login(username: str, password: str) -> User:
    """The staff user for a correct username and password."""
    user = await User.get_or_none(username=username, is_active=True)
    try:
        if user is None or user.password_hash is None:
            raise VerificationError
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise Unauthorized("bad_credentials", "password") from exc
    return user


async def open_session(deps: Deps, user: User) -> str:
    """A new opaque session token for ``user``, expiring after the session TTL."""
    token = secrets.token_urlsafe(32)
    await deps.kv.set(session_key(token), str(user.id), ex=deps.session_ttl)
    return token


async def session_user(deps: Deps, token: str) -> User:
    """The active user of a session token, or Unauthorized."""
    return await active_user(await deps.kv.get(session_key(token)) if token else None)


async def active_user(user_id: bytes | str | None) -> User:
    """The active user of the id a session holds (None: no session), or Unauthorized."""
    found = await rows.select(User, "id = {} AND is_active", int(user_id)) if user_id else []
    if not found:
        raise Unauthorized("session_invalid")
    return found[0]


def phone_of(deps: Deps, user: User) -> str | None:
    """The user's own phone (sealed, or clear from before sealing)."""
    return phones.read(deps, user.sealed, "phone", "user.phone", user.phone)


async def close_session(deps: Deps, token: str) -> None:
    """Log out: forget the token."""
    await deps.kv.delete(session_key(token))


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
