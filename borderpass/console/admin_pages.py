"""Admin desk: staff accounts, units awaiting authentication (R-U2), failed notifications."""

from __future__ import annotations

from aiohttp import web

from borderpass.console import labels
from borderpass.console.base import (
    PREFIX,
    USER,
    _,
    error_text,
    form_of,
    path_int,
    redirect,
    staff_page,
)
from borderpass.console.html import Safe, h, join
from borderpass.console.layout import hidden_csrf, page, table, when
from borderpass.console.viewer import thumbnail, viewer
from borderpass.core import ids
from borderpass.core.errors import BorderPassError, NotFound
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.profiles import OrganisationProfile
from borderpass.presenters import notify as present_notify
from borderpass.presenters import units as present_units
from borderpass.services.identity import staff, users
from borderpass.services.notify import outbox
from borderpass.services.units import units
from borderpass.web.appkeys import DEPS

routes = web.RouteTableDef()
ROLE_LABELS = labels.ROLES
STAFF_FORM_ROLES = (Role.REVIEWER, Role.CUSTOMS, Role.GATE_SUPERVISOR, Role.ADMIN)


def _roles(values: list[str]) -> str:
    return ", ".join(labels.label("role", r) for r in values)


async def _staff_page(request: web.Request, form: dict[str, str] | None = None,
                      error: str | None = None, status: int = 200) -> web.Response:
    form = form or {}
    tz = request.config_dict[DEPS].tz
    accounts = await User.filter(username__isnull=False).order_by("username").limit(500)
    me = request.get(USER)
    rows: list[list[object]] = [
        [u.username, u.display_name, _roles(u.roles),
         h("span", {"class": "ok" if u.is_active else "late"},
           _("启用") if u.is_active else _("已停用")),
         when(u.created_at.isoformat(), tz),
         _account_actions(request, u, me is not None and me.id == u.id)] for u in accounts]
    checks = [h("label", {"class": "inline"},
                h("input", {"type": "checkbox", "name": "roles", "value": r.value}),
                " ", _(ROLE_LABELS[r.value])) for r in STAFF_FORM_ROLES]
    create = h("form", {"method": "post", "action": f"{PREFIX}/staff", "class": "login"},
               hidden_csrf(request),
               h("label", {}, _("用户名"), h("input", {"name": "username", "required": True,
                                                     "maxlength": "64",
                                                     "value": form.get("username", "")})),
               h("label", {}, _("姓名"), h("input", {"name": "display_name", "maxlength": "100",
                                                   "value": form.get("display_name", "")})),
               h("label", {}, _("初始密码"), h("input", {"name": "password", "type": "password",
                                                      "required": True, "minlength": "8",
                                                      "autocomplete": "new-password"})),
               h("fieldset", {}, h("legend", {}, _("角色")), checks),
               h("button", {"type": "submit", "class": "primary"}, _("创建账号")))
    body = join(table([_("用户名"), _("姓名"), _("角色"), _("状态"), _("创建时间"), ""], rows,
                      _("还没有工作人员账号"), {"class": "staff"}),
                h("h2", {}, _("新建工作人员账号")), create)
    return page(request, _("工作人员账号"), body, status=status, error=error)


def _account_actions(request: web.Request, account: User, is_me: bool) -> Safe:
    """Deactivate or reactivate, and reset the password (R-U7; both audited)."""
    base = f"{PREFIX}/staff/{account.id}"
    toggle: Safe | None = None
    if account.is_active and not is_me:
        toggle = h("form", {"method": "post", "action": f"{base}/deactivate",
                            "class": "inline deactivate"},
                   hidden_csrf(request),
                   h("button", {"type": "submit", "class": "danger"}, _("停用")))
    elif not account.is_active:
        toggle = h("form", {"method": "post", "action": f"{base}/reactivate",
                            "class": "inline reactivate"},
                   hidden_csrf(request), h("button", {"type": "submit"}, _("重新启用")))
    reset = h("form", {"method": "post", "action": f"{base}/password", "class": "inline reset"},
              hidden_csrf(request),
              h("input", {"name": "password", "type": "password", "required": True,
                          "minlength": "8", "autocomplete": "new-password", "size": "12",
                          "placeholder": _("新密码"), "aria-label": _("新密码")}),
              h("button", {"type": "submit"}, _("重置密码")))
    return join(toggle, " ", reset)


