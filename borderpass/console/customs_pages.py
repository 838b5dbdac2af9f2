"""Customs desk: manual-lift requests to approve or refuse (R-G4), the blacklist (R-F9)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from borderpass.console import labels
from borderpass.console.base import (
    PREFIX,
    _,
    error_text,
    form_of,
    path_int,
    redirect,
    staff_page,
)
from borderpass.console.html import Safe, h, join
from borderpass.console.layout import hidden_csrf, page, reveal_form, table, when
from borderpass.core.errors import BorderPassError
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.presenters import crossings as present
from borderpass.presenters import gate as present_gate
from borderpass.services.crossings import blacklist
from borderpass.services.filings import filing_reveal
from borderpass.services.gate import gate_lifts
from borderpass.web.appkeys import DEPS, GATE

routes = web.RouteTableDef()
LIFT_VIEW_ROLES = (Role.CUSTOMS, Role.GATE_SUPERVISOR, Role.ADMIN)
BLACKLIST_ROLES = (Role.CUSTOMS, Role.ADMIN)
LIFT_STATUS = labels.LIFT_STATUS


def _lift_actions(request: web.Request, user: User, lift: dict[str, Any]) -> Safe | None:
    if lift["status"] != "requested" or not user.has_role(*gate_lifts.APPROVE_ROLES):
        return None
    action = f"{PREFIX}/lifts/{lift['id']}/decide"
    own = gate_lifts.requested_by_user(lift["requested_by"], user)  # R-G4: another approves
    return h("form", {"method": "post", "action": action, "class": "lift-decision"},
             hidden_csrf(request),
             h("input", {"name": "note", "maxlength": "500", "placeholder": _("审批意见")}),
             None if own else h("button", {"type": "submit", "name": "decision",
                                           "value": "approve", "class": "primary"},
                                _("批准抬杆")),
             h("button", {"type": "submit", "name": "decision", "value": "refuse",
                          "class": "danger"}, _("拒绝")))


async def _lifts_table(request: web.Request, user: User, status: str) -> Safe:
    tz = request.config_dict[DEPS].tz
    lifts = [present_gate.manual_lift(x, x.lane.code)
             for x in await gate_lifts.list_lifts(user, status or None)]
    rows: list[list[object]] = [
        [x["id"], x["lane"], x["plate"] or "—", x["reason"],
         str(x["requested_by"] or "").removeprefix("user:"),
         when(x["requested_at"], tz), labels.label("lift_status", x["status"]),
         x["decision_note"] or "", _lift_actions(request, user, x) or ""] for x in lifts]
    headers = [_("编号"), _("通道"), _("号牌号码"), _("原因"), _("申请人"), _("申请时间"),
               _("状态"), _("审批意见"), ""]
    return table(headers, rows, _("没有人工抬杆申请"), {"class": "lifts"})


def _status_filter(status: str) -> Safe:
    options = [("", _("全部"))] + [(k, _(v)) for k, v in LIFT_STATUS.items()]
    return h("form", {"method": "get", "class": "filters"},
             h("label", {}, _("状态"), " ",
               h("select", {"name": "status"},
                 [h("option", {"value": v, "selected": v == status}, label)
                  for v, label in options])),
             h("button", {"type": "submit"}, _("筛选")))


def _guard_form(request: web.Request) -> Safe:
    """A gate supervisor asks customs for a manual lift (R-G4)."""
    return h("form", {"method": "post", "action": f"{PREFIX}/lifts", "class": "filters"},
             hidden_csrf(request),
             h("label", {}, _("通道编号"), " ", h("input", {"name": "lane", "required": True,
                                                           "maxlength": "40"})),
             h("label", {}, _("号牌号码"), " ", h("input", {"name": "plate", "maxlength": "16"})),
             h("label", {}, _("原因"), " ", h("input", {"name": "reason", "required": True,
                                                       "maxlength": "500"})),
             h("button", {"type": "submit"}, _("申请人工抬杆")))


async def _lifts_page(request: web.Request, user: User, error: str | None = None,
                      status_code: int = 200) -> web.Response:
    status = request.query.get("status", "requested")
    part = f"{PREFIX}/lifts.part?status={status}"
    body = join(
        _status_filter(status),
        h("div", {"id": "lifts", "data-refresh": part, "data-every": "15"},
          await _lifts_table(request, user, status)),
        join(h("h2", {}, _("申请人工抬杆")), _guard_form(request))
        if user.has_role(*gate_lifts.SUPERVISOR_ROLES) else None)
    return page(request, _("人工抬杆"), body, status=status_code, error=error)


@routes.get("/lifts")
@staff_page(*LIFT_VIEW_ROLES)
async def lifts_page(request: web.Request, user: User) -> web.StreamResponse:
    """Manual lifts, pending first; customs decides, the list refreshes itself."""
    return await _lifts_page(request, user)


@routes.get("/lifts.part")
@staff_page(*LIFT_VIEW_ROLES)
async def lifts_part(request: web.Request, user: User) -> web.StreamResponse:
    """The lifts table alone, for the page's auto-refresh."""
    html = await _lifts_table(request, user, request.query.get("status", "requested"))
    return web.Response(text=html, content_type="text/html")


