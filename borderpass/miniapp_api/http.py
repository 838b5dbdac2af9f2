"""Request helpers of the API door: JSON bodies, the caller, the locale, responses."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from borderpass.core import ids
from borderpass.core.errors import FieldError, TooLarge, Unauthorized
from borderpass.core.i18n import negotiate, normalize_locale
from borderpass.models import User
from borderpass.services.identity import sessions
from borderpass.web.appkeys import DEPS

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
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise FieldError("invalid_json", "body") from exc
    if not isinstance(body, dict):
        raise FieldError("type_object", "body")
    _check_text(body)
    if allowed is not None:
        for key in body:
            if key not in allowed:
                raise FieldError("unknown_field", key)
    for key in required:
        if body.get(key) is None:
            raise FieldError("required", key)
    return body


def _bad_text(text: str) -> bool:
    """NUL (PostgreSQL text refuses it) or a lone surrogate (not encodable as UTF-8)."""
    return "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)


def _check_text(body: dict[str, Any]) -> None:
    """Refuse, naming the field, any key or string no database column could store."""
    stack: list[tuple[str, Any]] = [("", body)]
    while stack:  # iterative: a deeply nested body must not exhaust the Python stack
        path, value = stack.pop()
        if isinstance(value, str):
            if _bad_text(value):
                raise FieldError("text_invalid", path or "body")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if _bad_text(key):
                    raise FieldError("text_invalid", path or "body")
                stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))


def path_id(request: web.Request, name: str = "id", limit: int = ids.INT_MAX) -> int:
    """An id from the URL path (404 for anything else, ``core.ids``)."""
    return ids.path_id(request.match_info.get(name, ""), name, limit)


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
