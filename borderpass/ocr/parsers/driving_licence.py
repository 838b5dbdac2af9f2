"""Motor vehicle driving licence, main page — 机动车驾驶证主页."""

from __future__ import annotations

import re

from borderpass.ocr import checks, normalise
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
_CLASS_DIGITS = str.maketrans("ZSOIl", "25011")
_CJK = re.compile(r"[\u4e00-\u9fff]+")


def licence_class(text: str) -> str | None:
    """Licence classes as printed ('C1', 'A2D'); Z/S/O/I read for 2/5/0/1 after a letter."""
    flat = normalise.code(text)
    fixed = flat[:1] + flat[1:].translate(_CLASS_DIGITS)
    match = _CLASS.fullmatch(fixed) or _CLASS.match(fixed)
    return match.group() if match else None


def _sex_and_nationality(page: Page) -> tuple[FieldReading, FieldReading]:
    """Sex, and nationality by its label or else printed right after the sex on its row."""
    text, used = page.right("sex")
    sex = reading(normalise.parse_sex(text[:1]), used)
    nat_text, nat_used = page.right("nationality")
    if not nat_text and len(text) > 1:
        rest = _CJK.search(text[1:])
        nat_text, nat_used = (rest.group(), used) if rest else ("", [])
    return sex, reading(normalise.cjk_text(nat_text), nat_used)


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
