"""Motor vehicle driving licence, main page — 机动车驾驶证主页."""

from __future__ import annotations

import re

from borderpass.ocr import checks, layout, normalise
from borderpass.ocr.layout import Line
from borderpass.ocr.parsers.base import FieldReading, Page, adopt, dated, reading
from borderpass.ocr.parsers.id_card_back import find_validity
from borderpass.ocr.parsers.id_card_front import find_id_number

FIELDS = (
    "licence_number", "name", "sex", "nationality", "address", "birth_date",
    "first_issue_date", "vehicle_class", "valid_from", "valid_until",
)  # fmt: skip
# In printed reading order, each with its English caption.
LABELS = {
    "licence_number": ("证号",),
    "name": ("姓名", "Name"),
    "sex": ("性别", "Sex"),
    "nationality": ("国籍", "Nationality"),
    "address": ("住址", "Address"),
    "birth_date": ("出生日期", "Date of Birth"),
    "first_issue_date": ("初次领证日期", "初次领证", "Date of First Issue"),
    "vehicle_class": ("准驾车型", "Class"),
    "validity": ("有效期限", "有效起始日期", "Valid Period"),
}
# Licence classes of GA 1026 (A1…C6, D, E, F, M, N, P), possibly several: "C1E".
_CLASS = re.compile(r"(?:[ABC][1-6]|[DEFMNP])+")
# Nationalities a licence at a south-west land port prints most (GB/T 2659 short names);
# anything else is kept but flagged for a person to confirm.
_NATIONALITIES = frozenset({
    "中国", "缅甸", "老挝", "越南", "泰国", "柬埔寨", "印度", "尼泊尔", "不丹",
    "孟加拉国", "巴基斯坦", "阿富汗", "马来西亚", "新加坡", "印度尼西亚", "菲律宾",
    "蒙古", "俄罗斯", "朝鲜", "韩国", "日本", "哈萨克斯坦", "吉尔吉斯斯坦",
    "塔吉克斯坦", "美国", "英国", "法国", "德国", "意大利", "加拿大", "澳大利亚",
    "新西兰",
})  # fmt: skip
_CLASS_DIGITS = str.maketrans("ZSOIl", "25011")
_CJK = re.compile(r"[\u4e00-\u9fff]+")


def licence_class(text: str) -> str | None:
    """Licence classes as printed ('C1', 'A2D'); 8 read for B, Z/S/O/I for 2/5/0/1 after it."""
    flat = normalise.code(text)
    fixed = flat[:1].replace("8", "B") + flat[1:].translate(_CLASS_DIGITS)
    match = _CLASS.fullmatch(fixed) or _CLASS.match(fixed)
    return match.group() if match else None


def _sex_and_nationality(page: Page) -> tuple[FieldReading, FieldReading]:
    """Sex, and nationality by its label or else the last cell of the sex's row."""
    text, used = page.right("sex")
    sex = reading(normalise.parse_sex(text[:1]), used)
    nat_text, nat_used = page.right("nationality")
    hit = page.label("sex")
    if not nat_text and hit and used:
        row = [
            line
            for line in page.values()
            if layout.same_row(line, hit[0])
            and line.x0 > used[0].x0
            and _CJK.fullmatch(line.compact)
        ]
        if row:
            last = max(row, key=lambda line: line.x1)
            nat_text, nat_used = last.compact, [last]
    nationality = reading(normalise.cjk_text(nat_text), nat_used)
    if nationality.value and nationality.value not in _NATIONALITIES:
        nationality.warn("nationality_unknown")
    return sex, nationality


def parse(lines: list[Line]) -> dict[str, FieldReading]:
    """Read the licence fields; the licence number is the holder's ID number."""
    page = Page(lines, LABELS)
    fields = {"licence_number": find_id_number(page, "licence_number")}
    text, used = page.right("name")
    fields["name"] = reading(normalise.cjk_text(text), used)
    fields["sex"], fields["nationality"] = _sex_and_nationality(page)
    text, used = page.block("address")
    fields["address"] = reading(normalise.cjk_text(text), used)
    for key in ("birth_date", "first_issue_date"):
        fields[key] = dated(*page.right(key))
    text, used = page.right("vehicle_class")
    fields["vehicle_class"] = reading(licence_class(text), used)
    orphans = page.orphans()
    adopt(fields, ("vehicle_class",), orphans, licence_class)
    adopt(fields, ("birth_date", "first_issue_date"), orphans, normalise.parse_date)
    fields["valid_from"], fields["valid_until"] = find_validity(page)
    info = checks.id_number(fields["licence_number"], "licence_number")
    checks.birth_and_sex(fields, info, "licence_number")
    checks.date_order(fields["valid_from"], fields["valid_until"])
    return fields
