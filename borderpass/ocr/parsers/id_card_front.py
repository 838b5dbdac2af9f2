"""Resident identity card, portrait side — 居民身份证人像面."""

from __future__ import annotations

import re

from borderpass.ocr import checks, normalise
from borderpass.ocr.layout import Line
from borderpass.ocr.parsers.base import FieldReading, Page, dated, missing, reading, unplaced

FIELDS = ("name", "sex", "ethnicity", "birth_date", "address", "id_number")
LABELS = {
    "name": ("姓名",),
    "sex": ("性别",),
    "ethnicity": ("民族",),
    "birth_date": ("出生",),
    "address": ("住址",),
    "id_number": ("公民身份号码", "公民身份证号码", "身份号码"),
}
_ID = re.compile(r"[0-9OoDIl|]{17}[0-9Xx]")


def find_id_number(page: Page, key: str = "id_number") -> FieldReading:
    """An 18-character ID number: right of its label, else any line shaped like one."""
    text, used = page.right(key)
    match = _ID.search(normalise.fold(text))
    if match:
        return reading(match.group(), used)
    for line in sorted(page.values(), key=lambda item: -item.score):
        match = _ID.search(normalise.fold(line.text))
        if match:
            return unplaced(match.group(), [line])
    return missing()


def find_date(page: Page, key: str) -> FieldReading:
    """A date right of its label, else the only line on the page holding a date."""
    text, used = page.right(key)
    if not text:
        with_dates = [line for line in page.values() if normalise.parse_date(line.text)]
        if len(with_dates) == 1:
            found = dated(with_dates[0].compact, with_dates)
            found.placed = False
            return found
    return dated(text, used)


def parse(lines: list[Line]) -> dict[str, FieldReading]:
    """Read the six printed fields and cross-check them against the ID number."""
    page = Page(lines, LABELS)
    fields: dict[str, FieldReading] = {}
    text, used = page.right("name")
    fields["name"] = reading(normalise.cjk_text(text), used)
    text, used = page.right("sex")
    fields["sex"] = reading(normalise.parse_sex(text[:1]), used)
    text, used = page.right("ethnicity")
    fields["ethnicity"] = reading(normalise.parse_ethnicity(text), used)
    fields["birth_date"] = find_date(page, "birth_date")
    text, used = page.block("address")
    fields["address"] = reading(normalise.cjk_text(text), used)
    fields["id_number"] = find_id_number(page)
    info = checks.id_number(fields["id_number"])
    checks.birth_and_sex(fields, info, "id_number")
    return fields
