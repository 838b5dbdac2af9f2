"""The bot's words, in the source language (zh_CN); translated through the catalogs."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

from borderpass.core.i18n import LOCALES, N_, translate
from borderpass.services.error_text import label_separator
from borderpass.services.notify.texts import port_label

# Command words, accepted in every language whatever the user's locale.
COMMANDS: dict[str, dict[str, str]] = {
    "help": {"zh_CN": "帮助", "my": "အကူအညီ", "en": "help"},
    "back": {"zh_CN": "返回", "my": "နောက်သို့", "en": "back"},
    "cancel": {"zh_CN": "取消", "my": "ပယ်ဖျက်", "en": "cancel"},
    "restart": {"zh_CN": "重新开始", "my": "အစမှ", "en": "restart"},
    "language": {"zh_CN": "语言", "my": "ဘာသာစကား", "en": "language"},
    "status": {"zh_CN": "状态", "my": "အခြေအနေ", "en": "status"},
    "file": {"zh_CN": "备案", "my": "မှတ်ပုံတင်", "en": "file"},
    "declare": {"zh_CN": "申报", "my": "ကြေညာ", "en": "declare"},
    "pass": {"zh_CN": "通行码", "my": "ဖြတ်သန်းခွင့်ကုဒ်", "en": "pass"},
    "data": {"zh_CN": "我的数据", "my": "ကျွန်ုပ်၏ဒေတာ", "en": "my data"},
    "erase": {"zh_CN": "删除我的数据", "my": "ကျွန်ုပ်၏ဒေတာဖျက်ရန်", "en": "delete my data"},
    "withdraw": {"zh_CN": "撤回同意", "my": "သဘောတူညီချက်ရုပ်သိမ်းရန်",
                 "en": "withdraw consent"},
}
ALIASES = {"?": "help", "？": "help", "menu": "help", "菜单": "help", "lang": "language",
           "ဖြတ်သန်းကတ်": "pass"}  # the old Burmese word for 通行码 still works
LANGUAGE_NAMES = {"zh_CN": "中文", "my": "မြန်မာဘာသာ", "en": "English"}

WELCOME = N_("欢迎使用边境通行！在这里可以办理车辆备案和出入境申报，查询状态和通行码。")
CHOOSE_LANGUAGE = N_("请选择语言，回复编号")
LANGUAGE_SET = N_("已切换为中文。")
HELP = N_("可以发送：\n{file} — 车辆备案\n{declare} — 出入境申报\n{status} — 备案、申报和返回期限"
          "\n{pass} — 我的通行码\n{data} — 我的个人数据副本\n{erase} — 删除我的个人信息\n"
          "{withdraw} — 撤回对个人信息处理的同意\n{language} — 切换语言\n"
          "在任何一步都可以发送 {back}、{cancel}、"
          "{restart} 或 {help}")
UNKNOWN = N_("没有听懂。发送“{help}”查看可以办理的事项。")
CANCELLED = N_("已取消。发送“{help}”查看可以办理的事项。")
AT_FIRST_STEP = N_("已经是第一步了。")
PICK_NUMBER = N_("请回复列表中的编号。")
NEED_PHOTO = N_("请发送照片。")
DATE_FORMAT = N_("请按“年-月-日”发送日期，例如 2024-05-01。")
YES_NO = N_("回复 1 表示是，2 表示否。")
YES, NO = N_("是"), N_("否")
CONTINUE = N_("继续办理：")
DATA_REQUESTED = N_("已收到您的个人数据副本申请（编号 {id}）。"
                    "生成后会通知您，请在小程序“我的数据”中下载。")

# personal data: deletion on request (R-D7) and withdrawal of consent (R-D2)
ERASE_ASK = N_("删除您的个人信息：草稿、未用于已提交备案的材料和数据副本将立即删除；"
               "已提交的备案依法保留至保存期限届满，期间限制处理。此操作不能撤销。\n"
               "回复 1 确认删除，2 取消。")
WITHDRAW_ASK = N_("撤回对个人信息处理告知的同意：此后不能上传身份证件照片，"
                  "草稿和未用于已提交备案的证件材料将立即删除。\n回复 1 确认撤回，2 取消。")
NOT_DONE = N_("已取消，未做任何更改。")
ERASE_DONE = N_("已删除：草稿 {drafts} 份，材料 {documents} 份，数据副本 {exports} 份。")
ERASE_REPEATED = N_("您已于 {date} 申请删除，已删除的内容不会重复删除。")
ERASE_ACCOUNT = N_("您的账户资料已删除，照片的加密密钥已销毁。")
ERASE_KEPT = N_("依法保留（限制处理，仅用于法定用途）：")
ERASE_DEFERRED = N_("您的账户资料将在上述事项结束后删除。")
WITHDRAW_DONE = N_("已撤回同意，不再处理您的身份证件信息。已删除：草稿 {drafts} 份，"
                   "证件材料 {documents} 份。")
KEPT_UNTIL = N_("{record}：保留至 {date}")
KEPT_OPEN = N_("{record}：{reasons}，期间不删除")
KEPT_RECORD = N_("备案 {id} {plate}（{status}）")
KEPT_REASONS = {"under_review": N_("正在审核"), "in_force": N_("备案有效期内"),
                "retention": N_("保存期限内"), "blacklist": N_("列入黑名单"),
                "smuggling_referral": N_("涉嫌走私移交处理"), "open_trip": N_("车辆尚未返回")}

# filing
CHOOSE_CATEGORY = N_("请选择备案类别：")
DRAFT_STARTED = N_("已创建备案草稿（编号 {id}），也可以在小程序中继续填写。")
SEND_PHOTO = N_("请发送照片：{label}")
SEND_DRIVER_PHOTO = N_("请发送第 {n} 位驾驶人的照片：{label}")
PHOTO_RECEIVED = N_("已收到照片，正在处理，请稍候……")
PHOTO_QUEUED = N_("已收到第 {n} 张照片，将按发送顺序处理。")
PHOTO_SAVED = N_("已保存：{label}")
PHOTOS_FULL = N_("已有 {max} 张照片在等待处理，请等处理结果出来后再发送这张。")
PHOTO_NOT_NEEDED = N_("这张照片不需要了，材料已经齐全。")
PHOTO_ORDER = N_("可以一次选择多张照片，请按此顺序：{labels}")
READ_MATCHES = N_("识别结果与已填写的内容一致：{fields}")
READ_KEPT = N_("已识别证件内容，供审核时核对。")
READ_CHECK = N_("以下内容识别不确定，请核对：{fields}")
DOCUMENT_NEEDED = N_("这份材料是必需的，不能跳过：{label}")
ASK_OWNER = N_("您是这辆车的车主本人吗？车主本人办理无需提供授权委托书。\n"
               "1 是，我是车主本人\n2 否，我受车主委托办理")
MORE_FOLLOWS = N_("（未完，接下条消息）")
I_READ = N_("识别到：\n{fields}\n回复 1 确认；如有错误，请发送字母和正确内容，例如：B 2019-05-01")
READ_NOTHING = N_("没有从照片中识别出内容，稍后请逐项填写。")
ASK_FIELD = N_("请填写：{label}")
ASK_DATE = N_("请填写：{label}（年-月-日，例如 2024-05-01）")
ASK_CHOICE = N_("请选择：{label}")
ASK_DRIVER_NAME = N_("请填写驾驶人姓名（可稍后上传驾驶人证件照片）")
LICENCE_KINDS = {"paper": N_("纸质行驶证"), "electronic": N_("电子行驶证")}
PRIVACY_NOTICE = N_("上传证件照片前，请阅读个人信息处理告知：\n\n{text}\n\n"
                    "回复 1 表示同意，2 表示不同意。")
PRIVACY_AGREED = N_("已记录您的同意。")
PRIVACY_DECLINED = N_("未同意个人信息处理告知，不能上传身份证件照片，备案草稿已保留。"
                      "同意后可继续：发送“{file}”。")
COMMITMENT = N_("请阅读信用承诺：\n\n{text}\n\n回复 1 表示同意并提交备案。")
SUBMITTED = N_("备案 {plate} 已提交，等待口岸办审核，结果会通知您。")

# declaration
NO_APPROVED = N_("您还没有已批准的备案，暂不能申报。发送“{file}”开始备案。")
CHOOSE_VEHICLE = N_("请选择车辆：")
DIRECTIONS = {"exit": N_("出境"), "entry": N_("入境")}
CHOOSE_PORT = N_("请选择口岸：")
CHOOSE_DRIVER = N_("请选择驾驶人：")
CONFIRM_DECLARATION = N_("请确认申报：\n车辆：{plate}\n方向：{direction}\n口岸：{port}"
                         "\n驾驶人：{driver}\n回复 1 确认提交。")
CHANGE_PORT = N_("换口岸请回复口岸名称，例如：{example}")
DECLARED = N_("申报已受理（编号 {id}）。发送“{pass}”查看通行码。")
DEADLINE_FROM_EXIT = N_("返回期限从车道记录的实际出境时间起算；出境后会通知您期限。")

# status
STATUS_NONE = N_("您还没有备案或申报。发送“{file}”开始备案。")
STATUS_FILINGS = N_("备案：")
STATUS_DECLARATIONS = N_("最近的申报：")
STATUS_TRIPS = N_("出境未返回：")
FILING_STATUS = {"draft": N_("草稿"), "submitted": N_("待审核"), "returned": N_("已退回"),
                 "approved": N_("已批准，有效期至 {date}"), "expired": N_("已过期"),
                 "revoked": N_("已撤销"), "superseded": N_("已被更正取代")}
DECLARATION_STATUS = {"approved": N_("已受理"), "used": N_("已通行"), "cancelled": N_("已取消")}
TRIP_LINE = N_("{plate}：须于 {deadline} 前返回，还剩 {days} 天")
TRIP_OVERDUE = N_("{plate}：已超过返回期限 {deadline}")
NO_PLATE = N_("（未填号牌）")

# pass and unit codes
NO_PASS = N_("没有可用的通行码，请先申报出入境。")
PASS_CAPTION = N_("{plate} {direction} 的通行码，约 30 秒后失效。"
                  "动态通行码请在小程序中打开：{link}")
OPEN_MINIAPP = N_("打开小程序")
PASS_AS_TEXT = N_("申报 {id}：{plate} {direction}，口岸 {port}。请在小程序中打开通行码：{link}")
UNIT_JOIN = N_("您扫描了 {unit} 的申报二维码。请在小程序中完成加入：{link}")


def t(source: str, locale: str, **params: object) -> str:
    """``source`` in ``locale`` with its placeholders filled."""
    return translate(source, locale, **params)


def command_words(locale: str) -> dict[str, str]:
    """Each command's word in ``locale``, for prompts that name them."""
    return {name: words.get(locale, words["zh_CN"]) for name, words in COMMANDS.items()}


