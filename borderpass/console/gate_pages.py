"""Gate supervisor's desk: lanes with their live connection, last event and open faults,
emergency release (R-G5), the ledger with filters and a CSV export (R-G6)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from borderpass.adapters import lane_presence
from borderpass.console import labels
from borderpass.console.base import (
    PREFIX,
    _,
    error_text,
    form_of,
    locale,
    redirect,
    staff_page,
)
from borderpass.console.html import Safe, h, join
from borderpass.console.layout import hidden_csrf, page, table, when
from borderpass.core.errors import BorderPassError, FieldError
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.gate import FaultTicket, LedgerEntry
from borderpass.presenters import gate as present
from borderpass.services import clock
from borderpass.services.crossings import land_ports
from borderpass.services.exchange import inspections
from borderpass.services.gate import gate_lifts, lanes, ledger
from borderpass.web.appkeys import DEPS, GATE, REDIS

routes = web.RouteTableDef()
GATE_ROLES = (Role.GATE_SUPERVISOR, Role.ADMIN)
PAGE_ROWS = 500
KIND_LABELS = labels.EMERGENCY_KINDS


def _online(state: dict[str, Any] | None, request: web.Request) -> Safe:
    """A lane's live connection: online since when, or offline."""
    if state is None:
        return h("span", {"class": "offline"}, _("离线"))
    since = when(state.get("since"), request.config_dict[DEPS].tz)
    return h("span", {"class": "online", "title": state.get("node") or None},
             _("在线"), " · ", _("自 {time}", time=since))


def _faults(symptoms: list[str]) -> Safe | str:
    if not symptoms:
        return _("无")
    return h("span", {"class": "late", "title": "; ".join(symptoms)}, str(len(symptoms)))


async def _lane_rows(request: web.Request) -> list[list[object]]:
    tz = request.config_dict[DEPS].tz
    faults: dict[str, list[str]] = {}
    for ticket in await FaultTicket.filter(resolved_at=None).prefetch_related("lane"):
        faults.setdefault(ticket.lane.code, []).append(ticket.symptom)
    all_lanes = await lanes.all_lanes()
    live = await lane_presence.online(request.config_dict[REDIS], [x.code for x in all_lanes])
    rows: list[list[object]] = []
    await land_ports.CACHE.get()  # the ports' names (issue 26)
    for lane in all_lanes:
        info = present.lane(lane)
        # The newest by event time; the (lane_code, at) index answers it without a sort.
        last = await LedgerEntry.filter(lane_code=lane.code).order_by("-at").first()
        event = " ".join((when(last.at.isoformat(), tz), labels.label("ledger_kind", last.kind),
                          labels.label("ledger_outcome", last.outcome))) if last else "—"
        port = h("span", {"title": info["port"]}, land_ports.label(info["port"], locale()))
        rows.append([info["code"], port, labels.label("lane_type", info["lane_type"]),
                     labels.label("direction", info["direction"]),
                     _("启用") if info["active"] else _("停用"),
                     _online(live.get(lane.code), request), event,
                     _faults(faults.get(lane.code, []))])
    return rows


def _lanes_table(rows: list[list[object]]) -> Safe:
    headers = [_("通道编号"), _("口岸"), _("通道类型"), _("方向"), _("状态"), _("连接"),
               _("最近事件"), _("未处理故障")]
    return table(headers, rows, _("还没有通道"), {"class": "lanes"})


def _emergency_form(request: web.Request, codes: list[str]) -> Safe:
    return h("form", {"method": "post", "action": f"{PREFIX}/emergency", "class": "filters"},
             hidden_csrf(request),
             h("label", {}, _("通道"), " ", h("select", {"name": "lane"},
                                               [h("option", {"value": c}, c) for c in codes])),
             h("label", {}, _("号牌号码"), " ", h("input", {"name": "plate", "required": True,
                                                           "maxlength": "16"})),
             h("label", {}, _("车辆类别"), " ",
               h("select", {"name": "kind"}, [h("option", {"value": k}, _(v))
                                              for k, v in KIND_LABELS.items()])),
             h("label", {}, _("备注"), " ", h("input", {"name": "note", "maxlength": "500"})),
             h("button", {"type": "submit", "class": "danger"}, _("紧急放行")))


