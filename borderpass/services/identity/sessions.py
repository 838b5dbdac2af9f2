"""Login sessions: records in PostgreSQL, Redis only a cache in front of them.

PostgreSQL is the record (DESIGN.md, principle 5): a Redis restart without data logs nobody
out, a cache miss reads the session row. Only the SHA-256 of a token is stored anywhere
(R-U7). Revocation deletes the row and leaves a short tombstone in the cache, so a lookup
that read the row just before cannot put the revoked session back; cache entries live at
most ``CACHE_SECONDS``, which bounds how long a revocation the cache could not hear of (the
CLI against an in-process cache) takes to bite.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from borderpass.adapters import rows
from borderpass.core.errors import Unauthorized
from borderpass.models import User, UserSession
from borderpass.services import clock
from borderpass.services.ports import Deps, KeyValue

CACHE_SECONDS = 60
REVOKED = b"-"  # the tombstone's value: no user id is "-"
_PREFIX = "session:"
API, CONSOLE = "api", "console"  # the door a session was opened at


def token_hash(token: str, door: str = API) -> str:
    """The stored form of a token: its SHA-256 (a 256-bit random token needs no slow hash).

    The console's tokens are hashed under their own prefix, so a console cookie is no bearer
    token for the API, nor the reverse (R-U7: one reveal rule per door cannot be bypassed).
    """
    material = token if door == API else f"{door}:{token}"
    return hashlib.sha256(material.encode()).hexdigest()


def cache_key(token: str, door: str = API) -> str:
    """The Redis key caching a session (tests look at it)."""
    return _PREFIX + token_hash(token, door)


async def create(deps: Deps, user: User, door: str = API) -> str:
    """A new opaque session token for ``user`` at ``door``, valid for the session TTL."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    await UserSession.create(token_hash=token_hash(token, door), user=user, created_at=now,
                             expires_at=now + timedelta(seconds=deps.session_ttl))
    await deps.kv.set(cache_key(token, door), str(user.id),
                      ex=min(CACHE_SECONDS, deps.session_ttl))
    return token


async def resolve(deps: Deps, token: str, door: str = API) -> User:
    """The active user of a session token, or Unauthorized: Redis first, PostgreSQL on a
    miss (the cache is then refilled unless a revocation left its tombstone)."""
    if not token or len(token) > 256:
        raise Unauthorized("session_invalid")
    key = cache_key(token, door)
    cached = await deps.kv.get(key)
    if cached == REVOKED:
        raise Unauthorized("session_invalid")
    if cached is None:
        found = await UserSession.filter(token_hash=token_hash(token, door),
                                         expires_at__gt=clock.now()).first()
        if found is None:
            raise Unauthorized("session_invalid")
        cached = str(found.user_id)  # type: ignore[attr-defined]
        left = int((found.expires_at - clock.now()).total_seconds())
        await deps.kv.set(key, cached, ex=max(1, min(CACHE_SECONDS, left)), nx=True)
    return await active_user(cached)


async def active_user(user_id: bytes | str | None) -> User:
    """The active user of the id a session holds (None: no session), or Unauthorized."""
    found = await rows.select(User, "id = {} AND is_active", int(user_id)) if user_id else []
    if not found:
        raise Unauthorized("session_invalid")
    return found[0]


async def _bury(kv: KeyValue, hashes: list[str]) -> None:
    """Replace the cache entries of revoked sessions by tombstones."""
    for digest in hashes:
        await kv.set(_PREFIX + digest, REVOKED.decode(), ex=CACHE_SECONDS)


async def close(deps: Deps, token: str, door: str = API) -> None:
    """Log out: the session is gone from PostgreSQL and from the cache."""
    digest = token_hash(token, door)
    await UserSession.filter(token_hash=digest).delete()
    await _bury(deps.kv, [digest])


async def revoke_user(deps: Deps, user_id: int) -> int:
    """End every session of a user (password changed or reset, login locked); how many."""
    hashes = await UserSession.filter(user_id=user_id).values_list("token_hash", flat=True)
    if hashes:
        await UserSession.filter(user_id=user_id, token_hash__in=list(hashes)).delete()
        await _bury(deps.kv, [str(h) for h in hashes])
    return len(hashes)


async def purge_expired() -> int:
    """Delete the rows of expired sessions (a sweep); how many."""
    return await UserSession.filter(expires_at__lte=clock.now()).delete()
