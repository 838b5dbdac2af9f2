"""Exchange with other agencies (docs/exchange.md): the admin's subscriber desk (delivery
state, replay, registration with the secret shown once) and customs' review of agencies'
blacklist entries."""

from __future__ import annotations

from aiohttp import web

from borderpass.console import labels
from borderpass.console.base import PREFIX, _, error_text, form_of, path_int, redirect, staff_page
from borderpass.console.html import Safe, h, join
from borderpass.console.layout import hidden_csrf, page, table, when
from borderpass.core import ids
from borderpass.core.errors import BorderPassError
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.presenters import exchange as present
from borderpass.services.exchange import kinds, reviews, subscribers
from borderpass.web.appkeys import DEPS, SETTINGS

routes = web.RouteTableDef()


def _replay_form(request: web.Request, agency_id: int, cursor: int) -> Safe:
    return h("form", {"method": "post", "action": f"{PREFIX}/agencies/{agency_id}/replay",
                      "class": "inline"},
             hidden_csrf(request),
             h("input", {"name": "after", "value": str(cursor), "size": "8",
                         "inputmode": "numeric", "aria-label": _("从此编号之后重发")}),
             h("button", {"type": "submit"}, _("重发")))


def _register_form(request: web.Request, form: dict[str, str]) -> Safe:
    kinds_select = h("select", {"name": "kind"}, [
        h("option", {"value": k, "selected": form.get("kind") == k},
          labels.label("agency_kind", k)) for k in kinds.AGENCY_KINDS])
    types = [h("label", {"class": "inline"},
               h("input", {"type": "checkbox", "name": "event_types", "value": c}),
               " ", labels.label("event_category", c)) for c in kinds.CATEGORIES]
    return h("form", {"method": "post", "action": f"{PREFIX}/agencies", "class": "login"},
             hidden_csrf(request),
             h("label", {}, _("代码"), h("input", {"name": "code", "required": True,
                                                 "maxlength": "40",
                                                 "value": form.get("code", "")})),
             h("label", {}, _("名称"), h("input", {"name": "name", "required": True,
                                                 "maxlength": "100",
                                                 "value": form.get("name", "")})),
             h("label", {}, _("单位类型"), kinds_select),
             h("label", {}, _("接收地址（https）"),
               h("input", {"name": "url", "required": True, "maxlength": "500",
                           "value": form.get("url", "")})),
             h("fieldset", {}, h("legend", {}, _("可接收的事件")), types),
             h("label", {}, _("每次推送条数"),
               h("input", {"name": "batch_size", "value": form.get("batch_size", "1"),
                           "inputmode": "numeric"})),
             h("button", {"type": "submit"}, _("登记")))


async def _agencies_page(request: web.Request, user: User, form: dict[str, str] | None = None,
                         error: str | None = None, status: int = 200,
                         secret: tuple[str, str] | None = None) -> web.Response:
    tz = request.config_dict[DEPS].tz
    rows: list[list[object]] = []
    for a in map(present.agency, await subscribers.list_all(user)):
        state = h("span", {"class": "late" if a["failures"] else "ok"},
                  _("失败 {n} 次", n=a["failures"]) if a["failures"] else _("正常"))
        rows.append([
            a["code"], a["name"], labels.label_html("agency_kind", a["kind"]), a["url"],
            ", ".join(labels.label("event_category", c) for c in a["event_types"]),
            _("启用") if a["active"] else _("已停用"), a["last_delivered_id"], a["lag"],
            join(state, h("br", {}) if a["last_error"] else None,
                 h("span", {"class": "hint"}, a["last_error"]) if a["last_error"] else None),
            when(a["next_attempt_at"], tz), a["dead_letters"],
            _replay_form(request, a["id"], a["last_delivered_id"])])
    shown = None
    if secret is not None:
        shown = h("div", {"class": "notice"},
                  _("{code} 的密钥（只显示这一次，请立即交给该单位）：", code=secret[0]),
                  h("code", {"class": "secret"}, secret[1]))
    body = join(shown, table(
        [_("代码"), _("名称"), _("类型"), _("接收地址"), _("事件"), _("状态"),
         _("已送达至"), _("待送"), _("投递"), _("下次尝试"), _("死信"), _("重发")],
        rows, _("尚未登记联检单位")),
        h("h2", {}, _("登记联检单位")), _register_form(request, form or {}))
    return page(request, _("联检单位"), body, status=status, error=error)


