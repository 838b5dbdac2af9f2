"""Idempotent creating POSTs: a retry with the same ``Idempotency-Key`` replays the first answer.

The key is claimed atomically in Redis (SET NX) before the handler runs, so concurrent
retries never both create; the successful answer is kept for a day. A failed request
releases its key: failures change nothing, so running the retry is safe.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from functools import wraps

from aiohttp import web

from borderpass.core.appkeys import REDIS
from borderpass.core.errors import Conflict, FieldError
from borderpass.miniapp_api.http import current_user

KEEP_SECONDS = 24 * 3600
CLAIM_SECONDS = 60
View = Callable[[web.Request], Awaitable[web.Response]]


def idempotent(view: View) -> View:
    """Wrap a creating view so the ``Idempotency-Key`` header makes it safe to retry."""

    @wraps(view)
    async def wrapper(request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return await view(request)
        if not 1 <= len(key) <= 128 or not key.isprintable():
            raise FieldError("length", "Idempotency-Key", max=128)
        user = await current_user(request)
        # A multipart body is streamed to its view, so only its length is fingerprinted.
        body = await request.read() if request.content_type == "application/json" \
            else str(request.content_length).encode()
        fingerprint = hashlib.sha256(request.method.encode() + request.path.encode() + body) \
            .hexdigest()
        redis = request.app[REDIS]
        slot = f"idem:{user.id}:{hashlib.sha256(key.encode()).hexdigest()}"
        claim = json.dumps({"state": "pending", "fp": fingerprint})
        if not await redis.set(slot, claim, ex=CLAIM_SECONDS, nx=True):
            stored = json.loads(await redis.get(slot) or b"{}")
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