def command_of(text: str) -> str | None:
    """The command a message is, in any language, or None."""
    word = text.strip().lower()
    if word in ALIASES:
        return ALIASES[word]
    for name, words in COMMANDS.items():
        if word in (w.lower() for w in words.values()):
            return name
    return None


def language_of(text: str) -> str | None:
    """A language named by its own name ('English', '中文', 'မြန်မာဘာသာ')."""
    word = text.strip().lower()
    for code, name in LANGUAGE_NAMES.items():
        if word in (name.lower(), code.lower()):
            return code
    return {"zh": "zh_CN", "burmese": "my", "myanmar": "my", "မြန်မာ": "my"}.get(word)


def language_menu() -> str:
    """The language question in all three languages (first contact: we do not know yet)."""
    header = " / ".join(translate(CHOOSE_LANGUAGE, loc) for loc in LOCALES)
    options = "\n".join(f"{i} {LANGUAGE_NAMES[loc]}" for i, loc in enumerate(LOCALES, 1))
    return f"{header}\n{options}"


def numbered(options: list[str]) -> str:
    """'1 first\\n2 second …'."""
    return "\n".join(f"{i} {label}" for i, label in enumerate(options, 1))


def day(value: date | datetime, locale: str, zone: ZoneInfo) -> str:
    """A date in the reader's locale (Babel has ``my``)."""
    if isinstance(value, datetime):
        value = value.astimezone(zone).date()
    return format_date(value, "long", locale=locale)


def chat_text(markdown: str) -> str:
    """A Markdown text (a commitment) as chat shows it: headings and emphasis marks left off,
    since WeChat prints them raw (issue #18: "# Vehicle filing credit commitment")."""
    lines = []
    for line in markdown.strip().splitlines():
        stripped = line.lstrip()
        if stripped.startswith("#"):
            line = stripped.lstrip("#").strip()
        lines.append(line.replace("**", "").replace("__", ""))
    return "\n".join(lines)


def colon(locale: str) -> str:
    """The label separator: full-width in Chinese lines, half-width in English and Burmese."""
    return label_separator(locale)


def port_name(code: str, locale: str) -> str:
    """A port's name in the reader's script: Chinese, Burmese, else pinyin."""
    return port_label(code, locale)