async def _lanes_page(request: web.Request, error: str | None = None,
                      status: int = 200) -> web.Response:
    rows = await _lane_rows(request)
    body = join(
        h("div", {"id": "lanes", "data-refresh": f"{PREFIX}/lanes.part", "data-every": "10"},
          _lanes_table(rows)),
        h("p", {"class": "hint"},
          _("“在线”表示通道控制器此刻与网关保持连接（任一网关进程）；本表每 10 秒自动刷新")),
        h("h2", {}, _("紧急放行（警车、消防车、救护车）")),
        _emergency_form(request, [str(r[0]) for r in rows]))
    return page(request, _("通道"), body, status=status, error=error)


@routes.get("/lanes")
@staff_page(*GATE_ROLES)
async def lanes_page(request: web.Request, user: User) -> web.StreamResponse:
    """Every lane with its live connection, last ledger event and open faults; emergency
    release below."""
    return await _lanes_page(request)


@routes.get("/lanes.part")
@staff_page(*GATE_ROLES)
async def lanes_part(request: web.Request, user: User) -> web.StreamResponse:
    """The lanes table alone, for the page's auto-refresh."""
    html = _lanes_table(await _lane_rows(request))
    return web.Response(text=html, content_type="text/html")


@routes.post("/emergency")
@staff_page(*GATE_ROLES)
async def emergency(request: web.Request, user: User) -> web.StreamResponse:
    """Open the lane at once for a police, fire or ambulance vehicle (R-G5), ledgered."""
    form = await form_of(request)
    body: dict[str, Any] = {k: form.get(k) or None for k in ("lane", "plate", "kind", "note")}
    try:
        await gate_lifts.emergency(request.config_dict[GATE], user, body)
    except BorderPassError as err:
        return await _lanes_page(request, error_text(err), err.status)
    raise redirect("/lanes", "released")


def _window(request: web.Request) -> tuple[datetime, datetime, str | None]:
    """The ledger filter: local from/to (default the last 24 hours) and a lane."""
    tz = request.config_dict[DEPS].tz
    now = clock.now().astimezone(tz)

    def parse(name: str, default: datetime) -> datetime:
        raw = request.query.get(name, "")
        if not raw:
            return default
        try:
            value = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise FieldError("type_datetime", name) from exc
        return value if value.tzinfo else value.replace(tzinfo=tz)

    start = parse("from", now - timedelta(days=1))
    end = parse("to", now + timedelta(minutes=1))
    return start, end, request.query.get("lane") or None


def _filters(request: web.Request, start: datetime, end: datetime, lane: str | None) -> Safe:
    tz = request.config_dict[DEPS].tz

    def local(v: datetime) -> str:
        return v.astimezone(tz).strftime("%Y-%m-%dT%H:%M")

    query = request.query_string
    return h("form", {"method": "get", "class": "filters"},
             h("label", {}, _("从"), " ", h("input", {"type": "datetime-local", "name": "from",
                                                     "value": local(start)})),
             h("label", {}, _("到"), " ", h("input", {"type": "datetime-local", "name": "to",
                                                     "value": local(end)})),
             h("label", {}, _("通道"), " ", h("input", {"name": "lane", "value": lane or "",
                                                       "maxlength": "40"})),
             h("button", {"type": "submit"}, _("筛选")),
             h("a", {"href": f"{PREFIX}/ledger.csv" + (f"?{query}" if query else "")},
               _("导出 CSV")))


