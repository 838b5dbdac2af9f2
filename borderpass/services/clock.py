"""The current time, in one place so tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime

_frozen: datetime | None = None


def now() -> datetime:
    """The current aware UTC time (or the frozen test time)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(moment: datetime | None) -> None:
    """Fix the clock at ``moment`` (aware); None lets it run again. For tests and demos."""
    global _frozen
    _frozen = moment
