"""Credit in the console (R-P2): parties by class, one party's credit (events, class, rule
and version, reasons), and on the review desk the fast lane's decisions and samples."""

from __future__ import annotations

from aiohttp import web

from borderpass.console.base import PREFIX, _, path_int, staff_page
from borderpass.console.html import Safe, h, join
from borderpass.console.layout import page, table, when
from borderpass.core.i18n import translate
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.presenters import credit as present
from borderpass.services.credit import fast_lane, rules, view
from borderpass.web.appkeys import DEPS

routes = web.RouteTableDef()
CREDIT_ROLES = (Role.REVIEWER, Role.CUSTOMS, Role.ADMIN)
REVIEW_ROLES = (Role.REVIEWER, Role.ADMIN)


def _class(credit_class: str) -> Safe:
    return h("span", {"class": f"credit {credit_class}", "data-class": credit_class},
             _(rules.CLASSES[credit_class]))


def _party_kind(kind: str) -> str:
    return _("个人") if kind == "person" else _("企业或单位")


@routes.get("/credit")
@staff_page(*CREDIT_ROLES)
async def credit_list(request: web.Request, user: User) -> web.StreamResponse:
    """Parties by class (``?class=restricted``), the latest changed first."""
    chosen = request.query.get("class")
    records = await view.listing(user, chosen)
    tz = request.config_dict[DEPS].tz
    rows: list[list[object]] = [
        [r.id, _party_kind(r.party_kind), r.label or "—", _class(r.credit_class), r.rule,
         r.rule_version, when(r.updated_at.isoformat(), tz),
         h("a", {"href": f"{PREFIX}/credit/{r.id}"}, _("查看"))] for r in records]
    filters = h("nav", {"class": "filters"}, [
        h("a", {"href": f"{PREFIX}/credit?class={c}",
                "aria-current": "page" if c == chosen else None}, _(text))
        for c, text in rules.CLASSES.items()])
    headers = [_("编号"), _("主体"), _("名称"), _("信用等级"), _("规则"), _("规则版本"),
               _("更新时间"), ""]
    return page(request, _("信用记录"), join(filters, table(headers, rows, _("没有信用记录"))))


def _party(request: web.Request, found: dict[str, object]) -> Safe:
    tz = request.config_dict[DEPS].tz
    credit_class = str(found["credit_class"])
    head = h("p", {"class": "meta"}, _party_kind(str(found["party_kind"])), " · ",
             str(found["label"] or "—"), " · ", _class(credit_class), " · ",
             _("规则 {rule}（版本 {version}）", rule=found["rule"],
               version=found["rule_version"]))
    reasons = h("ul", {"class": "reasons"},
                [h("li", {}, r["text"]) for r in found["reasons"]])  # type: ignore[attr-defined]
    limits = h("ul", {"class": "restrictions"},
               [h("li", {"data-code": r["code"]}, r["text"])
                for r in found["restrictions"]])  # type: ignore[attr-defined]
    rows: list[list[object]] = [
        [e["id"], e["text"], e["source"], e["ref"], e["lifts"] or "—",
         when(e["occurred_at"], tz), when(e["until"], tz) if e["until"] else "—",
         h("a", {"href": f"{PREFIX}/review/filings/{e['filing_id']}"}, e["filing_id"])
         if e["filing_id"] else "—"]
        for e in found["events"]]  # type: ignore[attr-defined]
    headers = [_("编号"), _("事件"), _("来源"), _("来源编号"), _("解除"), _("时间"),
               _("有效至"), _("备案")]
    return join(head, h("h2", {}, _("原因")), reasons, h("h2", {}, _("限制与便利")), limits,
                h("h2", {}, _("信用事件")),
                table(headers, rows, _("没有信用事件"), {"class": "events"}))


@routes.get("/credit/{id:\\d+}")
@staff_page(*CREDIT_ROLES)
async def credit_party(request: web.Request, user: User) -> web.StreamResponse:
    """One party's credit: class, rule and version, reasons, restrictions, events."""
    found = present.staff_credit(await view.of_record(user, path_int(request)))
    return page(request, _("信用记录 {id}", id=found["record_id"]), _party(request, found))


@routes.get("/credit/filings/{id:\\d+}")
@staff_page(*CREDIT_ROLES)
async def credit_of_filing(request: web.Request, user: User) -> web.StreamResponse:
    """The credit of a filing's owner (linked from the review desk)."""
    found = present.staff_credit(await view.of_filing(user, path_int(request)))
    title = _("备案 {id} 车主的信用", id=found["filing_id"])
    link = h("p", {}, h("a", {"href": f"{PREFIX}/credit/{found['record_id']}"},
                        _("信用记录 {id}", id=found["record_id"]))) \
        if found["record_id"] else None
    return page(request, title, join(link, _party(request, found)))


@routes.get("/review/fast-lane")
@staff_page(*REVIEW_ROLES)
async def fast_lane_page(request: web.Request, user: User) -> web.StreamResponse:
    """The fast lane's latest decisions (R-P2.6): approved by rule, or sampled to review."""
    tz = request.config_dict[DEPS].tz
    rows: list[list[object]] = []
    for decision, filing in await fast_lane.recent():
        shown = present.fast_lane(decision)
        outcome = _("按规则通过") if decision.outcome == fast_lane.APPROVED \
            else _("抽样人工审核")
        rows.append([
            h("a", {"href": f"{PREFIX}/review/filings/{decision.filing_id}"},
              decision.filing_id),
            filing.plate_number if filing and filing.plate_number else "—",
            h("span", {"data-outcome": decision.outcome}, outcome),
            f"{decision.rule} v{decision.rule_version}",
            _class(str(shown["credit_class"])) if shown["credit_class"] else "—",
            shown["class_rule"] or "—",
            filing.status.value if filing else "—",
            when(shown["decided_at"], tz),
            h("a", {"href": f"{PREFIX}/credit/filings/{decision.filing_id}"}, _("信用"))])
    headers = [_("备案"), _("号牌号码"), _("结果"), _("规则"), _("信用等级"), _("等级规则"),
               _("备案状态"), _("决定时间"), ""]
    share = request.config_dict[DEPS].credit_sample_share
    hint = h("p", {"class": "hint"}, _(
        "未变更的续期、车主信用为守信的，按规则即时通过；其中 {share}% 抽样交人工审核",
        share=round(share * 100, 1)))
    return page(request, _("快速通道"), join(hint, table(headers, rows, _("没有记录"),
                                                        {"class": "fast-lane"})))


def class_text(credit_class: str, locale: str) -> str:
    """A class's name in ``locale``."""
    return translate(rules.CLASSES[credit_class], locale)