async def _account(request: web.Request) -> User:
    account = await User.get_or_none(id=path_int(request), username__isnull=False)
    if account is None or not account.username:
        raise NotFound("user_not_found", "id")
    return account


@routes.post("/staff/{id}/deactivate")
@staff_page(Role.ADMIN)
async def deactivate_staff(request: web.Request, user: User) -> web.StreamResponse:
    """Deactivate an account: no more logins, its sessions end now (audited)."""
    account = await _account(request)
    try:
        await staff.set_active(request.config_dict[DEPS], user, account.username or "", False,
                               via="console")
    except BorderPassError as err:
        return await _staff_page(request, None, error_text(err), err.status)
    raise redirect("/staff", "staff_deactivated")


@routes.post("/staff/{id}/reactivate")
@staff_page(Role.ADMIN)
async def reactivate_staff(request: web.Request, user: User) -> web.StreamResponse:
    """Let a deactivated account log in again (audited)."""
    account = await _account(request)
    await staff.set_active(request.config_dict[DEPS], user, account.username or "", True,
                           via="console")
    raise redirect("/staff", "staff_reactivated")


@routes.post("/staff/{id}/password")
@staff_page(Role.ADMIN)
async def reset_staff_password(request: web.Request, user: User) -> web.StreamResponse:
    """Set a new password for an account (the policy applies; its sessions end; audited)."""
    account = await _account(request)
    form = await form_of(request)
    try:
        await staff.reset_password(request.config_dict[DEPS], user, account.username or "",
                                   form.get("password", ""), via="console")
    except BorderPassError as err:
        return await _staff_page(request, None, error_text(err), err.status)
    raise redirect("/staff", "password_reset")


@routes.get("/staff")
@staff_page(Role.ADMIN)
async def staff_page_view(request: web.Request, user: User) -> web.StreamResponse:
    """Staff accounts and a form to add one."""
    return await _staff_page(request)


@routes.post("/staff")
@staff_page(Role.ADMIN)
async def add_staff(request: web.Request, user: User) -> web.StreamResponse:
    """Create a staff account with the same service as the CLI."""
    form = await form_of(request)
    roles = [str(r) for r in (await request.post()).getall("roles", [])]
    try:
        await users.add_staff(form.get("username", "").strip(), form.get("password", ""),
                              roles, form.get("display_name", "").strip())
    except BorderPassError as err:
        return await _staff_page(request, form, error_text(err), err.status)
    raise redirect("/staff", "staff_added")


async def _units_page(request: web.Request, user: User, error: str | None = None,
                      status: int = 200) -> web.Response:
    tz = request.config_dict[DEPS].tz
    rows: list[list[object]] = []
    for unit in await units.units_by_status(user, "pending"):
        info = present_units.unit(await units.view(request.config_dict[DEPS], unit, user))
        decide = h("form", {"method": "post", "action": f"{PREFIX}/units/{unit.id}/decide"},
                   hidden_csrf(request),
                   h("input", {"name": "reason", "maxlength": "500",
                               "placeholder": _("拒绝原因")}),
                   h("button", {"type": "submit", "name": "decision", "value": "approve",
                                "class": "primary"}, _("认证通过")),
                   h("button", {"type": "submit", "name": "decision", "value": "refuse",
                                "class": "danger"}, _("拒绝")))
        rows.append([info["id"], join(info["name"], h("br", {}),
                                      h("span", {"class": "hint"},
                                        labels.label("unit_kind", info["kind"]))),
                     info["uscc"], info["contact_name"], info["contact_phone"],
                     when(info["created_at"], tz), _unit_documents(info["documents"]),
                     await _unit_profile(unit.uscc, info["profile_id"]), decide])
    body = join(table([_("编号"), _("单位名称"), _("统一社会信用代码"), _("联系人"),
                       _("联系电话"), _("注册时间"), _("证明材料"), _("单位信息"), ""], rows,
                      _("没有待认证的单位"), {"class": "units"}), viewer())
    return page(request, _("待认证单位"), body, status=status, error=error)


