"""Customs desk for used-car export: licences awaiting issuance against the 3-working-day
target (R-E5), a licence with its vehicles, issue or refuse with every reason (R-E2, R-E8),
and the one clearance of an issued licence (R-E3), which starts the 2-month clock (R-E7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from babel import Locale

from borderpass.console.base import (
    PREFIX,
    _,
    form_of,
    locale,
    path_int,
    redirect,
    staff_page,
)
from borderpass.console.html import Safe, h, join
from borderpass.console.layout import hidden_csrf, page, table, when
from borderpass.core.errors import BorderPassError, FieldError, NotFound
from borderpass.core.i18n import N_
from borderpass.models import User
from borderpass.presenters import export as present
from borderpass.services import clock
from borderpass.services.error_text import all_errors_line, label_separator
from borderpass.services.export import licences, obligations
from borderpass.services.filings import documents
from borderpass.services.filings.requirements import DOCUMENT_KINDS, field_label
from borderpass.web.appkeys import DEPS

routes = web.RouteTableDef()
OFFICER_ROLES = licences.OFFICER_ROLES  # customs, admin
BASE = "/export/licences"
REASON_ROWS = 3
MAX_ROWS = 20
VEHICLE_FIELDS = ("vin", "brand", "model", "certificate_number", "certificate_document_id")
LICENCE_STATUS = {
    "submitted": N_("待签发"), "issued": N_("已签发"), "refused": N_("已不予签发"),
    "cleared": N_("已报关"), "short": N_("部分报关，须退回"), "returned": N_("已退回"),
    "withdrawn": N_("已撤回"),
}
VEHICLE_STATE = {"applied": N_("已申请"), "cleared": N_("已报关"), "left_off": N_("未报关"),
                 "released": N_("已释放")}
GOODS_STATE = {"used": N_("旧")}  # R-E8: 商品状态 "旧"


def _label(path: str) -> str:
    if path == "general":
        return _("整体")
    label = field_label(path)
    return _(label) if label else path


def _colon() -> str:
    return label_separator(locale())


def _country(code: str) -> str:
    name = Locale.parse(locale()).territories.get(code)
    return f"{code} · {name}" if name else code


def _late(item: dict[str, Any]) -> bool:
    return datetime.fromisoformat(item["issue_due_at"]) <= clock.now()


def _clock(item: dict[str, Any]) -> Safe:
    """Working days waited against the 3-day target, red once the due time passed (R-E5)."""
    late = item["status"] == "submitted" and _late(item)
    return h("span", {"class": "late" if late else "ok"},
             _("{days} / {target} 个工作日", days=item["working_days_to_issue"],
               target=item["target_working_days"]))


def _queue_table(items: list[dict[str, Any]], request: web.Request) -> Safe:
    tz = request.config_dict[DEPS].tz
    rows: list[list[object]] = [
        [x["id"], x["exporter"], x["vehicle_count"], x["commodity_code"],
         _country(x["destination"]), when(x["submitted_at"], tz), _clock(x),
         when(x["issue_due_at"], tz), _("已超时") if _late(x) else _("未超时"),
         h("a", {"href": f"{PREFIX}{BASE}/{x['id']}", "class": "open"}, _("审核"))]
        for x in items]
    headers = [_("编号"), _("出口商"), _("车辆数"), _("商品编码"), _("进口国（地区）"),
               _("提交时间"), _("已用工作日"), _("签发期限"),
               _("目标 {days} 个工作日", days=licences.ISSUE_WORKING_DAYS), ""]
    return table(headers, rows, _("没有待签发的出口许可证申请"),
                 {"class": "licences", "data-rows": "1"})


def _issued_table(items: list[dict[str, Any]], request: web.Request) -> Safe:
    tz = request.config_dict[DEPS].tz
    rows: list[list[object]] = [
        [x["number"], x["exporter"], x["vehicle_count"], when(x["issued_at"], tz),
         h("a", {"href": f"{PREFIX}{BASE}/{x['id']}"}, _("录入报关"))] for x in items]
    return table([_("许可证编号"), _("出口商"), _("车辆数"), _("签发时间"), ""], rows,
                 _("没有待报关的出口许可证"), {"class": "issued"})


@routes.get(BASE)
@staff_page(*OFFICER_ROLES)
async def licences_page(request: web.Request, user: User) -> web.StreamResponse:
    """Applications awaiting issuance, oldest first, and issued licences awaiting clearance."""
    deps = request.config_dict[DEPS]
    stats = await licences.issuance_stats(deps, user)
    summary = _("已签发 {issued} 份，其中 {within} 份在 {target} 个工作日内；"
                "待签发已超期 {overdue} 份", issued=stats["issued"],
                within=stats["within_target"], target=stats["target_working_days"],
                overdue=stats["pending_overdue"])
    body = join(
        h("p", {"class": "meta"}, summary),
        h("h2", {}, _("待签发的申请")),
        _queue_table([present.licence(x) for x in await licences.queue(deps, user)], request),
        h("h2", {}, _("已签发、待报关")),
        _issued_table([present.licence(x) for x in await licences.awaiting_clearance(deps, user)],
                      request))
    return page(request, _("出口许可证"), body)


def _facts(item: dict[str, Any], request: web.Request) -> Safe:
    tz = request.config_dict[DEPS].tz
    rows: list[tuple[str, object]] = [
        (_("许可证编号"), item["number"] or "—"),
        (_("状态"), _(LICENCE_STATUS.get(item["status"], item["status"]))),
        (_label("exporter"), item["exporter"]), (_label("consignor"), item["consignor"]),
        (_label("commodity_code"), item["commodity_code"]),
        (_label("goods_state"), _(GOODS_STATE.get(item["goods_state"], item["goods_state"]))),
        (_label("destination"), _country(item["destination"])),
        (_label("customs_zone"), item["customs_zone"] or "—"),
        (_("提交时间"), when(item["submitted_at"], tz)),
        (_("签发期限"), when(item["issue_due_at"], tz)),
        (_("已用工作日"), _clock(item)),
        (_("签发时间"), when(item["issued_at"], tz)),
        (_label("declaration_number"), item["declaration_number"] or "—"),
        (_("报关时间"), when(item["cleared_at"], tz)),
        (_("退回期限"), when(item["return_by"], tz)),
    ]
    return h("table", {"class": "fields"},
             [h("tr", {}, h("th", {}, k), h("td", {}, v)) for k, v in rows])


def _doc_link(licence_id: int, doc_id: int, text: str) -> Safe:
    href = f"{PREFIX}{BASE}/{licence_id}/documents/{doc_id}"
    return h("a", {"href": href, "target": "_blank", "rel": "noopener"}, text)


def _vehicles(item: dict[str, Any], certificates: dict[str, int], request: web.Request) -> Safe:
    tz = request.config_dict[DEPS].tz
    rows: list[list[object]] = []
    for i, v in enumerate(item["vehicles"], 1):
        cert = certificates.get(v["vin"])
        rows.append([i, h("code", {}, v["vin"]), v["brand"], v["model"],
                     join(v["certificate_number"], " ",
                          _doc_link(item["id"], cert, _("查看")) if cert else None),
                     _(VEHICLE_STATE.get(v["state"], v["state"])),
                     when(v["cancel_due_at"], tz)])
    headers = [_("序号"), _label("vin"), _label("brand"), _label("model"),
               _label("certificate_number"), _("状态"), _("注销期限")]
    return table(headers, rows, "—", {"class": "vehicles"})


def _documents(item: dict[str, Any]) -> Safe:
    links = [h("li", {}, _doc_link(item["id"], doc_id, _(DOCUMENT_KINDS.get(kind, kind))))
             for kind, doc_id in item["documents"].items()]
    return h("ul", {"class": "documents"}, links)


def _reason_options(item: dict[str, Any]) -> list[tuple[str, str]]:
    options = [("", "—"), ("general", _("整体"))]
    options += [(f, _label(f)) for f in ("commodity_code", "destination", "customs_zone",
                                         "exporter", "consignor", "goods_state")]
    options += [(f"documents.{kind}", _label(f"documents.{kind}")) for kind in item["documents"]]
    for i, v in enumerate(item["vehicles"]):
        options += [(f"vehicles[{i}].{f}", f"{v['vin']} · {_label(f)}") for f in VEHICLE_FIELDS]
    return options


def _select(name: str, options: list[tuple[str, str]], chosen: str) -> Safe:
    return h("select", {"name": name},
             [h("option", {"value": v, "selected": v == chosen}, label) for v, label in options])


def _decision_forms(request: web.Request, item: dict[str, Any], given: dict[str, str]) -> Safe:
    """Issue (R-E5), or refuse with every reason at once (一次性告知)."""
    action = f"{PREFIX}{BASE}/{item['id']}"
    issue = h("form", {"method": "post", "id": "approve-form", "action": f"{action}/issue"},
              hidden_csrf(request),
              h("button", {"type": "submit", "class": "primary", "accesskey": "a"},
                _("签发许可证")))
    options = _reason_options(item)
    count = max(REASON_ROWS, sum(1 for k in given if k.startswith("field_")))
    rows = [h("div", {"class": "reason"},
              _select(f"field_{i}", options, given.get(f"field_{i}", "")),
              h("input", {"name": f"message_{i}", "maxlength": "500",
                          "value": given.get(f"message_{i}", ""), "placeholder": _("原因说明")}))
            for i in range(min(count, MAX_ROWS))]
    refuse = h("form", {"method": "post", "id": "return-form", "action": f"{action}/refuse"},
               hidden_csrf(request), h("h2", {}, _("不予签发（一次写明全部原因）")), rows,
               h("button", {"type": "button", "id": "add-reason"}, _("再加一条")),
               h("button", {"type": "submit", "class": "danger", "accesskey": "r"},
                 _("不予签发")))
    return h("section", {"class": "actions"}, issue, refuse)


def _clearance_form(request: web.Request, item: dict[str, Any]) -> Safe:
    """The one clearance of an issued licence: the VINs actually cleared (R-E3)."""
    boxes = [h("label", {"class": "inline"},
               h("input", {"type": "checkbox", "name": "vin", "value": v["vin"],
                           "checked": True}), v["vin"]) for v in item["vehicles"]]
    return h("section", {"class": "actions"}, h("form", {
        "method": "post", "id": "clearance-form",
        "action": f"{PREFIX}{BASE}/{item['id']}/clearance"},
        hidden_csrf(request), h("h2", {}, _("录入报关（一证一次报关）")),
        h("p", {"class": "hint"},
          _("勾选实际报关的车辆；少于许可证车辆数时，企业须在期限内退回许可证")),
        h("div", {}, boxes),
        h("label", {}, _label("declaration_number"), " ",
          h("input", {"name": "declaration_number", "maxlength": "18", "inputmode": "numeric",
                      "placeholder": _("18 位数字")})),
        h("button", {"type": "submit", "class": "primary"}, _("记录报关"))))


def _refusal(item: dict[str, Any]) -> Safe | None:
    if not item["refusal_reasons"]:
        return None
    return h("section", {}, h("h2", {}, _("不予签发的原因")),
             h("ul", {}, [h("li", {}, _label(r["field"]) + _colon() + r["message"])
                          for r in item["refusal_reasons"]]))


async def _detail(request: web.Request, user: User, licence_id: int,
                  given: dict[str, str] | None = None, error: str | None = None,
                  status: int = 200) -> web.Response:
    licence = await licences.visible(user, licence_id)
    item = present.licence(licences.view(licence, request.config_dict[DEPS]))
    certificates = {v.vin: v.certificate_document_id for v in licence.vehicles}
    actions: Safe | None = _refusal(item)
    if item["status"] == "submitted":
        actions = _decision_forms(request, item, given or {})
    elif item["status"] == "issued":
        actions = _clearance_form(request, item)
    body = join(
        _facts(item, request),
        h("h2", {}, _("随附单证")), _documents(item),
        h("h2", {}, _label("vehicles")), _vehicles(item, certificates, request),
        actions,
        h("p", {}, h("a", {"href": f"{PREFIX}{BASE}", "id": "back"}, _("返回列表"))))
    return page(request, _("出口许可证 {id}", id=licence.id), body, status=status, error=error)


def _error_text(err: BorderPassError) -> str:
    """Every problem of a form at once, each naming its field."""
    return all_errors_line(err, locale())


@routes.get(BASE + "/{id}")
@staff_page(*OFFICER_ROLES)
async def licence_page(request: web.Request, user: User) -> web.StreamResponse:
    """One licence: its fields, documents and vehicles, and what customs may do now."""
    return await _detail(request, user, path_int(request))


@routes.post(BASE + "/{id}/issue")
@staff_page(*OFFICER_ROLES)
async def issue(request: web.Request, user: User) -> web.StreamResponse:
    """Issue the licence; the working days it took are recorded (R-E5)."""
    licence_id = path_int(request)
    try:
        await licences.issue(request.config_dict[DEPS], user, licence_id)
    except BorderPassError as err:
        return await _detail(request, user, licence_id, error=_error_text(err),
                             status=err.status)
    raise redirect(BASE, "licence_issued")


def reasons_from_form(form: dict[str, str]) -> list[dict[str, str]]:
    """The refusal reasons of the form: one per row with a field or a message."""
    reasons = []
    for i in range(MAX_ROWS):
        field = form.get(f"field_{i}", "").strip()
        message = form.get(f"message_{i}", "").strip()
        if not field and not message:
            continue
        if not message:
            raise FieldError("required", "reason")
        reasons.append({"field": field or "general", "message": message})
    return reasons


@routes.post(BASE + "/{id}/refuse")
@staff_page(*OFFICER_ROLES)
async def refuse(request: web.Request, user: User) -> web.StreamResponse:
    """Refuse with every reason at once; on a mistake the form comes back filled."""
    licence_id = path_int(request)
    form = await form_of(request)
    try:
        await licences.refuse(user, licence_id, reasons_from_form(form))
    except BorderPassError as err:
        return await _detail(request, user, licence_id, form, _error_text(err), err.status)
    raise redirect(BASE, "licence_refused")


@routes.post(BASE + "/{id}/clearance")
@staff_page(*obligations.CUSTOMS_ROLES)
async def clearance(request: web.Request, user: User) -> web.StreamResponse:
    """Record the one clearance: all VINs → cleared, fewer → short (R-E3); starts R-E7."""
    licence_id = path_int(request)
    form = await request.post()
    body = {"vins": [str(v) for v in form.getall("vin", [])],
            "declaration_number": str(form.get("declaration_number") or "").strip() or None}
    try:
        await obligations.record_clearance(user, licence_id, body)
    except BorderPassError as err:
        return await _detail(request, user, licence_id, error=_error_text(err),
                             status=err.status)
    raise redirect(f"{BASE}/{licence_id}", "licence_cleared")


@routes.get(BASE + "/{id}/documents/{doc}")
@staff_page(*OFFICER_ROLES)
async def document_image(request: web.Request, user: User) -> web.StreamResponse:
    """A document of this licence (contract, statement, registration certificate), audited."""
    licence = await licences.visible(user, path_int(request))
    doc_id = path_int(request, "doc")
    attached = {*licence.documents.values(),
                *(v.certificate_document_id for v in licence.vehicles)}
    if doc_id not in attached:
        raise NotFound("document_not_found", "id")
    doc = await documents.visible_document(user, doc_id)  # audited (R-U7)
    data = await documents.document_bytes(request.config_dict[DEPS], doc)
    return web.Response(body=data, content_type=doc.mime,
                        headers={"Cache-Control": "private, no-store"})
