"""``/healthz`` (the process lives) and ``/readyz`` (it can serve), for load balancers.

``/readyz`` answers ``200`` when PostgreSQL answers and holds every migration this code
ships, Redis answers and the OCR pool is open; otherwise ``503`` with ``Retry-After`` and
the reasons, so nginx, compose or systemd stop sending it work until it recovers. Two more
checks are reported without making the process unready, because every instance shares
them and taking them all out of service would stop the gate for a slow WeChat: the
notification outbox (its oldest due message) and the gate ledger (the last commit's wait).
Then the status is ``degraded`` and the answer stays ``200``.

Cheap on purpose: one small query, one PING, no personal data; the answer is kept for
``CACHE`` seconds per process so a flood of probes costs one check a second; each check
gives up after ``TIMEOUT`` seconds. Neither route is rate-limited.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import pkgutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from borderpass.adapters.db import APPS
from borderpass.web.appkeys import OCR_POOL, REDIS

CACHE = 1.0  # seconds a /readyz answer is reused
TIMEOUT = 1.0  # seconds one check may take
RETRY_AFTER = 5
OUTBOX_STUCK = 600.0  # seconds the oldest due notification may wait before "degraded"
LEDGER_SLOW = 1.0  # seconds the last gate record's oldest event may have waited
_CACHED = web.AppKey("readyz_cache", dict)


@functools.cache
def shipped_migrations() -> frozenset[tuple[str, str]]:
    """Every (app, migration) this code ships: a database lacking one is not migrated."""
    found = set()
    for label, (_models, package) in APPS.items():
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(module.__path__):
            if not info.name.startswith("_"):
                found.add((label, info.name))
    return frozenset(found)


@dataclass
class Check:
    """One check's result: ok, a reason when not, and how long it took."""

    ok: bool
    reason: str = ""
    fatal: bool = True  # False: reported, but the process stays ready
    detail: dict[str, Any] = field(default_factory=dict)
    ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "ms": round(self.ms, 2), **self.detail}
        if self.reason:
            out["reason"] = self.reason
        return out


async def _database() -> Check:
    from tortoise import connections

    conn = connections.get("default")
    _, rows = await conn.execute_query('SELECT "app", "name" FROM "tortoise_migrations"')
    applied = {(r["app"], r["name"]) for r in rows}
    missing = sorted(shipped_migrations() - applied)
    if missing:
        names = ", ".join(f"{a}.{n}" for a, n in missing[:3])
        return Check(False, f"not migrated: {len(missing)} pending ({names})")
    return Check(True, detail={"migrations": len(applied)})


async def _redis(request: web.Request) -> Check:
    await request.config_dict[REDIS].ping()
    return Check(True)


async def _ocr(request: web.Request) -> Check:
    pool = request.config_dict.get(OCR_POOL)
    if pool is None or pool.closed:
        return Check(False, "OCR pool closed")
    return Check(True, detail={"pending": pool.pending, "workers": pool.workers,
                               "queue": pool.max_queue})


async def _outbox() -> Check:
    from tortoise import connections

    conn = connections.get("default")
    _, rows = await conn.execute_query(
        "SELECT min(next_at) AS due FROM notifications WHERE status IN ('pending', 'sending')")
    due = rows[0]["due"] if rows else None
    if due is None:
        return Check(True, fatal=False, detail={"oldest_due_s": 0})
    from borderpass.services import clock

    if isinstance(due, str):  # SQLite hands back text
        from datetime import datetime

        due = datetime.fromisoformat(due)
    age = max(0.0, (clock.now() - due).total_seconds())
    if age > OUTBOX_STUCK:
        return Check(False, f"outbox stuck: oldest due notification waits {age:.0f} s",
                     fatal=False, detail={"oldest_due_s": round(age)})
    return Check(True, fatal=False, detail={"oldest_due_s": round(age)})


async def _ledger() -> Check:
    from borderpass.core import metrics

    lag = metrics.last_ledger_lag()
    if lag > LEDGER_SLOW:
        return Check(False, f"ledger behind: the last gate commit's oldest event waited "
                     f"{lag:.2f} s", fatal=False, detail={"last_lag_s": round(lag, 3)})
    return Check(True, fatal=False, detail={"last_lag_s": round(lag, 4)})


async def _run(make: Callable[[], Awaitable[Check]], fatal: bool = True) -> Check:
    """One check within TIMEOUT; an exception or a timeout is its reason (a class name,
    never the exception's text, which may hold a connection string)."""
    started = time.perf_counter()
    try:
        check = await asyncio.wait_for(make(), TIMEOUT)
    except TimeoutError:
        check = Check(False, f"no answer within {TIMEOUT:g} s", fatal)
    except Exception as exc:
        check = Check(False, f"unreachable ({type(exc).__name__})", fatal)
        if fatal and make is _database:
            from borderpass.adapters.outage import renew_db_pool

            await renew_db_pool()
    check.ms = (time.perf_counter() - started) * 1000
    return check


async def readiness(request: web.Request) -> tuple[bool, dict[str, Any]]:
    """Run every check at once; whether the process is ready, and the report."""
    names = ("database", "redis", "ocr", "outbox", "ledger")
    results = await asyncio.gather(
        _run(_database), _run(lambda: _redis(request)), _run(lambda: _ocr(request)),
        _run(_outbox, fatal=False), _run(_ledger, fatal=False))
    checks = dict(zip(names, results, strict=True))
    failed = [f"{name}: {c.reason}" for name, c in checks.items() if not c.ok]
    ready = all(c.ok or not c.fatal for c in checks.values())
    status = "not_ready" if not ready else ("degraded" if failed else "ready")
    return ready, {"status": status, "reasons": failed,
                   "checks": {name: c.as_dict() for name, c in checks.items()}}


async def healthz(request: web.Request) -> web.Response:
    """The process answers: nothing else is checked (a restart would not help the rest)."""
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    """Ready to serve, or 503 with the reasons; one check per CACHE seconds per process."""
    cache = request.app[_CACHED]
    now = time.monotonic()
    if now - cache.get("at", -CACHE) >= CACHE:
        lock = cache.setdefault("lock", asyncio.Lock())
        async with lock:  # concurrent probes share one check
            if now - cache.get("at", -CACHE) >= CACHE:
                cache["answer"] = await readiness(request)
                cache["at"] = time.monotonic()
    ready, body = cache["answer"]
    if ready:
        return web.json_response(body)
    return web.json_response(body, status=503, headers={"Retry-After": str(RETRY_AFTER)})


def setup_health(app: web.Application) -> None:
    """Mount /healthz and /readyz on the main application."""
    app[_CACHED] = {}
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
