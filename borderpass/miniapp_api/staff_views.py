"""Admin acts on staff logins: lift a lockout, reset a password (MLPS level 3, audited)."""

from __future__ import annotations

from aiohttp import web

from borderpass.core.errors import FieldError
from borderpass.miniapp_api.http import current_user, ok, read_json
from borderpass.services.identity import staff
from borderpass.web.appkeys import DEPS

routes = web.RouteTableDef()


def _strings(body: dict[str, object], *keys: str) -> None:
    for key in keys:
        if not isinstance(body[key], str):
            raise FieldError("type_string", key)


@routes.post("/api/v1/admin/staff/unlock")
async def unlock(request: web.Request) -> web.Response:
    """Lift the lockout of a staff login name (admin only; audited)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"username"}), ("username",))
    _strings(body, "username")
    await staff.unlock(request.app[DEPS], user, body["username"])
    return ok({"username": body["username"], "locked": False})


@routes.post("/api/v1/admin/staff/reset-password")
async def reset_password(request: web.Request) -> web.Response:
    """Set a staff member's new password (admin only; audited); their sessions all end."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"username", "new_password"}),
                           ("username", "new_password"))
    _strings(body, "username", "new_password")
    await staff.reset_password(request.app[DEPS], user, body["username"], body["new_password"])
    return ok({"username": body["username"], "sessions_revoked": True})
