"""Exit-entry permit, data page — 中华人民共和国出入境通行证资料页."""

from __future__ import annotations

import re

from borderpass.ocr import checks, normalise
from borderpass.ocr.layout import Line
from borderpass.ocr.parsers.base import FieldReading, Page, adopt, dated, missing, reading

FIELDS = ("name", "sex", "birth_date", "permit_number", "valid_until")
# In printed reading order; some are printed but not read: they stop neighbouring values.
LABELS = {
    "name": ("姓名", "Name"),
    "permit_number": ("证件号码", "No."),
    "sex": ("性别", "Sex"),
    "birth_date": ("出生日期", "Date of birth"),
    "birth_place": ("出生地点", "Place of birth"),
    "issue_place": ("签发地点", "Place of issue"),
    "issue_date": ("签发日期", "Date of issue"),
    "valid_until": ("有效期至", "Date of expiry"),
    "authority": ("签发机关", "Authority"),
    "signature": ("持证人签名", "Signature of bearer"),
}
# One letter and eight digits; OCR may read a digit as a look-alike letter.
_NUMBER = re.compile(r"[A-Z][0-9OIDl]{8}")


def _value(page: Page, key: str) -> tuple[str, list[Line]]:
    """Values sit under their labels on this page; fall back to the label's right."""
    text, used = page.below(key)
    return (text, used) if text else page.right(key)


def parse(lines: list[Line]) -> dict[str, FieldReading]:
    """Read the permit's data page."""
    page = Page(lines, LABELS)
    fields: dict[str, FieldReading] = {}
    text, used = _value(page, "name")
    fields["name"] = reading(normalise.cjk_text(text), used)
    text, used = _value(page, "sex")
    fields["sex"] = reading(normalise.parse_sex(text), used)
    for key in ("birth_date", "valid_until"):
        fields[key] = dated(*_value(page, key))
    text, used = _value(page, "permit_number")
    match = _NUMBER.search(normalise.fold(text).upper())
    if match:
        number = match.group()
        fields["permit_number"] = reading(number[0] + normalise.digits_context(number[1:]), used)
    else:
        fields["permit_number"] = (
            reading(normalise.code(text), used, "permit_number_format") if text else missing()
        )
    adopt(fields, ("birth_date", "valid_until"), page.orphans(under=True), normalise.parse_date)
    checks.date_order(fields["birth_date"], fields["valid_until"])
    return fields
