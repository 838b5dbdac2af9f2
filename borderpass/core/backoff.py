"""Backoff of a background loop after a failed turn, with one log line per outage.

A loop (push sender, sweeps) that loses Redis or the database retries after 0.2 s, then
0.4 s, … up to a ceiling, logs the first failure (with its traceback) and the recovery,
and stays quiet in between: an outage of an hour is two log lines, not thousands.
"""

from __future__ import annotations

import logging


class Backoff:
    """The delay before a loop's next turn after failures, and the outage's log lines."""

    def __init__(self, log: logging.Logger, what: str, first: float = 0.2,
                 ceiling: float = 5.0) -> None:
        self.log, self.what = log, what
        self.first, self.ceiling = first, ceiling
        self.failures = 0
        self._kind: str | None = None

    def failed(self, exc: BaseException) -> float:
        """Note a failed turn; the seconds to wait before the next one."""
        kind = type(exc).__name__
        if self.failures == 0 or kind != self._kind:  # a new outage, or a new cause of it
            self.log.warning("%s failing (%s); retrying with backoff", self.what, kind,
                             exc_info=exc, extra={"loop": self.what, "error": kind})
            self._kind = kind
        self.failures += 1
        return min(self.ceiling, self.first * 2.0 ** (self.failures - 1))

    def succeeded(self) -> None:
        """Note a turn that worked: the outage, if any, is over (logged once)."""
        if self.failures:
            self.log.warning("%s resumed after %d failed turns", self.what, self.failures,
                             extra={"loop": self.what, "failed_turns": self.failures})
            self.failures, self._kind = 0, None