def reason_of(e: LedgerEntry) -> Safe | str:
    """The ledger's reason column: the typed reason of a manual lift (R-G4) with the
    decision's note, a gate reason by its label, anything else as recorded."""
    detail = e.detail if isinstance(e.detail, dict) else {}
    if e.kind == "manual_lift":
        why = str(detail.get("reason") or "")
        note = str(detail.get("note") or "")
        return join(why, h("br", {}) if why and note else None,
                    h("span", {"class": "hint"}, _("审批意见") + "：" + note) if note else None)
    if e.kind in ("fault", "fault_resolved"):
        return str(detail.get("symptom") or detail.get("cause") or "")
    if not e.reason:
        return ""
    if e.kind == "ack":  # the command acknowledged
        return _("回执指令 {id}", id=e.reason)
    return labels.label_html("ledger_reason", e.reason)


def inspected(results: list[inspections.Result]) -> Safe:
    """Agencies' inspection results on the entry's declaration: agency, result, note."""
    return join(*[h("div", {"class": "inspection"}, r.agency, "：",
                    labels.label_html("inspection_result", r.result),
                    h("span", {"class": "hint"}, " " + r.note) if r.note else None)
                  for r in results])


def actor_of(e: LedgerEntry) -> str:
    """Who acted: a staff account's name, the lane's bridge, or the guard as recorded."""
    actor = e.actor or ""
    if actor == "bridge":
        return _("网关")
    return actor.removeprefix("user:")


@routes.get("/ledger")
@staff_page(*GATE_ROLES)
async def ledger_page(request: web.Request, user: User) -> web.StreamResponse:
    """Ledger entries in a window, oldest first (the first 500; export for all)."""
    tz = request.config_dict[DEPS].tz
    try:
        start, end, lane = _window(request)
    except FieldError as err:
        return page(request, _("通行台账"), Safe(""), status=422, error=error_text(err))
    rows: list[list[object]] = []
    async for chunk in ledger.rows(start, end, lane, chunk=PAGE_ROWS):
        # agencies' inspection results beside the crossing they name (issue #21 B, R-P1)
        checked = await inspections.for_declarations(e.declaration_id for e in chunk)
        rows = [[e.id, when(e.at.isoformat(), tz), e.lane_code,
                 labels.label_html("ledger_kind", e.kind), e.plate,
                 labels.label_html("ledger_outcome", e.outcome), reason_of(e), actor_of(e),
                 _("是") if e.flagged else "",
                 inspected(checked.get(e.declaration_id or 0, []))] for e in chunk]
        break
    total = await ledger.count(start, end, lane)
    body = join(_filters(request, start, end, lane),
                h("p", {"class": "hint"}, _("共 {total} 条，显示前 {shown} 条",
                                            total=total, shown=len(rows))),
                table([_("编号"), _("时间"), _("通道"), _("类型"), _("号牌号码"), _("结果"),
                       _("原因"), _("操作人"), _("标记"), _("联检查验")], rows,
                      _("该时段没有记录")))
    return page(request, _("通行台账"), body)


@routes.get("/ledger.csv")
@staff_page(*GATE_ROLES)
async def ledger_csv(request: web.Request, user: User) -> web.StreamResponse:
    """The whole filtered ledger as CSV, streamed in chunks (R-G6)."""
    start, end, lane = _window(request)
    response = web.StreamResponse(headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="ledger.csv"'})
    await response.prepare(request)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["id", "at", "lane", "kind", "event_id", "declaration_id", "plate",
                     "outcome", "reason", "actor", "flagged", "detail"])
    async for chunk in ledger.rows(start, end, lane):
        for e in chunk:
            d = present.ledger_entry(e)
            writer.writerow([_cell(d[k]) for k in ("id", "at", "lane", "kind", "event_id",
                                                   "declaration_id", "plate", "outcome",
                                                   "reason", "actor", "flagged")]
                            + [_cell(json.dumps(d["detail"], ensure_ascii=False))])
        await response.write(buf.getvalue().encode())
        buf.seek(0)
        buf.truncate()
    await response.write(buf.getvalue().encode())
    await response.write_eof()
    return response


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
