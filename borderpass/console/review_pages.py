"""The reviewer's desk (R-F6, R-F10, R-F11): the queue against the 30-minute target with its
total, pages and who holds which filing; a filing with its documents in an on-page viewer
beside its fields, a sticky action bar, approve or return with field-level reasons, and
then on to the next filing of the queue."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from borderpass.console import labels, profile_pages
from borderpass.console.base import (
    PREFIX,
    _,
    error_text,
    form_of,
    locale,
    path_int,
    redirect,
    staff_page,
)
from borderpass.console.html import Safe, h, join
from borderpass.console.layout import hidden_csrf, page, reveal_form, table, when
from borderpass.console.viewer import thumbnail, viewer
from borderpass.core.errors import BorderPassError, FieldError
from borderpass.core.i18n import N_
from borderpass.models import Filing, User
from borderpass.models.enums import FilingStatus, Role
from borderpass.presenters import filings as present
from borderpass.services import clock
from borderpass.services.filings import (
    documents,
    filing_reveal,
    filings,
    return_reasons,
    review,
    review_claims,
)
from borderpass.services.filings.requirements import DRIVER_FIELDS, category_fields, field_label
from borderpass.services.office_hours import REVIEW_TARGET_SECONDS, office_seconds
from borderpass.services.ports import Deps
from borderpass.web.appkeys import DEPS

routes = web.RouteTableDef()
REVIEW_ROLES = (Role.REVIEWER, Role.ADMIN)
# Reasons to pick from; codes of the error catalogue, so the applicant reads them in their
# own language; "other" needs a typed explanation.
REASON_CODES = tuple(return_reasons.CODES)
REASON_ROWS = 3
MAX_ROWS = 20
PER_PAGE = 50
MAX_PAGE = 10_000


def _minutes(seconds: int) -> str:
    return _("{minutes} 分钟", minutes=seconds // 60)


def _category(value: str) -> str:
    return labels.label("category", value)


def _holder_cell(holder: review_claims.Holder | None, request: web.Request) -> Safe | str:
    """Who holds a filing (R-F11): "you", a name until a time, or nobody."""
    if holder is None:
        return "—"
    until = when(holder.expires_at.isoformat(), request.config_dict[DEPS].tz)[-5:]
    if holder.mine:
        return h("span", {"class": "claim mine"}, _("您正在审核"))
    return h("span", {"class": "claim other"},
             _("{name} 正在审核（至 {time}）", name=holder.name, time=until))


def _page_number(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and int(raw) >= 1 else 1


async def _queue_box(request: web.Request, user: User) -> Safe:
    """The queue's total, the page's rows with their holders, and the pager."""
    number = _page_number(request)
    total = await review.queue_total(user)
    pages = max(1, -(-total // PER_PAGE))
    number = min(number, pages)
    items = await review.queue(request.config_dict[DEPS], user, PER_PAGE,
                               (number - 1) * PER_PAGE)
    held = await review_claims.holders(user, [int(i["id"]) for i in items])
    tz = request.config_dict[DEPS].tz
    rows: list[list[object]] = []
    for item in items:
        waited = item["waited_office_seconds"]
        state = h("span", {"class": "late" if item["overdue"] else "ok"},
                  _("已超时") if item["overdue"] else _("未超时"))
        link = h("a", {"href": f"{PREFIX}/review/filings/{item['id']}", "class": "open"},
                 _("审核"))
        kind = _category(item["category"])
        if item.get("renews_id"):  # R-F3
            kind = f"{kind} · {_('续期（原备案 {id}）', id=item['renews_id'])}"
        if item.get("corrects_id"):  # R-D6
            kind = f"{kind} · {_('更正（原备案 {id}）', id=item['corrects_id'])}"
        rows.append([item["id"], item["plate_number"] or "—", kind,
                     when(item["submitted_at"], tz), _minutes(waited), state,
                     _holder_cell(held.get(int(item["id"])), request), link])
    headers = [_("编号"), _("号牌号码"), _("备案类别"), _("提交时间"), _("已等待（办公时间）"),
               _("目标 {minutes} 分钟", minutes=REVIEW_TARGET_SECONDS // 60), _("审核人"), ""]
    first = (number - 1) * PER_PAGE + 1 if items else 0
    summary = h("p", {"class": "total", "data-total": str(total)},
                _("共 {total} 件待审核，第 {page}/{pages} 页（第 {first}–{last} 件）",
                  total=total, page=number, pages=pages, first=first,
                  last=first + len(items) - 1 if items else 0))
    return join(summary, table(headers, rows, _("没有待审核的备案"),
                               {"class": "queue", "data-rows": "1"}), _pager(number, pages))


def _pager(number: int, pages: int) -> Safe | None:
    if pages <= 1:
        return None
    shown = sorted({1, pages, *range(max(1, number - 2), min(pages, number + 2) + 1)})
    links: list[Safe] = []
    if number > 1:
        links.append(h("a", {"href": f"{PREFIX}/review?page={number - 1}", "rel": "prev"},
                       _("上一页")))
    for n in shown:
        links.append(h("a", {"href": f"{PREFIX}/review?page={n}",
                             "aria-current": "page" if n == number else None}, str(n)))
    if number < pages:
        links.append(h("a", {"href": f"{PREFIX}/review?page={number + 1}", "rel": "next"},
                       _("下一页")))
    return h("nav", {"class": "pager", "aria-label": _("分页")}, links)


@routes.get("/review")
@staff_page(*REVIEW_ROLES)
async def queue_page(request: web.Request, user: User) -> web.StreamResponse:
    """The review queue, oldest first, by pages, with its total and who holds which filing
    (R-F11); it refreshes itself every 20 seconds."""
    hint = h("p", {"class": "hint"},
             _("快捷键：J/K 上下移动，Enter 打开，A 通过，R 退回，N 下一件，Q 返回队列"))
    part = f"{PREFIX}/review/queue.part?page={_page_number(request)}"
    body = join(hint, h("div", {"id": "queue", "data-refresh": part, "data-every": "20"},
                        await _queue_box(request, user)))
    return page(request, _("审核队列"), body)


@routes.get("/review/queue.part")
@staff_page(*REVIEW_ROLES)
async def queue_part(request: web.Request, user: User) -> web.StreamResponse:
    """The queue (total, rows, pager) alone, for the page's auto-refresh."""
    return web.Response(text=await _queue_box(request, user), content_type="text/html")


