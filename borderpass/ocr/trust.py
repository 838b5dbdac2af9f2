"""A field's confidence that means what it says (R-P5).

The recogniser's score says how clearly it saw the characters, not whether they are the
right ones: a sex line taken for a name, a maker's name missing its first character or
勐 read as 动 all come back at 0.96–1.0. So the parser's knowledge is added here:

- **shape** — each field's value must look like that field on that document (a name has
  no `/`, digit or Latin letter; a date is real and in the document's plausible range;
  an address starts with a province; a maker's name has the form of a Chinese company
  name; a VIN and an ID number pass their check digits; a plate its format);
- **place** — a value found next to its printed label counts more than one picked up by
  its shape alone (``FieldReading.placed``);
- **print size** — a name read from print too small to tell its characters apart
  (``MIN_PRINT_HEIGHT``) is never certain: no other check could catch its misreads;
- **agreement** — the same field on the user's other documents must read the same
  (:func:`disagreements`, used by the prefill, which knows those documents), as must
  two readings of one photo (the reader's ``readings_disagree``).

A value failing any check keeps a warning naming the check and a confidence of at most
``FLAGGED_CEILING``: it is never shown as certain, never prefilled (``PREFILL_THRESHOLD``,
calibrated on the DEV seeds of the sample photos; see docs/ocr.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from borderpass.ocr.engine import TextLine
from borderpass.ocr.parsers.base import FieldReading

# Prefill only values at least this sure (R-P5). Chosen on the DEV seeds (0, 1, 4, 5) as
# the lowest value at which no wrong value remained, then checked on seeds 2, 3, 6, 7.
PREFILL_THRESHOLD = 0.9
FLAGGED_CEILING = 0.45  # a value failing a check is never above this
UNPLACED_FACTOR = 0.85  # found by its shape alone, not next to its label
CONFIRMED_FLOOR = 0.95  # a code whose check digit holds (ID number, VIN)
# A name no check can confirm — any character may be any other — is not trusted from print
# smaller than this (text box height in the photo's own pixels): on the sample photos
# every misread name came from print 25–32.5 px high (the recogniser sure of one of them
# at 0.98–0.99), and none read from 34 px or more was wrong. See docs/ocr.md.
MIN_PRINT_HEIGHT = 33.0
FREE_TEXT = frozenset({"name", "owner"})

_CJK = "\u4e00-\u9fff"
_NAME = re.compile(rf"[{_CJK}]+(?:·[{_CJK}]+)*")
_ORG_NAME = re.compile(rf"[{_CJK}()（）·]+")
_NOT_IN_NAME = ("姓名", "性别", "民族", "出生", "住址", "公民", "号码", "国籍", "签发", "有效")
_PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
    "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港",
    "澳门",
)  # fmt: skip
_ADDRESS = re.compile(rf"[{_CJK}0-9\-－()（）#]+")
_AUTHORITY = re.compile(rf"[{_CJK}]{{2,}}(?:公安局|分局|出入境管理局|出入境管理处|派出所|车管所)")
# A Chinese company name: (place or group) + trade name + industry + 有限公司 / 厂.
_COMPANY = re.compile(rf"[{_CJK}()（）]{{2,}}(?:有限公司|有限责任公司|集团公司|制造厂|汽车厂)")
# Groups whose makers' names start with the group, not a place (上汽大众, 一汽解放 …).
_MAKER_GROUPS = (
    "上汽", "一汽", "东风", "北汽", "广汽", "长安", "重汽", "陕汽", "江铃", "宇通", "金龙",
    "比亚迪", "长城", "奇瑞", "吉利", "福田", "江淮", "华晨", "东南", "海马", "众泰", "力帆",
    "五菱", "解放", "中国", "中通", "福汽", "南京", "厦门", "大运", "三一", "徐工", "柳州",
    "郑州", "成都", "武汉", "深圳", "杭州", "苏州", "沈阳", "长春", "合肥", "芜湖", "昆明",
)  # fmt: skip
# GB 9417 model codes: maker letters, a category digit, parameters and serial.
_MODEL_CODE = re.compile(r"[A-Z]{2,4}[0-9]{4,5}[A-Z0-9]{0,8}")
_BRAND_MODEL = re.compile(rf"[{_CJK}]{{1,6}}牌[A-Z]{{2,4}}[0-9]{{4,5}}[A-Z0-9]{{0,8}}")
_VEHICLE_TYPE = re.compile(rf"[{_CJK}]{{1,10}}车")
_USE_CHARACTERS = frozenset({
    "非营运", "营运", "出租客运", "公路客运", "公交客运", "旅游客运", "租赁", "货运",
    "危化品运输", "教练", "警用", "消防", "救护", "工程救险", "营转非", "出租转非", "幼儿校车",
    "小学生校车", "其他校车",
})  # fmt: skip
_ENGINE = re.compile(r"(?=.*[0-9])[A-Z0-9]{6,18}")
_PERMIT = re.compile(r"[A-Z][0-9]{8}")
_CLASS = re.compile(r"(?:[ABC][1-6]|[DEFMNP])+")
_ETHNIC_GROUPS = frozenset({  # the 56 groups, as the ID card prints them
    "汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶",
    "白", "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水",
    "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉",
    "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克",
    "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴",
    "基诺",
})  # fmt: skip
_AUTONOMOUS = re.compile("自治[州县区旗]")
_ORG_ENDINGS = ("公司", "合作社", "厂", "店", "部", "中心", "所", "行", "合伙)", "合伙）",
                "企业", "馆", "场", "社", "院")
_COMPANY_TYPE = re.compile(rf"[{_CJK}()（）、]{{2,40}}")
_EARLIEST = date(1900, 1, 1)
_DRIVING_AGE = 16
_FIELD_LIMIT_YEARS = 60  # a validity end this far ahead is a misread year


def _years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (later if negative; 28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _as_date(value: str) -> date | None:
    """A canonical 'YYYY-MM-DD' or 'YYYY-MM' value as a date (first of the month)."""
    try:
        return date.fromisoformat(value if len(value) == 10 else f"{value}-01")
    except ValueError:
        return None


def _date_range(low: Callable[[date], date], high: Callable[[date], date]
                ) -> Callable[[str], str | None]:
    """A check that a date is real and between ``low(today)`` and ``high(today)``."""

    def check(value: str) -> str | None:
        day = _as_date(value)
        if day is None:
            return "date_format"
        today = date.today()
        return None if low(today) <= day <= high(today) else "date_range"

    return check


def _past(value: str) -> str | None:
    return _date_range(lambda t: _EARLIEST, lambda t: t)(value)


def _adult_birth(value: str) -> str | None:
    return _date_range(lambda t: _EARLIEST, lambda t: _years_before(t, _DRIVING_AGE))(value)


def _issued(value: str) -> str | None:
    return _date_range(lambda t: date(1950, 1, 1), lambda t: t)(value)


def _expiry(value: str) -> str | None:
    if value == "长期":
        return None
    return _date_range(lambda t: date(1980, 1, 1),
                       lambda t: _years_before(t, -_FIELD_LIMIT_YEARS))(value)


def _person_name(value: str) -> str | None:
    """Chinese characters (a middle dot between parts), two at least, no label words."""
    if not _NAME.fullmatch(value) or len(value) < 2 or len(value) > 20:
        return "name_shape"
    return "name_shape" if any(word in value for word in _NOT_IN_NAME) else None


def _owner(value: str) -> str | None:
    """A person's name or an organisation's (parentheses allowed, label words not)."""
    if _person_name(value) is None:
        return None
    if _ORG_NAME.fullmatch(value) and len(value) >= 4 and _COMPANY.fullmatch(value):
        return None
    return "name_shape"


def _autonomy_ok(value: str) -> bool:
    """Every people an autonomous area is named after is one of the 56: '德宏傣族景颇族
    自治州' holds 傣 and 景颇; a misread '景颜族' is no people ('西藏自治区' names none)."""
    for found in _AUTONOMOUS.finditer(value):
        head = value[: found.start()]
        cut = max(head.rfind(unit) for unit in "省市州县区旗")
        peoples = head[cut + 1 :].split("族")[:-1]
        if not all(part.endswith(tuple(_ETHNIC_GROUPS)) for part in peoples):
            return False
    return True


