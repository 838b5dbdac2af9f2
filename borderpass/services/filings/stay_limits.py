"""R-F8 per filing category, as data (``stay_limits.json`` beside this module).

A personal (self-use) vehicle must be back within 3 calendar months of its exit crossing;
the other categories before their filing expires. Every deadline is capped by the filing's
expiry. Changing a limit is a change of that data file (reviewed like code), not of code.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from pathlib import Path

from borderpass.models.enums import FilingCategory
from borderpass.services.filings.filing_checks import add_months

DATA = Path(__file__).with_name("stay_limits.json")


@functools.cache
def months_by_category() -> dict[str, int | None]:
    """Each category's limit in months (None: until the filing expires); every category of
    :class:`FilingCategory` must be listed, so a new one cannot go unlimited by mistake."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    limits: dict[str, int | None] = {}
    for category in FilingCategory:
        months = raw[category.value]["months"]  # KeyError: a category without a limit
        if months is not None and (not isinstance(months, int) or months <= 0):
            raise ValueError(f"stay limit of {category.value}: {months!r}")
        limits[category.value] = months
    return limits


def deadline(exited_at: datetime, category: str, filing_expires: datetime | None) -> datetime:
    """R-F8: when a vehicle that crossed out at ``exited_at`` must be back."""
    limits = months_by_category()
    months = limits[str(category)]
    if months is None and filing_expires is None:  # never for an approved filing; never
        months = min(m for m in limits.values() if m)  # leave a trip without a deadline
    limit = filing_expires
    if months is not None:
        later = exited_at + (add_months(exited_at.date(), months) - exited_at.date())
        limit = later if limit is None else min(later, limit)
    assert limit is not None
    return limit