@routes.get("/agencies")
@staff_page(Role.ADMIN)
async def agencies_page(request: web.Request, user: User) -> web.StreamResponse:
    """Subscribers with their delivery state, a replay form each, and registration."""
    return await _agencies_page(request, user)


@routes.post("/agencies")
@staff_page(Role.ADMIN)
async def register_agency(request: web.Request, user: User) -> web.StreamResponse:
    """Register an agency; the page shows its secret this once."""
    form = await form_of(request)
    posted = await request.post()
    batch = ids.id_from_text(form.get("batch_size", "1") or "1", subscribers.MAX_BATCH)
    body = {"code": form.get("code", ""), "name": form.get("name", ""),
            "kind": form.get("kind", ""), "url": form.get("url", ""),
            "event_types": [str(v) for v in posted.getall("event_types", [])],
            "batch_size": batch if batch is not None else 0}
    policy = subscribers.Policy(request.config_dict[SETTINGS].exchange_loopback_http)
    try:
        agency, secret = await subscribers.register(user, body,
                                                    request.config_dict[DEPS].cipher, policy)
    except BorderPassError as err:
        return await _agencies_page(request, user, form, error_text(err), err.status)
    return await _agencies_page(request, user, status=201, secret=(agency.code, secret))


@routes.post("/agencies/{id}/replay")
@staff_page(Role.ADMIN)
async def replay_agency(request: web.Request, user: User) -> web.StreamResponse:
    """Deliver again every entitled event after the given id."""
    form = await form_of(request)
    text = form.get("after", "").strip()
    after = 0 if text == "0" else ids.id_from_text(text)
    try:
        await subscribers.replay(user, path_int(request),
                                 after if after is not None else form.get("after"))
    except BorderPassError as err:
        return await _agencies_page(request, user, error=error_text(err), status=err.status)
    raise redirect("/agencies", "replayed")


async def _reviews_page(request: web.Request, user: User, error: str | None = None,
                        status: int = 200) -> web.Response:
    tz = request.config_dict[DEPS].tz
    rows: list[list[object]] = []
    for item in await reviews.pending(user):
        action = f"{PREFIX}/agency-reviews/{item['id']}"
        decide = h("form", {"method": "post", "action": action}, hidden_csrf(request),
                   h("input", {"name": "note", "required": True, "maxlength": "500",
                               "aria-label": _("审核意见")}),
                   h("button", {"type": "submit", "name": "decision", "value": "confirm"},
                     _("确认列入")),
                   h("button", {"type": "submit", "name": "decision", "value": "reject"},
                     _("驳回")))
        subject = h("a", {"href": f"{PREFIX}/review/filings/{item['filing_id']}"},
                    str(item["filing_id"])) if item["filing_id"] is not None \
            else join(_("信用记录"), " · ", item["label"] or item["party_kind"] or "")
        rows.append([item["id"], item["agency_name"], subject,
                     item["reason"], item["note"], when(item["received_at"], tz), decide])
    body = join(h("p", {"class": "hint"},
                  _("联检单位报送的黑名单和违规记录须经海关确认后才生效。")),
                table([_("编号"), _("报送单位"), _("备案"), _("原因"), _("说明"), _("收到时间"),
                       _("审核")], rows, _("没有待审核的报送")))
    return page(request, _("联检单位报送的黑名单"), body, status=status, error=error)


@routes.get("/agency-reviews")
@staff_page(Role.CUSTOMS, Role.ADMIN)
async def reviews_page(request: web.Request, user: User) -> web.StreamResponse:
    """Agencies' blacklist entries waiting for review."""
    return await _reviews_page(request, user)


@routes.post("/agency-reviews/{id}")
@staff_page(Role.CUSTOMS, Role.ADMIN)
async def decide_review(request: web.Request, user: User) -> web.StreamResponse:
    """Confirm or reject an agency's blacklist entry, with a note."""
    form = await form_of(request)
    try:
        await reviews.decide(user, path_int(request, limit=ids.MAX_ID),
                             form.get("decision") == "confirm", form.get("note", ""))
    except BorderPassError as err:
        return await _reviews_page(request, user, error_text(err), err.status)
    raise redirect("/agency-reviews", "agency_reviewed")
