"""The words of each notification, in the reader's language, and their shape per channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from borderpass.core.i18n import N_, translate
from borderpass.services import clock
from borderpass.services.crossings import land_ports
from borderpass.services.filings import return_reasons
from borderpass.services.notify import kinds
from borderpass.services.notify.channels import SUBSCRIBE_THING_LIMIT, Link
from borderpass.services.notify.fit import fit

PASS_PAGE = "pages/pass/index?declaration={id}"
FILING_PAGE = "pages/filing/detail?id={id}"
TRIPS_PAGE = "pages/trips/index"
UNITS_PAGE = "pages/units/index"
DATA_PAGE = "pages/me/data?id={id}"  # the user's data export (R-D3)
EXPORT_PAGE = "pages/export/enterprise?id={id}"  # the enterprise's pending cancellations


def port_label(code: str, locale: str) -> str:
    """A port's name in the reader's script (issue #18: no pinyin for Burmese readers), from
    the ports table (services/crossings/land_ports.py)."""
    return land_ports.label(code, locale)


UNIT_REASONS = {  # R-U6
    "dishonesty": N_("列入严重失信名单"),
    "request": N_("本人申请"),
    "left_unit": N_("已离开该单位"),
    "unit_deregistered": N_("单位已注销"),
}
# The subscribe message's title and tip are ``thing`` fields (≤ 20 characters): short words
# chosen per event so that no locale needs cutting and no two events read alike (issue #18:
# "approved" and "returned" were both cut to "မှတ်ပုံတင်မှု…" in Burmese).
SUBSCRIBE_WORDS: dict[str, tuple[str, str]] = {
    kinds.FILING_APPROVED: (N_("审核通过"), N_("出入境前先申报")),
    kinds.FILING_RETURNED: (N_("审核退回"), N_("修改后重新提交")),
    kinds.FILING_EXPIRING: (N_("即将到期"), N_("请及时续期")),
    kinds.DECLARATION_ACCEPTED: (N_("申报受理"), N_("在车道出示")),
    kinds.TRIP_OPENED: (N_("已出境"), N_("记住返回期限")),
    kinds.TRIP_DEADLINE: (N_("按期返回入境"), N_("请勿逾期")),
    kinds.BLACKLISTED: (N_("列入黑名单"), N_("尽快到口岸办说明")),
    kinds.UNIT_LIST_CHANGED: (N_("名单变更"), N_("疑问请问所在单位")),
    kinds.EXPORT_CANCEL_DUE: (N_("注销将到期"), N_("按期注销并录入")),
    kinds.EXPORT_CANCEL_OVERDUE: (N_("注销已逾期"), N_("尽快注销并录入")),
    kinds.DATA_EXPORT_READY: (N_("数据副本已生成"), N_("请按期下载")),
}
BLACKLIST_WARNING = N_("逾期未返回，车主将被列入黑名单。")
CANCEL_STEPS = N_("车辆离境后，请到车辆管理所办理注销登记，"
                  "再在小程序中录入注销日期和注销证明书上的二维码内容。")


@dataclass(frozen=True)
class Message:
    """One notification rendered for one reader: short parts for templates, lines for text."""

    title: str
    subject: str
    when: datetime | None
    lines: list[str] = field(default_factory=list)
    tip: str = ""
    page: str | None = None
    link_text: str = ""
    short_title: str = ""  # the subscribe message's thing fields (SUBSCRIBE_WORDS)
    short_tip: str = ""

    @property
    def link(self) -> Link | None:
        """The mini-program page to open, if any."""
        return Link(self.page, self.link_text) if self.page else None


@dataclass(frozen=True)
class Reader:
    """Who reads it and when: locale, time zone, the moment of sending."""

    locale: str
    zone: ZoneInfo
    now: datetime

    def t(self, source: str, **params: Any) -> str:
        return translate(source, self.locale, **params)

    def date(self, moment: datetime) -> str:
        return format_date(moment.astimezone(self.zone).date(), "long", locale=self.locale)

    def date_time(self, moment: datetime) -> str:
        local = moment.astimezone(self.zone)
        return f"{self.date(moment)} {format_time(local, 'short', locale=self.locale)}"

    def port(self, code: str) -> str:
        return port_label(code, self.locale)


def _at(payload: dict[str, Any], key: str) -> datetime:
    return datetime.fromisoformat(str(payload[key]))


def _filing_approved(p: dict[str, Any], r: Reader) -> Message:
    expires = _at(p, "expires_at")
    return Message(
        r.t(N_("备案已通过")), p["plate"], expires,
        [r.t(N_("车辆 {plate} 的备案已审核通过，有效期至 {date}。"), plate=p["plate"],
             date=r.date(expires)),
         r.t(N_("每次出境、入境前请先申报：在小程序中，或在公众号对话中发送“申报”。"))],
        r.t(N_("出入境前请先申报")), FILING_PAGE.format(id=p["filing_id"]))


def _filing_returned(p: dict[str, Any], r: Reader) -> Message:
    reasons = list(p.get("reasons", []))
    lines = [r.t(N_("车辆 {plate} 的备案被退回，请按以下 {count} 项意见修改后重新提交："),
                 plate=p["plate"], count=len(reasons))]
    lines += [return_reasons.line(i, reason, r.locale) for i, reason in enumerate(reasons, 1)]
    return Message(r.t(N_("备案被退回")), p["plate"], _at(p, "returned_at"), lines,
                   r.t(N_("请修改后重新提交")), FILING_PAGE.format(id=p["filing_id"]))


def _days_left(deadline: datetime, r: Reader) -> str:
    if deadline - r.now < timedelta(days=1):
        return r.t(N_("剩余时间不到一天。"))
    return r.t(N_("剩余天数：{days}。"), days=clock.days_until(deadline, r.now))  # 90 is 90


def _filing_expiring(p: dict[str, Any], r: Reader) -> Message:
    expires = _at(p, "expires_at")
    return Message(
        r.t(N_("备案即将到期")), p["plate"], expires,
        [r.t(N_("车辆 {plate} 的备案将于 {date} 到期。"), plate=p["plate"],
             date=r.date_time(expires)),
         _days_left(expires, r),
         r.t(N_("到期后不能申报出入境。到期前 60 天起可以在小程序中续期（备案详情 → 续期）；"
                "续期通过后，新的一年从到期时起算，不会中断。"))],
        r.t(N_("请及时续期")), FILING_PAGE.format(id=p["filing_id"]))  # R-F3


def _declaration_accepted(p: dict[str, Any], r: Reader) -> Message:
    planned = _at(p, "planned_at")
    source = N_("车辆 {plate} 的出境申报已受理：{port} 口岸，{date}。") \
        if p["direction"] == "exit" else N_("车辆 {plate} 的入境申报已受理：{port} 口岸，{date}。")
    lines = [r.t(source, plate=p["plate"], port=r.port(p["port"]), date=r.date_time(planned))]
    lines.append(r.t(N_("通关时请在车道出示通行码。")))
    return Message(r.t(N_("申报已受理")), p["plate"], planned, lines,
                   r.t(N_("通关时出示通行码")), PASS_PAGE.format(id=p["declaration_id"]))


def _trip_opened(p: dict[str, Any], r: Reader) -> Message:  # R-F8
    """The exit crossing was recorded: the deadline counts from it, not from the declaration."""
    exited, deadline = _at(p, "exited_at"), _at(p, "deadline")
    return Message(
        r.t(N_("已出境")), p["plate"], exited,
        [r.t(N_("车辆 {plate} 已于 {date} 从 {port} 口岸出境。"), plate=p["plate"],
             date=r.date_time(exited), port=r.port(p["port"])),
         r.t(N_("请于 {date} 前返回入境。"), date=r.date_time(deadline)),
         r.t(BLACKLIST_WARNING)],
        r.t(N_("逾期将被列入黑名单")), TRIPS_PAGE)


def _trip_deadline(p: dict[str, Any], r: Reader) -> Message:  # R-F8
    deadline = _at(p, "deadline")
    return Message(
        r.t(N_("请按期返回入境")), p["plate"], deadline,
        [r.t(N_("车辆 {plate} 须于 {date} 前返回入境。"), plate=p["plate"],
             date=r.date_time(deadline)),
         _days_left(deadline, r), r.t(BLACKLIST_WARNING)],
        r.t(N_("逾期将被列入黑名单")), TRIPS_PAGE)


def _blacklisted(p: dict[str, Any], r: Reader) -> Message:  # R-F9
    deadline = _at(p, "deadline")
    return Message(
        r.t(N_("已被列入黑名单")), p["plate"], deadline,
        [r.t(N_("车辆 {plate} 未在 {date} 前返回入境，车主已被列入黑名单，暂时不能申报出入境。"),
             plate=p["plate"], date=r.date_time(deadline)),
         r.t(N_("请尽快将车辆驶回，并携带证件到口岸管理办公室说明情况；经海关审核后可解除。"))],
        r.t(N_("请尽快到口岸办说明情况")), TRIPS_PAGE)


def _unit_list_changed(p: dict[str, Any], r: Reader) -> Message:  # R-U6
    source = N_("{subject} 已列入 {unit} 的信用通行名单。") if p["change"] == "added" \
        else N_("{subject} 已从 {unit} 的信用通行名单中移除。")
    lines = [r.t(source, subject=p["subject"], unit=p["unit"])]
    reason = str(p.get("reason") or "")
    if reason:
        shown = r.t(UNIT_REASONS[reason]) if reason in UNIT_REASONS else reason
        lines.append(r.t(N_("原因：{reason}"), reason=shown))
    return Message(r.t(N_("通行名单已变更")), p["subject"], r.now, lines,
                   r.t(N_("如有疑问请联系所在单位")), UNITS_PAGE)


def _vehicle(p: dict[str, Any]) -> dict[str, str]:
    """The vehicle as its certificate names it: VIN in full (not personal data), brand, model."""
    return {"vin": p["vin"], "vehicle": f"{p['brand']} {p['model']}".strip(),
            "licence": p.get("licence_number") or "—"}


def _cancel_due(p: dict[str, Any], r: Reader) -> Message:  # R-E7
    deadline = _at(p, "cancel_due_at")
    return Message(
        r.t(N_("请按期办理车辆注销")), p["vin"], deadline,
        [r.t(N_("出口车辆 {vin}（{vehicle}，许可证 {licence}）须于 {date} 前办理注销登记。"),
             date=r.date_time(deadline), **_vehicle(p)),
         _days_left(deadline, r), r.t(CANCEL_STEPS),
         r.t(N_("逾期未录入注销的，企业将不能申请新的出口许可证。"))],
        r.t(N_("请按期注销并录入")), EXPORT_PAGE.format(id=p["enterprise_id"]))


def _cancel_overdue(p: dict[str, Any], r: Reader) -> Message:  # R-E7: the lock
    deadline = _at(p, "cancel_due_at")
    return Message(
        r.t(N_("车辆注销已逾期")), p["vin"], deadline,
        [r.t(N_("出口车辆 {vin}（{vehicle}，许可证 {licence}）应于 {date} 前办理注销登记，"
                "现已逾期。"), date=r.date_time(deadline), **_vehicle(p)),
         r.t(N_("录入注销之前，{enterprise} 不能申请新的出口许可证；录入后即解除。"),
             enterprise=p["enterprise"]),
         r.t(CANCEL_STEPS)],
        r.t(N_("请尽快注销并录入")), EXPORT_PAGE.format(id=p["enterprise_id"]))


def _data_export_ready(p: dict[str, Any], r: Reader) -> Message:  # R-D3
    expires = _at(p, "expires_at")
    return Message(
        r.t(N_("您的个人数据副本已生成")), r.t(N_("我的数据")), expires,
        [r.t(N_("您申请的个人数据副本已生成，请在 {date} 前在小程序“我的数据”中下载。"),
             date=r.date_time(expires)),
         r.t(N_("只有您本人可以下载；到期后副本将被删除。"))],
        r.t(N_("请按期下载")), DATA_PAGE.format(id=p["export_id"]))


RENDERERS: dict[str, Callable[[dict[str, Any], Reader], Message]] = {
    kinds.FILING_APPROVED: _filing_approved,
    kinds.FILING_RETURNED: _filing_returned,
    kinds.FILING_EXPIRING: _filing_expiring,
    kinds.DECLARATION_ACCEPTED: _declaration_accepted,
    kinds.TRIP_OPENED: _trip_opened,
    kinds.TRIP_DEADLINE: _trip_deadline,
    kinds.BLACKLISTED: _blacklisted,
    kinds.UNIT_LIST_CHANGED: _unit_list_changed,
    kinds.EXPORT_CANCEL_DUE: _cancel_due,
    kinds.EXPORT_CANCEL_OVERDUE: _cancel_overdue,
    kinds.DATA_EXPORT_READY: _data_export_ready,
}


def render(kind: str, payload: dict[str, Any], reader: Reader) -> Message:
    """The message of one notification for one reader."""
    message = RENDERERS[kind](payload, reader)
    link_text = reader.t(N_("打开小程序查看"))
    title, tip = SUBSCRIBE_WORDS[kind]
    return Message(message.title, message.subject, message.when, message.lines, message.tip,
                   message.page, link_text, reader.t(title), reader.t(tip))


def subscribe_data(message: Message, reader: Reader) -> dict[str, str]:
    """Subscribe-template fields (thing1 subject, thing2 title, time3 when, thing4 tip)."""
    when = (message.when or reader.now).astimezone(reader.zone)
    return {
        "thing1": fit(message.subject, SUBSCRIBE_THING_LIMIT),
        "thing2": fit(message.short_title or message.title, SUBSCRIBE_THING_LIMIT),
        "time3": when.strftime("%Y-%m-%d %H:%M"),
        "thing4": fit(message.short_tip or message.tip, SUBSCRIBE_THING_LIMIT),
    }


def plain_text(message: Message) -> str:
    """The whole message as a customer-service text: title, then every line."""
    return "\n".join([f"【{message.title}】", *message.lines])


def template_data(message: Message, reader: Reader) -> dict[str, str]:
    """Official Account template fields (first, keyword1–3, remark)."""
    when = reader.date_time(message.when) if message.when else reader.date_time(reader.now)
    return {
        "first": message.title,
        "keyword1": message.subject,
        "keyword2": when,
        "keyword3": message.lines[0] if message.lines else message.title,
        "remark": "\n".join([*message.lines[1:], message.tip]),
    }
