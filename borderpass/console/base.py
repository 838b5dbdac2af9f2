"""The console's plumbing: session cookie, CSRF, locale, role guards and error pages."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from borderpass.adapters.outage import answer_outage, outage_of
from borderpass.core import ids
from borderpass.core.errors import BorderPassError, Forbidden, Unauthorized
from borderpass.core.i18n import LOCALES, negotiate, normalize_locale, translate
from borderpass.core.messages import error_message
from borderpass.models import User
from borderpass.services.error_text import error_line
from borderpass.services.identity import sessions
from borderpass.web.appkeys import DEPS
from borderpass.web.hardening import came_over_tls

log = logging.getLogger("borderpass.console")
SESSION_COOKIE = "bp_console"
LOGIN_CSRF_COOKIE = "bp_login_csrf"
LANG_COOKIE = "bp_lang"
PREFIX = "/console"
USER = web.RequestKey("console_user", User)
TOKEN = web.RequestKey("console_token", str)
_locale: ContextVar[str] = ContextVar("console_locale", default="zh_CN")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PageHandler = Callable[[web.Request, User], Awaitable[web.StreamResponse]]


def _(message: str, **params: Any) -> str:
    """Translate a source (Chinese) message into the page's locale."""
    return translate(message, _locale.get(), **params)


def locale() -> str:
    """The locale of the page being rendered."""
    return _locale.get()


def error_text(err: BorderPassError) -> str:
    """A domain error as one line in the page's locale, naming the field."""
    return error_line(err, locale())


def csrf_token(request: web.Request) -> str:
    """The CSRF token of the session: a hash of the (unreadable to others) session token."""
    token = request.get(TOKEN) or ""
    return hashlib.sha256(b"console-csrf:" + token.encode()).hexdigest()


def _pick_locale(request: web.Request, user: User | None) -> str:
    chosen = normalize_locale(request.cookies.get(LANG_COOKIE))
    if chosen:
        return chosen
    if user is not None and (loc := normalize_locale(user.locale)):
        return loc
    return negotiate(request.headers.get("Accept-Language"))


def set_session(response: web.StreamResponse, request: web.Request, token: str) -> None:
    """Carry the session token in an HttpOnly, SameSite=Strict cookie scoped to the console."""
    response.set_cookie(SESSION_COOKIE, token, path=PREFIX, httponly=True, samesite="Strict",
                        secure=came_over_tls(request))


def login_csrf(request: web.Request) -> str:
    """The double-submit token of the login form (there is no session yet)."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)


def set_login_csrf(response: web.StreamResponse, request: web.Request, value: str) -> None:
    """Set the login form's double-submit cookie."""
    response.set_cookie(LOGIN_CSRF_COOKIE, value, path=PREFIX, httponly=True, samesite="Strict",
                        secure=came_over_tls(request))


def _secure_headers(response: web.StreamResponse) -> None:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.content_type == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")


async def _load_user(request: web.Request) -> User | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    try:
        user = await sessions.resolve(request.config_dict[DEPS], token, sessions.CONSOLE)
    except Unauthorized:
        return None
    request[TOKEN] = token
    request[USER] = user
    return user


@web.middleware
async def console_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Session, locale, CSRF on every POST, domain errors as pages in the page's locale;
    Redis or the database away: a 503 page with ``Retry-After``, never a 500."""
    try:
        return await _console(request, handler)
    except Exception as exc:
        if (service := outage_of(exc)) is None:
            raise
        err = await answer_outage(service, exc)
        from borderpass.console.layout import error_page

        _locale.set(_pick_locale(request, request.get(USER)))
        response = error_page(request, err.status, error_text(err))
        response.headers["Retry-After"] = str(err.retry_after)
        _secure_headers(response)
        return response


async def _console(request: web.Request, handler: Handler) -> web.StreamResponse:
    user = await _load_user(request)
    _locale.set(_pick_locale(request, user))
    try:
        if request.method == "POST":
            await _read_form(request)  # once, for every page: a garbled body is a 400
        if request.method == "POST" and request.path != f"{PREFIX}/login":
            form = await request.post()
            given = str(form.get("csrf", ""))
            if user is None:
                raise Unauthorized("unauthorized")
            if not hmac.compare_digest(given, csrf_token(request)):
                raise Forbidden("forbidden")
        response = await handler(request)
    except Unauthorized:
        response = web.HTTPSeeOther(f"{PREFIX}/login")
    except BorderPassError as err:
        from borderpass.console.layout import error_page

        response = error_page(request, err.status, error_text(err))
    except web.HTTPException as exc:
        if exc.status < 400:
            _secure_headers(exc)
            raise
        from borderpass.console.layout import error_page

        code = {404: "not_found", 413: "too_large"}.get(exc.status, "bad_request")
        response = error_page(request, exc.status,
                              error_message(code, locale(), {"max": 64 * 1024}))
    _secure_headers(response)
    if isinstance(response, web.HTTPException):
        raise response
    return response


async def _read_form(request: web.Request) -> None:
    """Parse the POSTed form (aiohttp keeps it); refuse what no page or column could take."""
    try:
        form = await request.post()
    except (HttpProcessingError, ValueError) as exc:
        raise web.HTTPBadRequest() from exc
    for key, value in form.items():
        if "\x00" in key or (isinstance(value, str) and "\x00" in value):
            raise web.HTTPBadRequest()  # PostgreSQL text refuses NUL


def staff_page(*roles: str) -> Callable[[PageHandler], Handler]:
    """Guard a page: a logged-in user holding one of ``roles`` (others see 403, not data)."""

    def wrap(fn: PageHandler) -> Handler:
        @wraps(fn)
        async def handler(request: web.Request) -> web.StreamResponse:
            user = request.get(USER)
            if user is None:
                raise Unauthorized("unauthorized")
            if not user.has_role(*roles):
                raise Forbidden("role_required", roles=", ".join(roles))
            return await fn(request, user)

        return handler

    return wrap


def path_int(request: web.Request, name: str = "id", limit: int = ids.INT_MAX) -> int:
    """An id from the URL (404 for anything else, ``core.ids``)."""
    return ids.path_id(request.match_info.get(name, ""), name, limit)


async def form_of(request: web.Request) -> dict[str, str]:
    """The POSTed form as plain strings (the middleware has read it already)."""
    form = await request.post()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def redirect(path: str, done: str | None = None) -> web.HTTPSeeOther:
    """Post/redirect/get: ``done`` names a fixed notice, never free text."""
    return web.HTTPSeeOther(f"{PREFIX}{path}" + (f"?done={done}" if done else ""))


def supported(loc: str) -> bool:
    """True when ``loc`` is one of the catalogs."""
    return loc in LOCALES