def _mark(path: str, body: dict[str, Any]) -> Safe | None:
    """The OCR badge of a field: filled by OCR (with confidence) or in conflict."""
    for key, label, css in (("prefilled", N_("证件识别填写"), "ocr"),
                            ("conflicts", N_("与识别结果不同"), "conflict")):
        mark = body.get(key, {}).get(path)
        if mark:
            conf = mark.get("confidence")
            extra = f" {round(float(conf) * 100)}%" if isinstance(conf, int | float) else ""
            value = mark.get("value") or ""
            text = f"{_(label)}{extra}" + (f" · {value}" if css == "conflict" and value else "")
            return h("span", {"class": f"badge {css}"}, text)
    return None


class _Personal:
    """How the detail page shows personal fields: masked, a "show" button where the viewer
    may reveal one (R-U7), and the one field just revealed."""

    def __init__(self, request: web.Request, filing_id: int, allowed: frozenset[str],
                 revealed: str | None) -> None:
        self.request, self.filing_id = request, filing_id
        self.allowed, self.revealed = allowed, revealed

    def action(self, path: str) -> Safe | None:
        if path == self.revealed:
            return h("span", {"class": "badge revealed"}, _("已显示，已记入审计日志"))
        if path not in self.allowed:
            return None
        return reveal_form(self.request, self.filing_id, path)


def _changed(path: str, body: dict[str, Any]) -> Safe | None:
    """The badge of a field a renewal (R-F3) or a correction (R-D6) changed against the
    filing it follows."""
    if path in (body.get("renewal_changes") or ()):
        text = _("更正时已变更") if body.get("corrects_id") else _("续期时已变更")
        return h("span", {"class": "badge changed"}, text)
    return None


