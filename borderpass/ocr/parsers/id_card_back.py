"""Resident identity card, national-emblem side — 居民身份证国徽面."""

from __future__ import annotations

from collections.abc import Sequence

from borderpass.ocr import checks, normalise
from borderpass.ocr.layout import Line
from borderpass.ocr.parsers.base import FieldReading, Page, missing, reading

FIELDS = ("issuing_authority", "valid_from", "valid_until")
LABELS = {"issuing_authority": ("签发机关",), "validity": ("有效期限",)}


def validity(text: str, used: Sequence[Line]) -> tuple[FieldReading, FieldReading]:
    """Split '2015.03.01-2035.03.01' (or '…-长期', '… 至 …') into its two ends."""
    dates = normalise.find_dates(text)
    start = reading(dates[0], used) if dates and dates[0] else missing()
    if len(dates) > 1 and dates[1]:
        end = reading(dates[1], used)
    elif normalise.is_long_term(text):
        end = reading("长期", used)
    else:
        end = missing()
    return start, end


def find_validity(page: Page, key: str = "validity") -> tuple[FieldReading, FieldReading]:
    """The validity period by its label, else the one line holding a period."""
    text, used = page.right(key)
    if not text:
        for line in page.values():
            flat = line.compact
            if len(normalise.find_dates(flat)) == 2 or (
                normalise.find_dates(flat) and normalise.is_long_term(flat)
            ):
                text, used = flat, [line]
                break
    return validity(text, used)


def parse(lines: list[Line]) -> dict[str, FieldReading]:
    """Read the issuing authority and the validity period."""
    page = Page(lines, LABELS)
    text, used = page.block("issuing_authority")  # long names wrap
    fields = {"issuing_authority": reading(normalise.cjk_text(text), used)}
    fields["valid_from"], fields["valid_until"] = find_validity(page)
    checks.date_order(fields["valid_from"], fields["valid_until"])
    return fields
