"""Staff accounts: password login with throttling and lockout, password change and reset.

MLPS level 3 (等保三级) asks for login-failure handling (delays, lockout) and a password
policy; R-U7 asks that every such act be audited. One function per act, shared by the API,
the console and the CLI. Unknown names cost the same argon2 work as known ones and get
the same answer, so neither timing nor wording tells whether an account exists.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from borderpass.adapters import constraints
from borderpass.core.errors import Conflict, FieldError, Forbidden, NotFound, Unauthorized
from borderpass.models import LoginLock, User
from borderpass.models.enums import Role
from borderpass.services import audit, clock
from borderpass.services.identity import login_throttle, passwords, sessions
from borderpass.services.identity.access import require_role
from borderpass.services.ports import Deps


class LoginLocked(Forbidden):
    """The login name is locked after too many failures; only an admin unlocks it."""

    default_code = "login_locked"


def _check_name(username: str) -> None:
    if not 1 <= len(username) <= 64:
        raise FieldError("length", "username", max=64)


async def login(deps: Deps, username: str, password: str, address: str) -> User:
    """The staff user for a correct name and password (R-U7, MLPS level 3).

    Locked names → 403 ``login_locked``; a running delay → 429 ``login_throttled``;
    anything else wrong → 401 ``bad_credentials``, after the same hashing work."""
    _check_name(username)
    if await LoginLock.exists(username=username):
        await login_throttle.failed(deps.kv, deps.login, address)
        raise LoginLocked(None, "username")
    attempts = await login_throttle.attempt(deps.kv, deps.login, username, address)
    user = await User.get_or_none(username=username)
    stored = user.password_hash if user is not None and user.password_hash else None
    matched = await passwords.verify(stored or await passwords.dummy_hash(), password)
    if matched and stored and user is not None and user.is_active:
        await login_throttle.forget(deps.kv, username)
        return user
    await login_throttle.failed(deps.kv, deps.login, address)
    if attempts >= deps.login.lock_after:
        await _lock(deps, username, user, attempts, address)
        raise LoginLocked(None, "username")
    raise Unauthorized("bad_credentials", "password")


_ONE_LOCK = f"{LoginLock._meta.db_table}_username_key"  # one lock per name


async def _lock(deps: Deps, username: str, user: User | None, failures: int,
                address: str) -> None:
    """Lock the name in PostgreSQL (it outlives Redis), end its sessions, audit it once."""
    try:
        lock = await LoginLock.create(username=username, failures=failures,
                                      locked_at=clock.now())
    except IntegrityError as exc:
        if await constraints.violates(exc, _ONE_LOCK):
            return  # a concurrent failure locked it first
        raise
    await login_throttle.forget(deps.kv, username)
    if user is not None:
        await sessions.revoke_user(deps, user.id)
    await audit.record(None, "login_lock", "login_lock", lock.id, username=username,
                       user_id=user.id if user else None, failures=failures, address=address)


async def unlock(deps: Deps, actor: User | None, username: str, via: str = "api") -> None:
    """Lift the lock of a login name (an admin's act, audited; ``actor`` None is the CLI's
    operator); 409 when it is not locked."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    _check_name(username)
    lock = await LoginLock.get_or_none(username=username)
    if lock is None or not await LoginLock.filter(id=lock.id).delete():
        raise Conflict("login_not_locked", "username")
    await login_throttle.forget(deps.kv, username)
    await audit.record(actor, "login_unlock", "login_lock", lock.id, username=username,
                       failures=lock.failures, via=via)


async def change_password(deps: Deps, user: User, old: str, new: str, address: str) -> str:
    """The user's own change, proven by the old password (counted like a login); every
    session of the user ends and a fresh one is returned."""
    if not user.username:
        raise Forbidden("forbidden")
    if not isinstance(old, str) or not old:
        raise FieldError("required", "old_password")
    passwords.check_policy(user.username, new, "new_password")
    try:
        await login(deps, user.username, old, address)
    except Unauthorized as exc:
        raise Unauthorized("bad_credentials", "old_password") from exc
    await _set_password(deps, user, new)
    await audit.record(user, "password_change", "user", user.id)
    return await sessions.create(deps, user)


async def reset_password(deps: Deps, actor: User | None, username: str, new: str,
                         via: str = "api") -> User:
    """An admin (or the CLI's operator, ``actor`` None) sets a staff member's new password;
    every session of that member ends."""
    user = await _member_for_admin(actor, username)
    passwords.check_policy(username, new, "new_password")
    await _set_password(deps, user, new)
    await audit.record(actor, "password_reset", "user", user.id, username=username, via=via)
    return user


async def _member_for_admin(actor: User | None, username: str) -> User:
    """The staff member an admin (or the CLI's operator, ``actor`` None) acts on."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    _check_name(username)
    user = await User.get_or_none(username=username)
    if user is None:
        raise NotFound("user_not_found", "username")
    return user


async def _set_password(deps: Deps, user: User, new: str) -> None:
    user.password_hash = await passwords.hash_password(new)
    await user.save(update_fields=["password_hash"])
    await sessions.revoke_user(deps, user.id)


async def set_active(deps: Deps, actor: User | None, username: str, active: bool,
                     via: str = "api") -> User:
    """Deactivate (or reactivate) a staff account, an admin's act (R-U7, MLPS level 3): a
    deactivated account cannot log in and every session of it ends at once. Audited; an
    admin cannot deactivate their own account (the last admin would lock everyone out)."""
    user = await _member_for_admin(actor, username)
    if not active and actor is not None and actor.id == user.id:
        raise Conflict("staff_self_deactivate", "username")
    if user.is_active == active:
        return user
    await User.filter(id=user.id).update(is_active=active)
    user.is_active = active
    if not active:
        await sessions.revoke_user(deps, user.id)
    await audit.record(actor, "staff_reactivate" if active else "staff_deactivate", "user",
                       user.id, username=username, via=via)
    return user
