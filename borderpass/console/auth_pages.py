"""Log in, log out, pick a language, and land on the role's first page."""

from __future__ import annotations

import hmac

from aiohttp import web

from borderpass.console.base import (
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    TOKEN,
    USER,
    _,
    error_text,
    form_of,
    login_csrf,
    set_login_csrf,
    set_session,
    supported,
)
from borderpass.console.html import h
from borderpass.console.layout import home_of, page
from borderpass.core.errors import BorderPassError, Forbidden
from borderpass.models.enums import STAFF_ROLES
from borderpass.services.identity import sessions, staff
from borderpass.web.appkeys import DEPS
from borderpass.web.hardening import came_over_tls, client_address

routes = web.RouteTableDef()


@routes.get("/")
async def index(request: web.Request) -> web.StreamResponse:
    """Send the user to the first page their role may open."""
    user = request.get(USER)
    raise web.HTTPSeeOther(home_of(user) if user else f"{PREFIX}/login")


def _login_form(request: web.Request, token: str, username: str = "",
                error: str | None = None, status: int = 200) -> web.Response:
    form = h("form", {"method": "post", "action": f"{PREFIX}/login", "class": "login"},
             h("input", {"type": "hidden", "name": "csrf", "value": token}),
             h("label", {}, _("用户名"),
               h("input", {"name": "username", "value": username, "autocomplete": "username",
                           "required": True, "autofocus": True, "maxlength": "64"})),
             h("label", {}, _("密码"),
               h("input", {"name": "password", "type": "password", "required": True,
                           "autocomplete": "current-password", "maxlength": "200"})),
             h("button", {"type": "submit", "class": "primary"}, _("登录")))
    response = page(request, _("工作人员登录"), form, status=status, error=error)
    set_login_csrf(response, request, token)
    return response


@routes.get("/login")
async def login_page(request: web.Request) -> web.StreamResponse:
    """The login form (a logged-in user goes straight home)."""
    if (user := request.get(USER)) is not None:
        raise web.HTTPSeeOther(home_of(user))
    return _login_form(request, login_csrf(request))


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    """Check the password with the same service as the API; staff roles only."""
    form = await form_of(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    username = form.get("username", "")[:64]
    if not expected or not hmac.compare_digest(form.get("csrf", ""), expected):
        raise Forbidden("forbidden")
    deps = request.config_dict[DEPS]
    try:
        # The API's service: the same throttling, lockout and uniform answers (R-U7).
        user = await staff.login(deps, username, form.get("password", ""),
                                 client_address(request))
        if not user.has_role(*STAFF_ROLES):
            raise Forbidden("forbidden")
    except BorderPassError as err:
        response = _login_form(request, expected, username, error_text(err), status=err.status)
        if retry := getattr(err, "retry_after", None):
            response.headers["Retry-After"] = str(retry)
        return response
    token = await sessions.create(deps, user, sessions.CONSOLE)
    response = web.HTTPSeeOther(home_of(user))
    set_session(response, request, token)
    response.del_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    raise response


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    """Forget the session on the server and in the browser."""
    if token := request.get(TOKEN):
        await sessions.close(request.config_dict[DEPS], token, sessions.CONSOLE)
    response = web.HTTPSeeOther(f"{PREFIX}/login")
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    raise response


@routes.get("/lang/{locale}")
async def choose_language(request: web.Request) -> web.StreamResponse:
    """Remember the interface language in a cookie and go back to the page."""
    loc = request.match_info["locale"]
    target = request.query.get("next", "")
    if not target.startswith(PREFIX + "/") or "//" in target or "\\" in target:
        target = f"{PREFIX}/"
    response = web.HTTPSeeOther(target)
    if supported(loc):
        response.set_cookie(LANG_COOKIE, loc, path=PREFIX, samesite="Strict",
                            max_age=365 * 24 * 3600, httponly=True,
                            secure=came_over_tls(request))
    raise response
