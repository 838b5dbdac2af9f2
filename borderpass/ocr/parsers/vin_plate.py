"""Vehicle identification plate — 车辆铭牌 (on the passenger door pillar, R-F2)."""

from __future__ import annotations

from borderpass.ocr import checks, normalise
from borderpass.ocr.layout import Line
from borderpass.ocr.parsers.base import FieldReading, Page, dated, missing, reading, unplaced
from borderpass.ocr.parsers.vehicle_licence import find_vin

FIELDS = ("vin", "manufacturer", "model", "manufacture_date")
# In printed reading order; some are printed but not read: they stop neighbouring values.
LABELS = {
    "manufacturer": ("制造商", "制造厂名", "生产厂家"),
    "brand": ("品牌",),
    "model": ("整车型号", "车辆型号"),
    "engine_model": ("发动机型号",),
    "manufacture_date": ("制造年月", "生产日期", "制造日期"),
    "vin": ("车辆识别代号", "识别代号", "VIN"),
    "origin": ("中国制造",),
    "mass": ("最大设计总质量", "最大允许总质量"),
}
_COMPANY = ("公司", "有限", "集团", "厂")


def _manufacturer(page: Page) -> FieldReading:
    """The maker: after its label if printed, else the topmost line naming a company."""
    text, used = page.right("manufacturer")
    if text:
        return reading(normalise.cjk_text(text), used)
    for line in page.values():
        if any(word in line.compact for word in _COMPANY):
            return unplaced(normalise.cjk_text(line.text), [line])
    return missing()


def parse(lines: list[Line]) -> dict[str, FieldReading]:
    """Read the plate's VIN, maker, model and month of manufacture."""
    page = Page(lines, LABELS)
    fields = {"vin": find_vin(page), "manufacturer": _manufacturer(page)}
    text, used = page.right("model")
    fields["model"] = reading(normalise.code(text), used)
    fields["manufacture_date"] = dated(*page.right("manufacture_date"), normalise.parse_month)
    checks.vin(fields["vin"])
    return fields