def mend(line: TextLine) -> TextLine:
    """A line naming an autonomous area after no real people, re-read at one character
    the recogniser hesitated on (its runner-up, ``TextLine.doubts``) when that names one:
    '景颜族' with 颇 as the runner-up for 颜 is 景颇族. Only the recogniser's own second
    choice is taken, never a guess of ours, and a value read from a mended line still
    meets every other check (R-P5)."""
    if not line.doubts or _autonomy_ok(line.text):
        return line
    for index, char, _ in sorted(line.doubts, key=lambda doubt: -doubt[2]):
        text = line.text[:index] + char + line.text[index + 1 :]
        if len(char) == 1 and _autonomy_ok(text):
            return replace(line, text=text)
    return line


def _address(value: str) -> str | None:
    """A Chinese address starts with its province (a missing first character shows) and
    names real peoples in its autonomous areas."""
    if not _ADDRESS.fullmatch(value) or len(value) < 6:
        return "address_shape"
    ok = value.startswith(_PROVINCES) and _autonomy_ok(value)
    return None if ok else "address_shape"


def _authority(value: str) -> str | None:
    """An issuing police authority, named after a real place."""
    ok = _AUTHORITY.fullmatch(value) and _autonomy_ok(value)
    return None if ok else "authority_shape"


def _manufacturer(value: str) -> str | None:
    """A maker's name: a place or a known group, then the name of a company."""
    if not _COMPANY.fullmatch(value) or not value.startswith(_PROVINCES + _MAKER_GROUPS):
        return "manufacturer_shape"
    return None