@routes.post("/lifts")
@staff_page(*gate_lifts.SUPERVISOR_ROLES)
async def request_lift(request: web.Request, user: User) -> web.StreamResponse:
    """A supervisor's manual-lift request, sent to customs (R-G4)."""
    form = await form_of(request)
    body = {k: form.get(k) or None for k in ("lane", "plate", "reason")}
    try:
        await gate_lifts.request_by_guard(request.config_dict[GATE], user, body)
    except BorderPassError as err:
        return await _lifts_page(request, user, error_text(err), err.status)
    raise redirect("/lifts")


@routes.post("/lifts/{id}/decide")
@staff_page(*gate_lifts.APPROVE_ROLES)
async def decide_lift(request: web.Request, user: User) -> web.StreamResponse:
    """Approve (the lane opens) or refuse, with a note (R-G4)."""
    form = await form_of(request)
    approve = form.get("decision") == "approve"
    try:
        await gate_lifts.decide_lift(request.config_dict[GATE], user, path_int(request),
                                     approve, form.get("note") or None)
    except BorderPassError as err:
        return await _lifts_page(request, user, error_text(err), err.status)
    raise redirect("/lifts", "lift_approved" if approve else "lift_refused")


async def _blacklist_page(request: web.Request, user: User, error: str | None = None,
                          status_code: int = 200) -> web.Response:
    tz = request.config_dict[DEPS].tz
    show_all = request.query.get("all") == "1"
    found = await blacklist.list_entries(user, active_only=not show_all)
    entries = [present.blacklist_entry(e) for e in found]
    can_lift = user.has_role(*blacklist.LIFT_ROLES)
    can_refer = user.has_role(*blacklist.REFER_ROLES)
    owners = await filing_reveal.revealable_entries(user, found)
    rows: list[list[object]] = []
    for e in entries:
        lift = h("form", {"method": "post", "action": f"{PREFIX}/blacklist/{e['id']}/lift"},
                 hidden_csrf(request),
                 h("input", {"name": "reason", "required": True, "maxlength": "500",
                             "placeholder": _("解除原因")}),
                 h("button", {"type": "submit"}, _("解除"))) \
            if can_lift and not e["lifted_at"] else e["lift_reason"] or ""
        refer: object = _("已移交") if e["suspected_smuggling"] else ""
        if can_refer and not e["suspected_smuggling"]:  # R-F9: a flag and a referral
            refer = h("form", {"method": "post",
                               "action": f"{PREFIX}/blacklist/{e['id']}/smuggling"},
                      hidden_csrf(request),
                      h("input", {"name": "reason", "required": True, "maxlength": "500",
                                  "placeholder": _("移交原因")}),
                      h("button", {"type": "submit"}, _("涉嫌走私，移交")))
        reason = _("逾期未入境") if e["reason"] == "overstay" else e["reason"]
        subject: object = e["subject"]
        if e["id"] in owners:  # R-U7: masked; customs may reveal the listed owner, audited
            subject = join(e["subject"], " ",
                           reveal_form(request, e["filing_id"], "owner.id_number"))
        rows.append([e["id"], subject, reason, e["filing_id"] or "—",
                     when(e["created_at"], tz), when(e["lifted_at"], tz), lift, refer])
    toggle = h("a", {"href": f"{PREFIX}/blacklist" + ("" if show_all else "?all=1")},
               _("只看未解除的") if show_all else _("包括已解除的"))
    body = join(h("p", {}, toggle), table(
        [_("编号"), _("对象"), _("原因"), _("备案"), _("列入时间"), _("解除时间"), "",
         _("走私嫌疑")],
        rows, _("黑名单为空"), {"class": "blacklist"}))
    return page(request, _("黑名单"), body, status=status_code, error=error)


@routes.get("/blacklist")
@staff_page(*BLACKLIST_ROLES)
async def blacklist_page(request: web.Request, user: User) -> web.StreamResponse:
    """The blacklist (subjects masked), with lifting for customs (R-F9)."""
    return await _blacklist_page(request, user)


@routes.post("/blacklist/{id}/lift")
@staff_page(*blacklist.LIFT_ROLES)
async def lift_entry(request: web.Request, user: User) -> web.StreamResponse:
    """Lift an entry with its reason (audited)."""
    form = await form_of(request)
    try:
        await blacklist.lift(user, path_int(request), form.get("reason", ""))
    except BorderPassError as err:
        return await _blacklist_page(request, user, error_text(err), err.status)
    raise redirect("/blacklist", "lifted")


@routes.post("/blacklist/{id}/smuggling")
@staff_page(*blacklist.REFER_ROLES)
async def refer_smuggling(request: web.Request, user: User) -> web.StreamResponse:
    """Mark an entry as suspected smuggling and refer it, with the reason (audited)."""
    form = await form_of(request)
    try:
        await blacklist.refer_smuggling(user, path_int(request), form.get("reason", ""))
    except BorderPassError as err:
        return await _blacklist_page(request, user, error_text(err), err.status)
    raise redirect("/blacklist", "referred")
