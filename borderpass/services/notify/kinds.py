"""What BorderPass pushes: the kinds of notification, their reminder stages and quiet hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FILING_APPROVED = "filing_approved"
FILING_RETURNED = "filing_returned"
FILING_EXPIRING = "filing_expiring"
DECLARATION_ACCEPTED = "declaration_accepted"
TRIP_OPENED = "trip_opened"  # R-F8: the exit crossing was recorded; its deadline
TRIP_DEADLINE = "trip_deadline"  # R-F8
BLACKLISTED = "blacklisted"  # R-F9
UNIT_LIST_CHANGED = "unit_list_changed"  # R-U6
EXPORT_CANCEL_DUE = "export_cancel_due"  # R-E7: cancel the registration before the deadline
EXPORT_CANCEL_OVERDUE = "export_cancel_overdue"  # R-E7: overdue, the enterprise is locked
DATA_EXPORT_READY = "data_export_ready"  # R-D3: the copy of a user's data can be fetched

# Each kind goes out through one subscribe / OA template "slot" the operator configures.
SLOTS: dict[str, str] = {
    FILING_APPROVED: "filing",
    FILING_RETURNED: "filing",
    FILING_EXPIRING: "deadline",
    DECLARATION_ACCEPTED: "declaration",
    TRIP_OPENED: "deadline",
    TRIP_DEADLINE: "deadline",
    BLACKLISTED: "blacklist",
    UNIT_LIST_CHANGED: "unit",
    EXPORT_CANCEL_DUE: "deadline",
    EXPORT_CANCEL_OVERDUE: "deadline",
    DATA_EXPORT_READY: "privacy",
}
KINDS = frozenset(SLOTS)
# Reminders are sent only in the user's daytime; answers to the user's own acts at once.
QUIET_KINDS = frozenset({FILING_EXPIRING, TRIP_DEADLINE, BLACKLISTED, EXPORT_CANCEL_DUE,
                         EXPORT_CANCEL_OVERDUE})

# Reminder stages, latest last: (name, how long before the deadline it is due).
# "d0" is the last-day warning: 12 hours before, so that even when quiet hours defer it
# (at most 11 hours) it still arrives before the deadline. R-F8
TRIP_STAGES: tuple[tuple[str, timedelta], ...] = (
    ("d14", timedelta(days=14)),
    ("d7", timedelta(days=7)),
    ("d3", timedelta(days=3)),
    ("d1", timedelta(days=1)),
    ("d0", timedelta(hours=12)),
)
FILING_STAGES: tuple[tuple[str, timedelta], ...] = (  # R-F3
    ("d30", timedelta(days=30)),
    ("d7", timedelta(days=7)),
)
# R-E7: a registration is cancelled at the vehicle office, which takes a few working days,
# so two weeks ahead, then 3 days ahead (a quiet-hours delay of up to 11 hours still leaves
# over two days); the deadline itself brings the overdue notice (the lock), kept apart.
CANCEL_STAGES: tuple[tuple[str, timedelta], ...] = (
    ("d14", timedelta(days=14)),
    ("d3", timedelta(days=3)),
)

DAY_STARTS, DAY_ENDS = time(8, 0), time(21, 0)
DEFAULT_TZ = "Asia/Shanghai"
BURMESE_TZ = "Asia/Yangon"


def next_offset(stages: tuple[tuple[str, timedelta], ...], stage: str) -> timedelta | None:
    """The lead time of the stage after ``stage`` (None after the last one)."""
    names = [name for name, _ in stages]
    i = names.index(stage)
    return stages[i + 1][1] if i + 1 < len(stages) else None


def user_zone(timezone: str | None, locale: str, default: str = DEFAULT_TZ) -> ZoneInfo:
    """The user's own time zone, else Asia/Yangon for Burmese readers, else the default."""
    for name in (timezone, BURMESE_TZ if locale == "my" else None, default, DEFAULT_TZ):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo(DEFAULT_TZ)


def daytime_from(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` if it falls in 08:00–21:00 local time, else the next 08:00 there."""
    local = moment.astimezone(zone)
    if DAY_STARTS <= local.time() < DAY_ENDS:
        return moment
    day = local.date() if local.time() < DAY_STARTS else local.date() + timedelta(days=1)
    return datetime.combine(day, DAY_STARTS, tzinfo=zone).astimezone(moment.tzinfo)
