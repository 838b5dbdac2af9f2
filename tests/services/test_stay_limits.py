"""R-F8 per category, as data (services/filings/stay_limits.json)."""

from __future__ import annotations

from datetime import UTC, datetime

from borderpass.models.enums import FilingCategory
from borderpass.services.filings import stay_limits

EXPIRES = datetime(2027, 11, 1, tzinfo=UTC)


def test_every_category_has_a_limit() -> None:  # R-F8
    limits = stay_limits.months_by_category()
    assert set(limits) == {c.value for c in FilingCategory}
    assert limits["personal"] == 3 and limits["business"] is None


def test_personal_three_calendar_months_clamped_and_capped() -> None:  # R-F8
    out = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert stay_limits.deadline(out, "personal", EXPIRES) == datetime(2027, 2, 28, 15, 0,
                                                                      tzinfo=UTC)
    early = datetime(2027, 1, 1, tzinfo=UTC)
    assert stay_limits.deadline(out, "personal", early) == early  # the filing's expiry first


def test_other_categories_until_the_filing_expires() -> None:  # R-F8
    out = datetime(2026, 11, 30, tzinfo=UTC)
    assert stay_limits.deadline(out, "business", EXPIRES) == EXPIRES
    assert stay_limits.deadline(out, "official", EXPIRES) == EXPIRES
