"""The page frame: head, navigation by role, language switch, notices, error pages."""

from __future__ import annotations

from datetime import datetime, tzinfo

from aiohttp import web

from borderpass.console.base import PREFIX, USER, _, csrf_token, locale
from borderpass.console.html import Safe, h, join
from borderpass.core.i18n import N_
from borderpass.models import User
from borderpass.models.enums import Role

# (path, label, roles that may open it) — the navigation shows only what a role may open.
PAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/review", N_("审核队列"), (Role.REVIEWER, Role.ADMIN)),
    ("/review/fast-lane", N_("快速通道"), (Role.REVIEWER, Role.ADMIN)),
    ("/lanes", N_("通道"), (Role.GATE_SUPERVISOR, Role.ADMIN)),
    ("/lifts", N_("人工抬杆"), (Role.CUSTOMS, Role.GATE_SUPERVISOR, Role.ADMIN)),
    ("/blacklist", N_("黑名单"), (Role.CUSTOMS, Role.ADMIN)),
    ("/credit", N_("信用记录"), (Role.REVIEWER, Role.CUSTOMS, Role.ADMIN)),
    ("/export/licences", N_("出口许可证"), (Role.CUSTOMS, Role.ADMIN)),
    ("/ledger", N_("通行台账"), (Role.GATE_SUPERVISOR, Role.ADMIN)),
    ("/units", N_("待认证单位"), (Role.ADMIN,)),
    ("/staff", N_("工作人员账号"), (Role.ADMIN,)),
    ("/notifications", N_("发送失败的通知"), (Role.ADMIN,)),
    ("/agencies", N_("联检单位"), (Role.ADMIN,)),
    ("/agency-reviews", N_("联检报送"), (Role.CUSTOMS, Role.ADMIN)),
)
NOTICES = {
    "approved": N_("备案已通过"),
    "returned": N_("备案已退回"),
    "lifted": N_("黑名单记录已解除"),
    "referred": N_("已标记为涉嫌走私并移交"),
    "lift_approved": N_("已批准人工抬杆，通道已收到开闸指令"),
    "lift_refused": N_("已拒绝人工抬杆"),
    "released": N_("已紧急放行"),
    "staff_added": N_("工作人员账号已创建"),
    "profile_verified": N_("单位/企业信息已核实"),
    "profile_not_verified": N_("未能核实：同一代码已有核实的信息，或该信息已被取代"),
    "staff_deactivated": N_("账号已停用，其登录已全部结束"),
    "staff_reactivated": N_("账号已重新启用"),
    "password_reset": N_("密码已重置，该账号的登录已全部结束"),
    "unit_decided": N_("单位认证结果已保存"),
    "retried": N_("通知已重新排队发送"),
    "replayed": N_("已从该编号之后重新推送"),
    "agency_reviewed": N_("报送审核结果已保存"),
    "licence_issued": N_("出口许可证已签发"),
    "licence_refused": N_("已不予签发，原因已告知申请企业"),
    "licence_cleared": N_("报关结果已记录"),
}
LANGUAGE_NAMES = (("zh_CN", "中文"), ("en", "English"), ("my", "မြန်မာ"))


def home_of(user: User) -> str:
    """The first page the user's roles may open."""
    for path, _label, roles in PAGES:
        if user.has_role(*roles):
            return PREFIX + path
    return PREFIX + "/login"


def hidden_csrf(request: web.Request) -> Safe:
    """The CSRF field every POST form carries."""
    return h("input", {"type": "hidden", "name": "csrf", "value": csrf_token(request)})


def reveal_form(request: web.Request, filing_id: int, path: str) -> Safe:
    """The "show" action of one masked field: the purpose is required text, the reveal is
    audited (R-U7; the rule is ``services.filings.filing_reveal``)."""
    return h("form", {"method": "post", "class": "inline reveal",
                      "action": f"{PREFIX}/filings/{filing_id}/reveal"},
             hidden_csrf(request),
             h("input", {"type": "hidden", "name": "field", "value": path}),
             h("input", {"name": "purpose", "required": True, "maxlength": "200",
                         "placeholder": _("查看目的"), "aria-label": _("查看目的")}),
             h("button", {"type": "submit", "title": _("显示完整信息（记入审计日志）")},
               _("显示")))


def _nav(request: web.Request, user: User | None) -> Safe:
    langs = [h("a", {"href": f"{PREFIX}/lang/{code}?next={request.path}", "lang": code,
                     "aria-current": "true" if code == locale() else None}, name)
             for code, name in LANGUAGE_NAMES]
    if user is None:
        return h("nav", {}, h("span", {"class": "brand"}, _("边境通 工作台")),
                 h("span", {"class": "langs"}, langs))
    links = [h("a", {"href": PREFIX + path,
                     "aria-current": "page" if request.path.startswith(PREFIX + path) else None},
               _(label)) for path, label, roles in PAGES if user.has_role(*roles)]
    logout = h("form", {"method": "post", "action": f"{PREFIX}/logout", "class": "inline"},
               hidden_csrf(request), h("button", {"type": "submit"}, _("退出")))
    return h("nav", {}, h("span", {"class": "brand"}, _("边境通 工作台")), links,
             h("span", {"class": "who"}, user.display_name or user.username or ""),
             h("span", {"class": "langs"}, langs), logout)


def page(request: web.Request, title: str, body: Safe, status: int = 200,
         error: str | None = None) -> web.Response:
    """A whole HTML page around ``body``, with the notice named by ``?done=`` if any."""
    user = request.get(USER)
    done = NOTICES.get(request.query.get("done", ""))
    banner = join(
        h("p", {"class": "notice", "role": "status"}, _(done)) if done else None,
        h("p", {"class": "error", "role": "alert"}, error) if error else None)
    doc = join(
        Safe("<!doctype html>"),
        h("html", {"lang": locale().replace("_", "-")},
          h("head", {},
            h("meta", {"charset": "utf-8"}),
            h("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}),
            h("title", {}, f"{title} · BorderPass"),
            h("link", {"rel": "stylesheet", "href": f"{PREFIX}/static/console.css"}),
            h("script", {"src": f"{PREFIX}/static/console.js", "defer": True})),
          h("body", {}, _nav(request, user),
            h("main", {}, h("h1", {}, title), banner, body))))
    return web.Response(text=doc, content_type="text/html", status=status)


def error_page(request: web.Request, status: int, message: str) -> web.Response:
    """An error as a page: the message in the page's locale, and a way back."""
    back = h("p", {}, h("a", {"href": f"{PREFIX}/"}, _("返回首页")))
    return page(request, _("无法完成"), back, status=status, error=message)


def table(headers: list[str], rows: list[list[object]], empty: str,
          attributes: dict[str, object] | None = None) -> Safe:
    """A plain table, or the ``empty`` sentence when there are no rows."""
    if not rows:
        return h("p", {"class": "empty"}, empty)
    head = h("thead", {}, h("tr", {}, [h("th", {}, x) for x in headers]))
    body = h("tbody", {}, [h("tr", {}, [h("td", {}, cell) for cell in row]) for row in rows])
    return h("table", attributes or {}, head, body)


def when(value: str | None, tz: tzinfo | None = None) -> str:
    """An ISO timestamp in the office time zone, to the minute, for a table."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value)
    return (moment.astimezone(tz) if tz else moment).strftime("%Y-%m-%d %H:%M")