def _organisation(value: str) -> str | None:
    """An organisation's name as registered: Chinese characters and parentheses ending in
    its form (有限公司, 合作社, 个体户's 店 …), no label words."""
    if not _ORG_NAME.fullmatch(value) or len(value) < 4 or len(value) > 60:
        return "organisation_shape"
    if any(word in value for word in ("名称", "类型", "住所", "代码")):
        return "organisation_shape"
    return None if value.endswith(_ORG_ENDINGS) else "organisation_shape"


def _pattern(regex: re.Pattern[str], code: str) -> Callable[[str], str | None]:
    return lambda value: None if regex.fullmatch(value) else code


def _one_of(values: frozenset[str], code: str) -> Callable[[str], str | None]:
    return lambda value: None if value in values else code


_NAME_CHECKS: dict[str, Callable[[str], str | None]] = {
    "name": _person_name, "sex": _one_of(frozenset({"男", "女"}), "sex_shape"),
}
# Field checks per document kind: each returns None or the warning code naming it.
SHAPES: dict[str, dict[str, Callable[[str], str | None]]] = {
    "id_card_front": {
        **_NAME_CHECKS, "ethnicity": _one_of(_ETHNIC_GROUPS, "ethnicity_unknown"),
        "birth_date": _past, "address": _address,
    },
    "id_card_back": {
        "issuing_authority": _authority,
        "valid_from": _issued, "valid_until": _expiry,
    },
    "driving_licence": {
        **_NAME_CHECKS, "address": _address, "birth_date": _adult_birth,
        "first_issue_date": _issued, "vehicle_class": _pattern(_CLASS, "class_shape"),
        "valid_from": _issued, "valid_until": _expiry,
    },
    "vehicle_licence": {
        "owner": _owner, "address": _address,
        "vehicle_type": _pattern(_VEHICLE_TYPE, "vehicle_type_shape"),
        "use_character": _one_of(_USE_CHARACTERS, "use_character_unknown"),
        "model": _pattern(_BRAND_MODEL, "model_shape"),
        "engine_number": _pattern(_ENGINE, "engine_number_shape"),
        "register_date": _issued, "issue_date": _issued,
    },
    "exit_entry_permit": {
        **_NAME_CHECKS, "birth_date": _past,
        "permit_number": _pattern(_PERMIT, "permit_number_format"), "valid_until": _expiry,
    },
    "business_licence": {  # R-P1d
        "name": _organisation, "legal_representative": _person_name, "address": _address,
        "company_type": _pattern(_COMPANY_TYPE, "company_type_shape"),
        "established": _past,
    },
    "vin_plate": {
        "manufacturer": _manufacturer, "model": _pattern(_MODEL_CODE, "model_shape"),
        "manufacture_date": lambda v: _past(v) if re.fullmatch(r"\d{4}-\d{2}", v)
        else "date_format",
    },
}
# Fields whose value a check digit confirms once the parser's checks left no warning.
CONFIRMED = {"id_card_front": ("id_number",), "driving_licence": ("licence_number",),
             "vehicle_licence": ("vin",), "vin_plate": ("vin",), "business_licence": ("uscc",)}


