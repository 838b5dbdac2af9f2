"""What the console shows instead of programme codes: one label table per code family, in the
gettext catalogs (zh_CN, my, en), used by every page.

A code no table knows is shown as a neutral "other" label with the code in a tooltip only
(``label_html``), never as the text a desk reads. Port names are proper nouns and come from
``services.notify.texts`` in the reader's script.
"""

from __future__ import annotations

from borderpass.console.base import _, locale
from borderpass.console.html import Safe, h
from borderpass.core.i18n import N_
from borderpass.services.crossings import land_ports
from borderpass.services.filings.requirements import CATEGORY_LABELS, DOCUMENT_KINDS
from borderpass.services.gate.gate_texts import OPEN_TEXTS, REFUSAL_TEXTS

OTHER = N_("其他")

FILING_STATUS = {
    "draft": N_("草稿"), "submitted": N_("待审核"), "returned": N_("已退回"),
    "approved": N_("已通过"), "expired": N_("已过期"), "revoked": N_("已撤销"),
    "superseded": N_("已被更正取代"),
}
CATEGORIES = {k.value: v for k, v in CATEGORY_LABELS.items()}
# Values of the filing form's choice fields, by field.
CHOICES: dict[str, dict[str, str]] = {
    "vehicle.licence_kind": {"paper": N_("纸质行驶证"), "electronic": N_("电子行驶证")},
}
DOCUMENTS = dict(DOCUMENT_KINDS)
OCR_FIELDS = {
    "licence_number": N_("证号"), "name": N_("姓名"), "sex": N_("性别"),
    "nationality": N_("国籍"), "address": N_("住址"), "birth_date": N_("出生日期"),
    "first_issue_date": N_("初次领证日期"), "vehicle_class": N_("准驾车型"),
    "valid_from": N_("有效期起"), "valid_until": N_("有效期至"),
    "permit_number": N_("证件号码"), "issuing_authority": N_("签发机关"),
    "ethnicity": N_("民族"), "id_number": N_("公民身份号码"), "plate_number": N_("号牌号码"),
    "vehicle_type": N_("车辆类型"), "owner": N_("所有人"), "use_character": N_("使用性质"),
    "model": N_("品牌型号"), "vin": N_("车辆识别代号"), "engine_number": N_("发动机号码"),
    "register_date": N_("注册日期"), "issue_date": N_("发证日期"),
    "manufacturer": N_("制造商"), "manufacture_date": N_("制造日期"),
}
OCR_WARNINGS = {
    "no_text": N_("照片上没有识别出文字"), "not_found": N_("未找到此项"),
    "low_confidence": N_("识别把握不大，请对照照片核对"),
    "date_format": N_("日期格式无法识别"), "label_not_found": N_("未找到此项的标题"),
    "id_repaired": N_("个别字符已按校验码纠正"), "vin_repaired": N_("个别字母已按校验位纠正"),
    "birth_date_mismatch": N_("出生日期与身份证号码不符"),
    "sex_mismatch": N_("性别与身份证号码不符"), "nationality_unknown": N_("国籍无法识别"),
    "validity_order": N_("有效期的结束早于开始"),
}
# Check failures of read numbers, by prefix of their error code.
OCR_CHECK_PREFIXES = (("id_", N_("证件号码校验未通过，请核对")),
                      ("vin_", N_("车辆识别代号校验未通过，请核对")),
                      ("plate_", N_("号牌号码格式不符，请核对")))
LANE_TYPES = {
    "bonded_goods": N_("保税货物通道"), "ecommerce_9610": N_("跨境电商（9610）通道"),
    "non_bonded_goods": N_("非保税货物通道"), "administrative": N_("行政通道"),
    "people": N_("旅客车辆通道"), "second_line": N_("二线信用通行通道"),
}
DIRECTIONS = {"exit": N_("出境"), "entry": N_("入境")}
LEDGER_KINDS = {
    "scan": N_("扫码"), "command": N_("指令"), "ack": N_("执行回执"),
    "manual_lift": N_("人工抬杆"), "emergency": N_("紧急放行"), "fault": N_("故障"),
    "fault_resolved": N_("故障已处理"), "handover": N_("交接班"), "connect": N_("连接"),
    "disconnect": N_("断开"), "status": N_("道闸状态"), "offline_scan": N_("离线扫码"),
}
LEDGER_OUTCOMES = {
    "open": N_("放行"), "deny": N_("拒绝"), "hold": N_("扣留查验"),
    "requested": N_("已申请"), "approved": N_("已批准"), "refused": N_("已拒绝"),
    "executed": N_("已执行"), "done": N_("已执行"), "failed": N_("执行失败"),
    "reported": N_("已报告"), "resolved": N_("已处理"), "handed_over": N_("已交接"),
    "online": N_("在线"), "offline": N_("离线"), "up": N_("抬起"), "down": N_("落下"),
    "stuck": N_("卡住"),
}
EMERGENCY_KINDS = {"police": N_("警车"), "fire": N_("消防车"), "ambulance": N_("救护车")}
LEDGER_REASONS = {**REFUSAL_TEXTS, **OPEN_TEXTS, **EMERGENCY_KINDS}
LIFT_STATUS = {"requested": N_("待审批"), "approved": N_("已批准"), "refused": N_("已拒绝"),
               "executed": N_("已执行")}
