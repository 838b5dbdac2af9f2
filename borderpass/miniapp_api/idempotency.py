"""Idempotent creating POSTs: a retry with the same ``Idempotency-Key`` replays the first answer.

The key and the answer are kept in PostgreSQL (or SQLite) in the same transaction as the
write (``services.idempotency``), so a retry after a crash, a Redis loss or a lost answer
gets the first answer and creates nothing; a failed request rolls its claim back with its
work, so its retry runs at once. Only successful answers are kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from functools import wraps

from aiohttp import web

from borderpass.core.errors import FieldError
from borderpass.miniapp_api.http import current_user
from borderpass.services import idempotency
from borderpass.services.idempotency import Replay

View = Callable[[web.Request], Awaitable[web.Response]]


async def _user_id(request: web.Request) -> int:
    """The caller's id: the session is looked up before the write's transaction opens."""
    user = await current_user(request)
    return int(user.id)


def _kept(response: web.Response) -> Replay | None:
    """The answer a retry gets again: a success and its JSON body; a failure is not kept."""
    if response.status >= 400 or response.text is None:
        return None
    return Replay(response.status, response.text)


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
        user_id = await _user_id(request)
        answer = await idempotency.once(user_id, digest, fingerprint,
                                        lambda: view(request), _kept)
        if isinstance(answer, Replay):
            replay = web.Response(status=answer.status, text=answer.body,
                                  content_type="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        return answer

    return wrapper
