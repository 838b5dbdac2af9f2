"""Office time for the review clock (R-F10): working days 08:30–12:00 and 14:30–17:30."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SESSIONS = ((time(8, 30), time(12, 0)), (time(14, 30), time(17, 30)))
REVIEW_TARGET_SECONDS = 30 * 60  # R-F6


def is_working_day(day: date, holidays: Iterable[str] = ()) -> bool:
    """Monday–Friday, except the configured holidays (ISO dates)."""
    return day.weekday() < 5 and day.isoformat() not in set(holidays)


def office_seconds(
    start: datetime, end: datetime, tz: ZoneInfo, holidays: frozenset[str] = frozenset()
) -> int:
    """Seconds of office time between two instants (R-F10: outside hours the clock stops)."""
    if end <= start:
        return 0
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    total = 0.0
    day = local_start.date()
    while day <= local_end.date():
        if is_working_day(day, holidays):
            for open_t, close_t in SESSIONS:
                s = max(datetime.combine(day, open_t, tz), local_start)
                e = min(datetime.combine(day, close_t, tz), local_end)
                if e > s:
                    total += (e - s).total_seconds()
        day += timedelta(days=1)
    return int(total)
