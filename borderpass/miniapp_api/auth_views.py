"""Login and profile: WeChat code → our session token; staff username + password."""

from __future__ import annotations

from aiohttp import web

from borderpass.adapters.wechat import WeChatAPIError, WeChatError, WeChatUnavailable
from borderpass.core.errors import FieldError, Unauthorized, Unavailable
from borderpass.core.i18n import normalize_locale
from borderpass.miniapp_api.http import (
    bearer_token,
    current_user,
    locale_of,
    ok,
    read_json,
)
from borderpass.models import User
from borderpass.services.identity import sessions, staff, users
from borderpass.web.appkeys import DEPS, MINIAPP_WECHAT
from borderpass.web.hardening import client_address

routes = web.RouteTableDef()


def describe_user(request: web.Request, user: User) -> dict[str, object]:
    """The caller's own profile (no openid, no session_key), the phone masked (R-U7)."""
    from borderpass.core.masking import mask_phone

    phone = users.phone_of(request.app[DEPS], user)
    return {"id": user.id, "display_name": user.display_name, "phone": mask_phone(phone),
            "locale": user.locale, "timezone": user.timezone, "roles": user.roles}


@routes.post("/api/v1/auth/wx-login")
async def wx_login(request: web.Request) -> web.Response:
    """Exchange a wx.login code for a BorderPass session; session_key stays on the server."""
    body = await read_json(request, frozenset({"code", "locale"}), ("code",))
    code = body["code"]
    if not isinstance(code, str) or not 1 <= len(code) <= 128:
        raise FieldError("type_string", "code")
    try:
        session = await request.app[MINIAPP_WECHAT].code2session(code)
    except WeChatAPIError as exc:
        if exc.errcode in (40029, 40163, 40226):
            raise Unauthorized("wechat_code", "code") from exc
        raise Unavailable("wechat_unavailable") from exc
    except (WeChatUnavailable, WeChatError) as exc:
        raise Unavailable("wechat_unavailable") from exc
    locale = normalize_locale(body.get("locale") if isinstance(body.get("locale"), str)
                              else None) or locale_of(request)
    user = await users.wechat_user(session.openid, session.unionid, locale)
    token = await sessions.create(request.app[DEPS], user)
    return ok({"token": token, "user": describe_user(request, user)})


@routes.post("/api/v1/auth/staff-login")
async def staff_login(request: web.Request) -> web.Response:
    """Staff log in with username and password and get the same kind of token.

    Failures are throttled per name and per address (429 + Retry-After) and lock the name
    after N (403 ``login_locked``); unknown names and wrong passwords answer alike (R-U7)."""
    body = await read_json(request, frozenset({"username", "password"}), ("username", "password"))
    if not isinstance(body["username"], str):
        raise FieldError("type_string", "username")
    if not isinstance(body["password"], str):
        raise FieldError("type_string", "password")
    deps = request.app[DEPS]
    user = await staff.login(deps, body["username"], body["password"], client_address(request))
    token = await sessions.create(deps, user)
    return ok({"token": token, "user": describe_user(request, user)})


@routes.post("/api/v1/auth/password")
async def change_password(request: web.Request) -> web.Response:
    """Change one's own staff password with the old one; every session ends, a new token is
    returned (MLPS level 3)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"old_password", "new_password"}),
                           ("old_password", "new_password"))
    for key in ("old_password", "new_password"):
        if not isinstance(body[key], str):
            raise FieldError("type_string", key)
    token = await staff.change_password(request.app[DEPS], user, body["old_password"],
                                        body["new_password"], client_address(request))
    return ok({"token": token, "user": describe_user(request, user)})


@routes.post("/api/v1/auth/logout")
async def logout(request: web.Request) -> web.Response:
    """End the current session (gone from PostgreSQL and from the Redis cache)."""
    await current_user(request)
    await sessions.close(request.app[DEPS], bearer_token(request))
    return ok({"ok": True})


@routes.get("/api/v1/me")
async def me(request: web.Request) -> web.Response:
    """The caller's profile."""
    return ok(describe_user(request, await current_user(request)))


@routes.patch("/api/v1/me")
async def update_me(request: web.Request) -> web.Response:
    """Change display name, phone, locale or time zone."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"display_name", "phone", "locale", "timezone"}))
    for key, value in body.items():
        if not isinstance(value, str):
            raise FieldError("type_string", key)
    return ok(describe_user(request, await users.update_profile(request.app[DEPS], user, body)))