async def _unit_profile(uscc: str, profile_id: int | None) -> Safe:
    """A link to the profile the registration was filled from, with its status and the
    number of other claims of the USCC (R-P1b: a stranger's claim shows here)."""
    rows = await OrganisationProfile.filter(uscc=uscc).order_by("id")
    if not rows:
        return h("span", {"class": "hint"}, "—")
    return h("ul", {}, [h("li", {}, h("a", {"href": f"{PREFIX}/profiles/{p.id}"},
                                       f"{p.id} · {p.status.value}"
                                       + (" ★" if p.id == profile_id else "")))
                        for p in rows])


def _unit_documents(docs: dict[str, int]) -> Safe:
    """The unit's documents beside its decision, opened in the viewer (R-U2; each load
    audited, R-U7)."""
    if not docs:
        return h("span", {"class": "hint"}, _("未上传材料"))
    return h("div", {"class": "unit-docs"},
             [h("figure", {"class": "doc"}, h("figcaption", {}, labels.label("document", kind)),
                thumbnail(int(doc_id), labels.label("document", kind)))
              for kind, doc_id in docs.items()])


@routes.get("/units")
@staff_page(Role.ADMIN)
async def units_page(request: web.Request, user: User) -> web.StreamResponse:
    """Units awaiting authentication (R-U2)."""
    return await _units_page(request, user)


@routes.post("/units/{id}/decide")
@staff_page(Role.ADMIN)
async def decide_unit(request: web.Request, user: User) -> web.StreamResponse:
    """Authenticate a unit (its code is issued) or refuse it with a reason (R-U2)."""
    form = await form_of(request)
    try:
        await units.authenticate(user, path_int(request), form.get("decision") == "approve",
                                 form.get("reason", ""))
    except BorderPassError as err:
        return await _units_page(request, user, error_text(err), err.status)
    raise redirect("/units", "unit_decided")


async def _notifications_page(request: web.Request, user: User, error: str | None = None,
                              status: int = 200) -> web.Response:
    tz = request.config_dict[DEPS].tz
    rows: list[list[object]] = []
    for n in map(present_notify.notification, await outbox.list_for_admin(user, "failed")):
        retry = h("form", {"method": "post", "action": f"{PREFIX}/notifications/{n['id']}/retry"},
                  hidden_csrf(request), h("button", {"type": "submit"}, _("重发")))
        rows.append([n["id"], labels.label_html("notification_kind", n["kind"]), n["user_id"],
                     n["attempts"], n["last_error"],
                     when(n["created_at"], tz), retry])
    headers = [_("编号"), _("类型"), _("用户"), _("尝试次数"), _("最后错误"), _("创建时间"), ""]
    body = table(headers, rows, _("没有发送失败的通知"))
    return page(request, _("发送失败的通知"), body, status=status, error=error)


@routes.get("/notifications")
@staff_page(Role.ADMIN)
async def notifications_page(request: web.Request, user: User) -> web.StreamResponse:
    """Notifications that could not be delivered, with a retry button."""
    return await _notifications_page(request, user)


@routes.post("/notifications/{id}/retry")
@staff_page(Role.ADMIN)
async def retry_notification(request: web.Request, user: User) -> web.StreamResponse:
    """Queue a failed notification again."""
    try:
        await outbox.retry(user, path_int(request, limit=ids.MAX_ID))
    except BorderPassError as err:
        return await _notifications_page(request, user, error_text(err), err.status)
    raise redirect("/notifications", "retried")