def _field_row(path: str, value: object, body: dict[str, Any], personal: _Personal) -> Safe:
    label = field_label(path) or path
    choices = labels.CHOICES.get(path)
    if choices is not None and isinstance(value, str) and value:
        shown: object = labels.label(f"choice:{path}", value)
    else:
        shown = {True: _("是"), False: _("否"), None: "—"}.get(value, value)  # type: ignore[call-overload]
    flag = h("button", {"type": "button", "class": "flag", "data-field": path,
                        "title": _("退回此项")}, "⚑")
    return h("tr", {"data-path": path}, h("th", {}, _(label)),
             h("td", {}, str(shown), " ", _mark(path, body), " ", _changed(path, body), " ",
               personal.action(path)),
             h("td", {}, flag))


def _fields(filing: Filing, body: dict[str, Any], personal: _Personal) -> Safe:
    rows = []
    for spec in category_fields(filing.category):
        section, _dot, name = spec.name.partition(".")
        value = body.get("official_letter_id") if not name else \
            (body.get(section) or {}).get(name)
        rows.append(_field_row(spec.name, value, body, personal))
    parts = [h("table", {"class": "fields"}, rows)]
    for i, driver in enumerate(body["drivers"]):
        drows = [_field_row(f"drivers[{i}].{spec.name}", driver.get(spec.name), body, personal)
                 for spec in DRIVER_FIELDS]
        parts.append(h("h3", {}, _("驾驶人 {n}", n=i + 1)))
        parts.append(h("table", {"class": "fields"}, drows))
    return join(parts)


def _slot_label(slot: str) -> str:
    kind, _hash, n = slot.partition("#")
    label = labels.label("document", kind)
    return f"{label} · {_('驾驶人 {n}', n=n)}" if n else label


def _reading(ocr: dict[str, Any] | None) -> Safe | None:
    if not ocr:
        return None
    rows = []
    for name, f in (ocr.get("fields") or {}).items():
        conf = f.get("confidence")
        warn = "；".join(labels.label("ocr_warning", str(w)) for w in f.get("warnings") or [])
        rows.append([labels.label_html("ocr_field", name), f.get("value") or "—",
                     f"{round(float(conf) * 100)}%" if isinstance(conf, int | float) else "—",
                     h("span", {"class": "warn"}, warn) if warn else ""])
    notes = "；".join(labels.label("ocr_warning", str(w)) for w in ocr.get("warnings") or [])
    return join(table([_("识别项"), _("识别值"), _("置信度"), _("提示")], rows,
                      _("未识别出内容"), {"class": "ocr"}),
                h("p", {"class": "warn"}, notes) if notes else None)


async def _documents(deps: Deps, user: User, slots: dict[str, int],
                     body: dict[str, Any]) -> Safe:
    # Readings come masked; each image is audited when the browser loads it (R-U7).
    readings = await filing_reveal.masked_readings(deps, user, list(slots.values()))
    cards = []
    for slot, doc_id in slots.items():
        cards.append(h("figure", {"class": "doc", "id": f"doc-{slot}"},
                       h("figcaption", {}, _slot_label(slot), " ",
                         _changed(f"documents.{slot}", body), " ",
                         h("button", {"type": "button", "class": "flag",
                                      "data-field": f"documents.{slot}",
                                      "title": _("退回此项")}, "⚑")),
                       thumbnail(doc_id, _slot_label(slot)),
                       _reading(readings.get(doc_id))))
    return h("div", {"class": "docs"}, cards)


def _reason_options(filing: Filing, body: dict[str, Any]) -> list[tuple[str, str]]:
    options = [("", "—"), ("general", _("整体"))]
    options += [(s.name, _(s.label)) for s in category_fields(filing.category)]
    for i, _d in enumerate(body["drivers"]):
        options += [(f"drivers[{i}].{s.name}", f"{_('驾驶人 {n}', n=i + 1)} · {_(s.label)}")
                    for s in DRIVER_FIELDS]
    options += [(f"documents.{slot}", _slot_label(slot)) for slot in body["documents"]]
    return options


