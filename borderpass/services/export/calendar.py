"""Working-day clocks of the export desks: 15 days for filings (R-E1), 3 for licences (R-E5)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from borderpass.services.office_hours import is_working_day


def working_day_deadline(
    start: datetime, days: int, tz: ZoneInfo, holidays: frozenset[str] = frozenset()
) -> datetime:
    """The end of the ``days``-th working day after the day of ``start``, as a deadline."""
    # Counting starts the day after receipt (自收到申请之后 N 个工作日内).
    day = start.astimezone(tz).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            counted += 1
    return datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)


def working_days_between(
    start: datetime, end: datetime, tz: ZoneInfo, holidays: frozenset[str] = frozenset()
) -> int:
    """Working days after the day of ``start`` up to and including the day of ``end``."""
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    count, day = 0, first + timedelta(days=1)
    while day <= last:
        count += is_working_day(day, holidays)
        day += timedelta(days=1)
    return count