def check_shapes(kind: str, fields: Mapping[str, FieldReading]) -> None:
    """Warn on every value whose shape is not its field's on this document (R-P5)."""
    for name, check in SHAPES.get(kind, {}).items():
        reading = fields.get(name)
        if reading is None or reading.value is None:
            continue
        code = check(reading.value)
        if code:
            reading.warn(code)
    _order(fields.get("birth_date"), fields.get("first_issue_date"), _DRIVING_AGE)
    _order(fields.get("register_date"), fields.get("issue_date"), 0)


def _order(earlier: FieldReading | None, later: FieldReading | None, years: int) -> None:
    """Two dates of one document in their necessary order (licensed at 16 at the earliest,
    a vehicle licence issued on or after registration)."""
    if not earlier or not later or not earlier.value or not later.value:
        return
    first, then = _as_date(earlier.value), _as_date(later.value)
    if first and then and _years_before(then, years) < first:
        later.warn("date_order")


def settle(kind: str, fields: Mapping[str, FieldReading]) -> None:
    """Final confidences: the recogniser's score, lowered when the value was not found by
    its label, raised when a check digit confirms it, capped when any check failed (free
    text read from small print counts as failing one: ``small_print``)."""
    for name, reading in fields.items():
        if reading.value is None:
            reading.confidence = 0.0
            continue
        if name in FREE_TEXT and 0 < reading.height < MIN_PRINT_HEIGHT:
            reading.warn("small_print")
        confidence = reading.confidence
        if not reading.placed:
            confidence *= UNPLACED_FACTOR
        if name in CONFIRMED.get(kind, ()) and not reading.warnings:
            confidence = max(confidence, CONFIRMED_FLOOR)
        if reading.warnings:
            confidence = min(confidence * 0.5, FLAGGED_CEILING)
        reading.confidence = confidence


def needs_check(field: Mapping[str, Any]) -> bool:
    """Whether a read value must be shown for the user to check rather than trusted."""
    if field.get("value") in (None, ""):
        return False
    confidence = field.get("confidence")
    sure = isinstance(confidence, int | float) and confidence >= PREFILL_THRESHOLD
    return bool(field.get("warnings")) or not sure


# -- agreement across the user's documents ------------------------------------------------

# The same fact printed on several documents: (kind, field) pairs that must agree.
AGREEING: tuple[tuple[tuple[str, str], ...], ...] = (
    (("id_card_front", "name"), ("driving_licence", "name"), ("exit_entry_permit", "name")),
    (("id_card_front", "id_number"), ("driving_licence", "licence_number")),
    (("id_card_front", "birth_date"), ("driving_licence", "birth_date"),
     ("exit_entry_permit", "birth_date")),
    (("vehicle_licence", "vin"), ("vin_plate", "vin")),
)


def disagreements(kind: str, fields: Mapping[str, Mapping[str, Any]],
                  others: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, list[str]]:
    """Fields of a ``kind`` reading that another document of the same person or vehicle
    reads differently: ``{field: ["disagrees_<other kind>", …]}`` (R-P5).

    ``others`` maps each other document's kind to its reading's fields; a field the other
    document did not read, or read with a warning, is no evidence either way.
    """
    found: dict[str, list[str]] = {}
    for group in AGREEING:
        mine = [name for k, name in group if k == kind]
        if not mine:
            continue
        value = fields.get(mine[0], {}).get("value")
        if not value:
            continue
        for other_kind, other_name in group:
            if other_kind == kind or other_kind not in others:
                continue
            theirs = others[other_kind].get(other_name, {})
            if theirs.get("value") and not theirs.get("warnings") \
                    and theirs["value"] != value:
                found.setdefault(mine[0], []).append(f"disagrees_{other_kind}")
    return found


def plate_disagrees(reading: Mapping[str, Any], typed: str | None) -> bool:
    """A vehicle licence's plate that differs from the plate typed on the filing."""
    value = reading.get("value")
    return bool(value and typed and value != typed)