def _return_form(request: web.Request, filing: Filing, body: dict[str, Any],
                 given: dict[str, str]) -> Safe:
    options = _reason_options(filing, body)
    codes = [(c, _("其他（请填写）") if c == "other" else return_reasons.code_text(c, locale()))
             for c in REASON_CODES]
    rows = []
    count = max(REASON_ROWS, sum(1 for k in given if k.startswith("field_")))
    for i in range(min(count, MAX_ROWS)):
        rows.append(h("div", {"class": "reason"},
                      _select(f"field_{i}", options, given.get(f"field_{i}", "")),
                      _select(f"code_{i}", codes, given.get(f"code_{i}", "invalid")),
                      h("input", {"name": f"message_{i}", "maxlength": "500",
                                  "value": given.get(f"message_{i}", ""),
                                  "placeholder": _("说明（可选）")})))
    return h("form", {"method": "post", "id": "return-form",
                      "action": f"{PREFIX}/review/filings/{filing.id}/return"},
             hidden_csrf(request), h("h2", {}, _("退回（一次写明全部原因）")), rows,
             h("button", {"type": "button", "id": "add-reason"}, _("再加一条")),
             h("button", {"type": "submit", "class": "danger"}, _("退回")))


def _select(name: str, options: list[tuple[str, str]], chosen: str) -> Safe:
    """A select list (kept narrow by CSS: long labels wrap in the option list, not the page)."""
    return h("select", {"name": name},
             [h("option", {"value": v, "selected": v == chosen}, label) for v, label in options])


def _reason_text(reason: dict[str, str]) -> str:
    return return_reasons.line(1, reason, locale())[3:]  # the list numbers it


def _action_bar(request: web.Request, filing: Filing, holder: review_claims.Holder | None
                ) -> Safe:
    """The sticky bar (always in view): who holds the filing, approve, return, skip, back.
    A filing held by another reviewer shows their name and "take over" instead (R-F11)."""
    base = f"{PREFIX}/review/filings/{filing.id}"
    back = h("a", {"href": f"{PREFIX}/review", "id": "back", "class": "back"}, _("返回队列"))
    if filing.status is not FilingStatus.SUBMITTED:
        return h("div", {"class": "actionbar"}, back)
    if holder is not None and not holder.mine:
        until = when(holder.expires_at.isoformat(), request.config_dict[DEPS].tz)[-5:]
        take = h("form", {"method": "post", "action": f"{base}/claim", "class": "inline",
                          "id": "takeover-form"},
                 hidden_csrf(request), h("input", {"type": "hidden", "name": "take_over",
                                                   "value": "1"}),
                 h("button", {"type": "submit", "class": "primary"}, _("接手审核")))
        return h("div", {"class": "actionbar held"},
                 h("span", {"class": "claim other"},
                   _("{name} 正在审核（至 {time}）", name=holder.name, time=until)),
                 take, back)
    approve = h("form", {"method": "post", "id": "approve-form", "class": "inline",
                         "action": f"{base}/approve"},
                hidden_csrf(request),
                h("button", {"type": "submit", "class": "primary", "accesskey": "a"},
                  _("通过")))
    ret = h("button", {"type": "submit", "form": "return-form", "class": "danger",
                       "id": "return-submit", "accesskey": "r"}, _("退回（附原因）"))
    skip = h("form", {"method": "post", "action": f"{base}/skip", "class": "inline",
                      "id": "skip-form"},
             hidden_csrf(request),
             h("button", {"type": "submit", "title": _("放回队列，打开下一件")}, _("跳过")))
    mine = h("span", {"class": "claim mine"}, _("您正在审核（15 分钟内有效，打开即续期）")) \
        if holder is not None else None
    return h("div", {"class": "actionbar"}, approve, ret, skip, mine, back)


