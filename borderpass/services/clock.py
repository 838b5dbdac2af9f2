"""The current time, in one place so tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None


def now() -> datetime:
    """The current aware UTC time (or the frozen test time)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(moment: datetime | None) -> None:
    """Fix the clock at ``moment`` (aware); None lets it run again. For tests and demos."""
    global _frozen
    _frozen = moment


def days_until(deadline: datetime, moment: datetime | None = None) -> int:
    """Whole days left before ``deadline``, counted up: a deadline 90 days away is 90 days
    left, not 89 (issue #18); 0 once it has passed."""
    left = deadline - (moment or now())
    if left <= timedelta(0):
        return 0
    return -(-left // timedelta(days=1))
