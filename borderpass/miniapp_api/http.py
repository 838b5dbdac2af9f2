"""Request helpers of the API door: JSON bodies, the caller, the locale, responses."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from borderpass.core.appkeys import DEPS
from borderpass.core.errors import FieldError, TooLarge, Unauthorized
from borderpass.core.i18n import negotiate, normalize_locale
from borderpass.models import User
from borderpass.services import sessions

MAX_JSON_BYTES = 64 * 1024
USER_KEY = web.RequestKey("user", User)


async def read_json(
    request: web.Request, allowed: frozenset[str] | None = None, required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The JSON object body: bounded size, known keys only, required keys present."""
    if request.content_length and request.content_length > MAX_JSON_BYTES:
        raise TooLarge("too_large", "body", max=MAX_JSON_BYTES)
    raw = await request.read()
    if len(raw) > MAX_JSON_BYTES:
        raise TooLarge("too_large", "body", max=MAX_JSON_BYTES)
    if not raw.strip():
        body: Any = {}
    else:
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FieldError("invalid_json", "body") from exc
    if not isinstance(body, dict):
        raise FieldError("type_object", "body")
    if allowed is not None:
        for key in body:
            if key not in allowed:
                raise FieldError("unknown_field", key)
    for key in required:
        if body.get(key) is None:
            raise FieldError("required", key)
    return body


def path_id(request: web.Request, name: str = "id") -> int:
    """An integer id from the URL path (404 for anything else)."""
    from borderpass.core.errors import NotFound

    raw = request.match_info.get(name, "")
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound("not_found", name)
    return int(raw)


def bearer_token(request: web.Request) -> str:
    """The session token of the ``Authorization: Bearer`` header, or Unauthorized."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("unauthorized")
    return token.strip()


async def current_user(request: web.Request) -> User:
    """The user of the bearer session token, cached on the request."""
    cached: User | None = request.get(USER_KEY)
    if cached is not None:
        return cached
    user = await sessions.resolve(request.app[DEPS], bearer_token(request))
    request[USER_KEY] = user
    return user


def client_address(request: web.Request) -> str:
    """The caller's network address, for throttling failed logins per address."""
    return request.remote or ""


def locale_of(request: web.Request) -> str:
    """The caller's locale: the logged-in user's choice, else Accept-Language."""
    user = request.get(USER_KEY)
    if user is not None and (loc := normalize_locale(user.locale)):
        return loc
    return negotiate(request.headers.get("Accept-Language"))


def ok(data: Any, status: int = 200) -> web.Response:
    """A JSON response with UTF-8 text kept readable."""
    return web.json_response(data, status=status,
                             dumps=lambda d: json.dumps(d, ensure_ascii=False))
