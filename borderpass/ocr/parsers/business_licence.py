"""Business licence — 营业执照 (SAMR 2019 layout): the credit code above the fields, then
名称 / 类型 / 法定代表人 on the left and 注册资本 / 成立日期 / 住所 on the right.

The credit code is trusted only when its GB 32100-2015 check character holds
(``checks.uscc``); a name, a legal representative or an address of the wrong shape is
flagged by ``trust`` (R-P5), so the organisation profile is never filled with a guess.
"""

from __future__ import annotations

import re

from borderpass.ocr import checks, normalise
from borderpass.ocr.layout import Line
from borderpass.ocr.parsers.base import (
    FieldReading,
    Page,
    adopt,
    dated,
    missing,
    reading,
    unplaced,
)

FIELDS = (
    "uscc", "name", "registered_capital", "company_type", "established",
    "legal_representative", "address",
)  # fmt: skip
# In printed reading order (row by row, left column first).
LABELS = {
    "uscc": ("统一社会信用代码",),
    "name": ("名称",),
    "registered_capital": ("注册资本",),
    "company_type": ("类型",),
    "established": ("成立日期",),
    "legal_representative": ("法定代表人", "负责人", "经营者", "执行事务合伙人"),
    "address": ("住所", "主要经营场所", "经营场所"),
}
_USCC = re.compile(r"[0-9A-Z]{18}")


def find_uscc(page: Page) -> FieldReading:
    """The 18-character credit code: under or beside its label, else any line that is one."""
    for look in (page.below, page.right):
        text, used = look("uscc")
        value = normalise.code(text)
        if len(value) == 18:
            return reading(value, used)
    for line in page.values():
        candidate = normalise.code(line.text)
        if _USCC.fullmatch(candidate) and not candidate.isdigit():
            return unplaced(candidate, [line])
    return missing()


def parse(lines: list[Line]) -> dict[str, FieldReading]:
    """Read the licence's fields and check the credit code's check character."""
    page = Page(lines, LABELS)
    fields: dict[str, FieldReading] = {"uscc": find_uscc(page)}
    for key in ("name", "company_type", "legal_representative"):
        text, used = page.right(key)
        fields[key] = reading(normalise.cjk_text(text), used)
    text, used = page.right("registered_capital")
    fields["registered_capital"] = reading(normalise.cjk_text(text), used)
    fields["established"] = dated(*page.right("established"))
    adopt(fields, ("established",), page.orphans(), normalise.parse_date)
    text, used = page.block("address")
    fields["address"] = reading(normalise.cjk_text(text), used)
    checks.uscc(fields["uscc"])
    return {name: fields[name] for name in FIELDS}
