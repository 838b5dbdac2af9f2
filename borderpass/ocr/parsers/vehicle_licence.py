"""Motor vehicle licence, main page — 机动车行驶证主页."""

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
    "plate_number", "vehicle_type", "owner", "address", "use_character", "model", "vin",
    "engine_number", "register_date", "issue_date",
)  # fmt: skip
# In printed reading order, each with its English caption.
LABELS = {
    "plate_number": ("号牌号码", "Plate No."),
    "vehicle_type": ("车辆类型", "Vehicle Type"),
    "owner": ("所有人", "Owner"),
    "address": ("住址", "Address"),
    "use_character": ("使用性质", "Use Character"),
    "model": ("品牌型号", "Model"),
    "vin": ("车辆识别代号", "识别代号", "VIN"),
    "engine_number": ("发动机号码", "发动机号", "Engine No."),
    "register_date": ("注册日期", "Register Date"),
    "issue_date": ("发证日期", "Issue Date"),
}
_VIN = re.compile(r"[A-Z0-9]{17}")


def find_vin(page: Page, key: str = "vin") -> FieldReading:
    """A 17-character VIN: by its label, else any line that is one."""
    text, used = page.right(key)
    if not text:
        text, used = page.below(key)
    value = normalise.code(text)
    if len(value) == 17:
        return reading(value, used)
    for line in page.values():
        candidate = normalise.code(line.text)
        if _VIN.fullmatch(candidate) and not candidate.isdigit():
            return unplaced(candidate, [line])
    return reading(value, used) if value else missing()


def parse(lines: list[Line]) -> dict[str, FieldReading]:
    """Read the vehicle licence fields and check plate and VIN."""
    page = Page(lines, LABELS)
    fields: dict[str, FieldReading] = {}
    for key in ("plate_number", "vehicle_type", "owner", "use_character", "model"):
        text, used = page.right(key)
        fields[key] = reading(normalise.cjk_text(text), used)
    text, used = page.block("address")
    fields["address"] = reading(normalise.cjk_text(text), used)
    fields["vin"] = find_vin(page)
    text, used = page.right("engine_number")
    fields["engine_number"] = reading(normalise.code(text), used)
    for key in ("register_date", "issue_date"):
        fields[key] = dated(*page.right(key))
    adopt(fields, ("register_date", "issue_date"), page.orphans(), normalise.parse_date)
    checks.plate(fields["plate_number"])
    checks.vin(fields["vin"])
    return {name: fields[name] for name in FIELDS}
