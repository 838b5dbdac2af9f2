"""Idempotent creating POSTs: a retry with the same ``Idempotency-Key`` replays the first answer.

The key is claimed atomically in Redis (SET NX) before the handler runs, so concurrent
retries never both create; the successful answer is kept for a day. A failed request
releases its key: failures change nothing, so running the retry is safe. The caller's
session is resolved first, by the one session service (PostgreSQL behind a Redis cache).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from aiohttp import web

from borderpass.core.appkeys import DEPS, REDIS
from borderpass.core.errors import Conflict, FieldError
from borderpass.miniapp_api.http import USER_KEY, bearer_token
from borderpass.services import sessions
from borderpass.services.ports import KeyValue

KEEP_SECONDS = 24 * 3600
CLAIM_SECONDS = 60
View = Callable[[web.Request], Awaitable[web.Response]]

# The claim of this key for the caller, in one round trip. KEYS = slot; ARGV = claim,
# seconds the claim is kept. Returns {} when claimed, {what the key holds} when it was taken.
CLAIM_SCRIPT = """
if redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX') then return {} end
return {redis.call('GET', KEYS[1]) or '{}'}
"""


def _slot(user_id: str, digest: str) -> str:
    return f"idem:{user_id}:{digest}"


@functools.lru_cache(maxsize=8)
def _claim_script(redis: KeyValue) -> Any:
    """The registered script, made once per client."""
    return redis.register_script(CLAIM_SCRIPT)


async def _claim(request: web.Request, digest: str, claim: str) -> tuple[str, bytes | None]:
    """Claim the key for the session's user (cached on the request); the user's id and,
    when the key was taken before, what it holds."""
    user = await sessions.resolve(request.app[DEPS], bearer_token(request))
    request[USER_KEY] = user
    user_id = str(user.id)
    found = await _claim_script(request.app[REDIS])(keys=[_slot(user_id, digest)],
                                                    args=[claim, CLAIM_SECONDS])
    held = found[0] if found else None
    return user_id, held.encode() if isinstance(held, str) else held


def idempotent(view: View) -> View:
    """Wrap a creating view so the ``Idempotency-Key`` header makes it safe to retry."""

    @wraps(view)
    async def wrapper(request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return await view(request)
        if not 1 <= len(key) <= 128 or not key.isprintable():
            raise FieldError("length", "Idempotency-Key", max=128)
        # A multipart body is streamed to its view, so only its length is fingerprinted.
        body = await request.read() if request.content_type == "application/json" \
            else str(request.content_length).encode()
        fingerprint = hashlib.sha256(request.method.encode() + request.path.encode() + body) \
            .hexdigest()
        digest = hashlib.sha256(key.encode()).hexdigest()
        claim = json.dumps({"state": "pending", "fp": fingerprint})
        user_id, held = await _claim(request, digest, claim)
        redis, slot = request.app[REDIS], _slot(user_id, digest)
        if held is not None:
            stored = json.loads(held)
            if stored.get("fp") != fingerprint:
                raise FieldError("idempotency_mismatch", "Idempotency-Key")
            if stored.get("state") != "done":
                raise Conflict("idempotency_in_progress", "Idempotency-Key")
            replay = web.Response(status=stored["status"], text=stored["body"],
                                  content_type="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = await view(request)
        except BaseException:
            await redis.delete(slot)
            raise
        if response.status >= 400:
            await redis.delete(slot)
            return response
        done = {"state": "done", "fp": fingerprint, "status": response.status,
                "body": response.text}
        await redis.set(slot, json.dumps(done, ensure_ascii=False), ex=KEEP_SECONDS)
        return response

    return wrapper