async def _detail(request: web.Request, user: User, filing_id: int,
                  given: dict[str, str] | None = None, error: str | None = None,
                  status: int = 200, revealed: tuple[str, str | None] | None = None
                  ) -> web.Response:
    deps = request.config_dict[DEPS]
    filing = await filings.visible(user, filing_id)
    holder = await review_claims.claim(user, filing)  # R-F11: held while it is open
    body = present.filing(await filing_reveal.masked_view(deps, filing),  # R-U7: not audited
                          user.locale)
    if revealed:
        _put(body, *revealed)
    personal = _Personal(request, filing.id, await filing_reveal.revealable(user, filing),
                         revealed[0] if revealed else None)
    head = [_category(body["category"]), labels.label("filing_status", body["status"]),
            _("提交时间") + " " + when(body["submitted_at"], deps.tz)]
    for key in ("renews_id", "corrects_id"):
        if body.get(key):  # R-F3, R-D6: what the reviewer compares against
            changes = body.get("renewal_changes")
            mark = _("续期（原备案 {id}）", id=body[key]) if key == "renews_id" else \
                _("更正（原备案 {id}）", id=body[key])
            head.append(h("span", {"class": "renewal"},
                          h("a", {"href": f"{PREFIX}/review/filings/{body[key]}"}, mark), " ",
                          _("变更 {count} 项", count=len(changes)) if changes is not None
                          else ""))
    if lane := body.get("fast_lane"):  # R-P2.6: what the rule did with this renewal
        head.append(h("span", {"class": "fast-lane", "data-outcome": lane["outcome"]},
                      _("快速通道：按规则 {rule} 通过", rule=lane["rule"])
                      if lane["outcome"] == "approved"
                      else _("快速通道：抽样人工审核（{rule}）", rule=lane["rule"])))
    if filing.owner_key:  # R-P2: the owner's credit, events and class
        head.append(h("a", {"href": f"{PREFIX}/credit/filings/{filing.id}",
                            "class": "credit"}, _("车主信用")))
    if filing.status is FilingStatus.SUBMITTED and filing.submitted_at:
        waited = office_seconds(filing.submitted_at, clock.now(), deps.tz, deps.holidays)
        css = "late" if waited > REVIEW_TARGET_SECONDS else "ok"
        head.append(h("span", {"class": css}, _("已等待（办公时间）") + " " + _minutes(waited)))
    actions: Safe | None = None
    if filing.status is FilingStatus.SUBMITTED and (holder is None or holder.mine):
        actions = h("section", {"class": "actions"},
                    _return_form(request, filing, body, given or {}))
    elif body["return_reasons"]:
        actions = h("section", {}, h("h2", {}, _("退回原因")),
                    h("ul", {}, [h("li", {}, _reason_text(r)) for r in body["return_reasons"]]))
    organisation = body.get("organisation") or {}
    profile = await profile_pages.profile_box(  # R-P1: what the organisation declared once
        request, user, body.get("profile_id"), organisation.get("uscc"))
    content = join(
        _action_bar(request, filing, holder),
        h("p", {"class": "meta"}, [join(" · " if i else None, x) for i, x in enumerate(head)]),
        h("p", {"class": "hint"},
          _("个人信息已遮蔽；需要时点击“显示”查看单项，每次查看都记入审计日志")),
        h("div", {"class": "split"},
          h("section", {"class": "left"}, h("h2", {}, _("填写内容")),
            _fields(filing, body, personal), profile, actions),
          h("section", {"class": "right"}, h("h2", {}, _("上传材料")),
            await _documents(request.config_dict[DEPS], user, body["documents"], body))),
        viewer())
    title = _("备案 {id} · {plate}", id=filing.id, plate=filing.plate_number or "—")
    return page(request, title, content, status=status, error=error)


@routes.get("/review/filings/{id}")
@staff_page(*REVIEW_ROLES)
async def detail_page(request: web.Request, user: User) -> web.StreamResponse:
    """One filing: fields on the left, documents with their OCR readings on the right."""
    return await _detail(request, user, path_int(request))


def _put(body: dict[str, Any], path: str, value: str | None) -> None:
    """Put one revealed value into the masked view."""
    if path.startswith("drivers["):
        index, _dot, name = path.removeprefix("drivers[").partition("].")
        body["drivers"][int(index)][name] = value
    else:
        section, _dot, name = path.partition(".")
        body[section] = {**body.get(section, {}), name: value}


