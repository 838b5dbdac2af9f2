"""Prometheus metrics: every series the service exports, and the cheap calls that feed them.

The series are module-level ``prometheus_client`` objects. With several server processes
(``serve --processes N``) the supervisor gives its children one per-run directory in
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode, chosen when the
library is first imported) and serves the sum of them all itself, so a scrape sees the
whole service (:mod:`borderpass.app.metrics_http`). The hot path (a lane scan) pays one
histogram observation and one counter increment, on label children cached here: a few
microseconds, no lock shared between processes, no I/O.

Labels are bounded: a route's pattern (``/api/v1/filings/{id}``), never the raw path; a lane
code (tens per port); a channel, outcome and WeChat error code. No personal data.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
FAST = (.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1.0, 2.5)
HTTP = (.005, .01, .025, .05, .1, .25, .5, 1.0, 2.5, 5.0, 10.0)
SLOW = (.01, .05, .1, .5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

HTTP_SECONDS = Histogram("borderpass_http_request_duration_seconds",
                         "HTTP request time by route pattern, method and status",
                         ("route", "method", "status"), buckets=HTTP)
GATE_DECISIONS = Counter("borderpass_gate_decisions",
                         "Lane scans decided, by outcome (open/refuse), reason and lane",
                         ("outcome", "reason", "lane"))
GATE_DECISION_SECONDS = Histogram("borderpass_gate_decision_seconds",
                                  "Scan frame in to answer out, recorded in the database",
                                  buckets=FAST)
LEDGER_LAG = Histogram("borderpass_ledger_lag_seconds",
                       "Per gate commit, its oldest event's wait from arrival to the ledger "
                       "commit (R-G6)", buckets=FAST)
LEDGER_COMMIT_SECONDS = Histogram("borderpass_ledger_commit_seconds",
                                  "One gate record transaction (a loop turn's events)",
                                  buckets=FAST)
LEDGER_EVENTS = Counter("borderpass_ledger_events", "Lane events committed to the ledger")
OUTBOX_DEPTH = Gauge("borderpass_outbox_depth", "Notifications by status (sampled)",
                     ("status",), multiprocess_mode="mostrecent")
OUTBOX_OLDEST_DUE = Gauge("borderpass_outbox_oldest_due_seconds",
                          "Age of the oldest notification due and not sent (0: none due)",
                          multiprocess_mode="mostrecent")
GATE_UNACKED = Gauge("borderpass_gate_commands_unacked",
                     "Lane commands sent and not yet acknowledged (sampled)",
                     multiprocess_mode="mostrecent")
GATE_OLDEST_UNACKED = Gauge("borderpass_gate_command_oldest_unacked_seconds",
                            "Age of the oldest unacknowledged lane command (0: none)",
                            multiprocess_mode="mostrecent")
NOTIFY_SENDS = Counter("borderpass_notify_sends",
                       "Push attempts by channel, outcome and WeChat error code",
                       ("channel", "outcome", "errcode"))
OCR_QUEUE = Gauge("borderpass_ocr_jobs_pending", "OCR jobs running or waiting",
                  multiprocess_mode="livesum")
OCR_SECONDS = Histogram("borderpass_ocr_job_seconds", "OCR job time by outcome",
                        ("outcome",), buckets=SLOW)
SWEEP_SECONDS = Histogram("borderpass_sweep_seconds", "One sweep's time", ("sweep",),
                          buckets=SLOW)
SWEEP_ROWS = Counter("borderpass_sweep_rows", "Rows a sweep changed", ("sweep",))
BOT_TURN_SECONDS = Histogram("borderpass_bot_turn_seconds",
                             "One chat-bot message or event, in to reply", buckets=HTTP)

_decisions: dict[tuple[str, str, str], Any] = {}
_http: dict[tuple[str, str, int], Any] = {}


def multiprocess_dir() -> str | None:
    """The per-run directory of ``serve --processes``, or None in a single process."""
    return os.environ.get(MULTIPROC_ENV) or None


def registry() -> CollectorRegistry:
    """What a scrape reads: this process's series, or all processes' in multiprocess mode."""
    from prometheus_client import REGISTRY
    from prometheus_client.multiprocess import MultiProcessCollector

    path = multiprocess_dir()
    if path is None:
        return REGISTRY
    merged = CollectorRegistry()
    MultiProcessCollector(merged, path=path)  # type: ignore[no-untyped-call]
    return merged


def exposition() -> tuple[bytes, str]:
    """The scrape's body and content type (text format 0.0.4)."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return generate_latest(registry()), CONTENT_TYPE_LATEST


def decision(outcome: str, reason: str, lane: str, seconds: float) -> None:
    """One lane scan decided (the gate's hot path: cached label children)."""
    key = (outcome, reason, lane)
    child = _decisions.get(key)
    if child is None:
        child = _decisions[key] = GATE_DECISIONS.labels(outcome, reason, lane)
    child.inc()
    GATE_DECISION_SECONDS.observe(seconds)


def http_request(route: str, method: str, status: int, seconds: float) -> None:
    """One HTTP request answered."""
    key = (route, method, status)
    child = _http.get(key)
    if child is None:
        child = _http[key] = HTTP_SECONDS.labels(route, method, str(status))
    child.observe(seconds)


_last_lag = [0.0, 0.0]  # the last gate batch's longest wait, and when it committed
RECENT = 60.0  # seconds a slow batch counts against readiness


def ledger_committed(queued: list[float], seconds: float) -> None:
    """A gate record transaction committed ``queued`` events (their arrival times)."""
    now = time.monotonic()
    lag = now - min(queued, default=now)  # one observation per commit, not per event
    LEDGER_COMMIT_SECONDS.observe(seconds)
    LEDGER_EVENTS.inc(len(queued))
    LEDGER_LAG.observe(lag)
    _last_lag[:] = [lag, now]


def last_ledger_lag() -> float:
    """The longest wait of the last gate batch this process committed within ``RECENT``
    seconds (``/readyz``); 0 without one."""
    lag, at = _last_lag
    return lag if at and time.monotonic() - at < RECENT else 0.0


def notify_send(channel: object, outcome: str, errcode: int | None) -> None:
    """One push attempt (the outcome's detail after ``:`` is kept: it is a fixed reason)."""
    NOTIFY_SENDS.labels(str(getattr(channel, "value", channel)), outcome,
                        "" if errcode is None else str(errcode)).inc()


async def timed_sweep(name: str, run: Callable[[], Awaitable[Any]]) -> dict[str, int]:
    """Run one sweep, observing its time and the rows it changed; its counts by name (a
    sweep returning a dict of counts is timed as one and counted per key)."""
    started = time.perf_counter()
    try:
        result = await run()
    finally:
        SWEEP_SECONDS.labels(name).observe(time.perf_counter() - started)
    counts = dict(result) if isinstance(result, dict) else {name: int(result)}
    for key, rows in counts.items():
        SWEEP_ROWS.labels(key).inc(rows)
    return counts