ROLES = {"reviewer": N_("审核员"), "customs": N_("海关"), "gate_supervisor": N_("卡口主管"),
         "admin": N_("管理员"), "unit_admin": N_("单位管理员"), "driver": N_("驾驶人")}
UNIT_KINDS = {
    "government": N_("党政机关、事业单位"), "enterprise": N_("企业"),
    "social_organisation": N_("社会组织"), "community": N_("社区居委会"),
    "frequent_passage": N_("因公需经常进出的单位"),
}
UNIT_STATUS = {"pending": N_("待认证"), "active": N_("已认证"), "refused": N_("已拒绝"),
               "deregistered": N_("已注销")}
NOTIFICATION_KINDS = {
    "filing_approved": N_("备案通过"), "filing_returned": N_("备案退回"),
    "filing_expiring": N_("备案即将到期"), "declaration_accepted": N_("申报已受理"),
    "trip_deadline": N_("返程期限提醒"), "blacklisted": N_("列入黑名单"),
    "unit_list_changed": N_("单位名单变更"), "export_cancel_due": N_("出口车辆待注销"),
    "export_cancel_overdue": N_("出口车辆注销逾期"),
}
INSPECTION_RESULTS = {"cleared": N_("放行"), "inspected": N_("已查验"), "held": N_("扣留"),
                      "refused": N_("拒绝入出境")}
AGENCY_KINDS = {"customs": N_("海关"), "border_inspection": N_("边检"),
                "port_office": N_("口岸办")}
EVENT_CATEGORIES = {"declarations": N_("申报"), "crossings": N_("通行"),
                    "blacklist": N_("黑名单"), "credit": N_("信用"),
                    "inspections": N_("查验结果")}
FAMILIES: dict[str, dict[str, str]] = {
    "filing_status": FILING_STATUS, "category": CATEGORIES, "document": DOCUMENTS,
    "ocr_field": OCR_FIELDS, "ocr_warning": OCR_WARNINGS, "lane_type": LANE_TYPES,
    "direction": DIRECTIONS, "ledger_kind": LEDGER_KINDS, "ledger_outcome": LEDGER_OUTCOMES,
    "ledger_reason": LEDGER_REASONS, "lift_status": LIFT_STATUS, "role": ROLES,
    "unit_kind": UNIT_KINDS, "unit_status": UNIT_STATUS,
    "notification_kind": NOTIFICATION_KINDS, "inspection_result": INSPECTION_RESULTS,
    "agency_kind": AGENCY_KINDS, "event_category": EVENT_CATEGORIES,
    **{f"choice:{k}": v for k, v in CHOICES.items()},
}


def label(family: str, code: str | None) -> str:
    """The label of ``code`` in ``family`` in the page's language; "—" for no code and the
    neutral "other" for a code the table does not know (never the code itself)."""
    if code is None or code == "":
        return "—"
    if family == "port":
        return land_ports.label(code, locale()) if land_ports.known(code) else _(OTHER)
    if family == "ocr_warning" and code not in OCR_WARNINGS:
        for prefix, text in OCR_CHECK_PREFIXES:
            if code.startswith(prefix):
                return _(text)
    known_text = FAMILIES.get(family, {}).get(code)
    return _(known_text) if known_text else _(OTHER)


def label_html(family: str, code: str | None) -> Safe:
    """The label as a ``<span>`` keeping the code in ``data-code`` (for tests and support),
    not in its text."""
    return h("span", {"data-code": code or None}, label(family, code))


def known(family: str, code: str) -> bool:
    """True when ``family`` has its own label for ``code``."""
    if family == "port":
        return land_ports.known(code)
    return code in FAMILIES.get(family, {})