@routes.post("/filings/{id}/reveal")
@staff_page(*filing_reveal.REVEAL_ROLES)
async def reveal_field(request: web.Request, user: User) -> web.StreamResponse:
    """Show one masked field of a filing to a role that needs it; each reveal is audited
    (R-U7). Reviewers get the filing back with the field shown, customs just the field."""
    filing_id = path_int(request)
    form = await form_of(request)
    path = form.get("field", "")[:60]
    review_desk = user.has_role(*REVIEW_ROLES)
    try:
        value = await filing_reveal.reveal(request.config_dict[DEPS], user, filing_id, path,
                                           form.get("purpose", ""))
    except BorderPassError as err:
        if not review_desk:
            raise
        return await _detail(request, user, filing_id, error=error_text(err), status=err.status)
    if review_desk:
        return await _detail(request, user, filing_id, revealed=(path, value))
    label = _driver_label(path)
    content = join(h("dl", {"class": "revealed"}, h("dt", {}, label), h("dd", {}, value or "—")),
                   h("p", {"class": "hint"}, _("已显示，已记入审计日志")),
                   h("p", {}, h("a", {"href": f"{PREFIX}/blacklist", "id": "back"},
                                _("返回黑名单"))))
    return page(request, _("备案 {id}", id=filing_id), content)


def _driver_label(path: str) -> str:
    label = _(field_label(path) or path)
    if not path.startswith("drivers["):
        return label
    n = int(path.removeprefix("drivers[").partition("]")[0]) + 1
    return f"{_('驾驶人 {n}', n=n)} · {label}"


@routes.post("/review/filings/{id}/approve")
@staff_page(*REVIEW_ROLES)
async def approve(request: web.Request, user: User) -> web.StreamResponse:
    """Approve; valid one year (R-F3)."""
    filing_id = path_int(request)
    try:
        await review.approve(user, filing_id)
    except BorderPassError as err:
        return await _detail(request, user, filing_id, error=error_text(err), status=err.status)
    raise await _to_next(user, filing_id, "approved")


async def _to_next(user: User, after: int, done: str | None) -> web.HTTPSeeOther:
    """After a decision (or a skip): the next filing of the queue, else the queue."""
    following = await review.next_in_queue(user, after)
    return redirect(f"/review/filings/{following}" if following else "/review", done)


@routes.post("/review/filings/{id}/claim")
@staff_page(*REVIEW_ROLES)
async def take_over(request: web.Request, user: User) -> web.StreamResponse:
    """Take over a filing another reviewer holds (R-F11; audited)."""
    filing_id = path_int(request)
    form = await form_of(request)
    filing = await filings.visible(user, filing_id)
    await review_claims.claim(user, filing, take_over=form.get("take_over") == "1")
    raise redirect(f"/review/filings/{filing_id}")


@routes.post("/review/filings/{id}/skip")
@staff_page(*REVIEW_ROLES)
async def skip(request: web.Request, user: User) -> web.StreamResponse:
    """Put the filing back (release one's claim) and open the next one."""
    filing_id = path_int(request)
    await review_claims.release(user, filing_id)
    raise await _to_next(user, filing_id, None)


def reasons_from_form(form: dict[str, str]) -> list[dict[str, str]]:
    """The reasons of the return form: one per row whose field is chosen."""
    reasons = []
    for i in range(MAX_ROWS):
        field = form.get(f"field_{i}", "").strip()
        if not field:
            continue
        code = form.get(f"code_{i}", "other")
        message = form.get(f"message_{i}", "").strip()
        if code not in REASON_CODES:
            raise FieldError("choice", "reasons", choices=", ".join(REASON_CODES))
        if code == "other" and not message:
            raise FieldError("required", "reason")
        reasons.append({"field": field, "code": code, "message": message})
    return reasons


@routes.post("/review/filings/{id}/return")
@staff_page(*REVIEW_ROLES)
async def return_filing(request: web.Request, user: User) -> web.StreamResponse:
    """Return with every reason at once (R-F6); on a mistake the form comes back filled."""
    filing_id = path_int(request)
    form = await form_of(request)
    try:
        await review.return_filing(user, filing_id, reasons_from_form(form))
    except BorderPassError as err:
        return await _detail(request, user, filing_id, form, error_text(err), err.status)
    raise await _to_next(user, filing_id, "returned")


@routes.get("/documents/{id}/image")
@staff_page(*REVIEW_ROLES)
async def document_image(request: web.Request, user: User) -> web.StreamResponse:
    """A document's image for the reviewer (each read audited, R-U7)."""
    doc = await documents.visible_document(user, path_int(request))
    data = await documents.document_bytes(request.config_dict[DEPS], doc)
    return web.Response(body=data, content_type=doc.mime,
                        headers={"Cache-Control": "private, no-store"})
