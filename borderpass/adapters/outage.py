"""Outages of Redis or the database: recognised, answered ``503`` and logged once.

A door turns an outage into ``503 service_unavailable`` with ``Retry-After`` (never a 500);
a background loop waits with backoff and logs the outage once, and its end once. After a
database outage the pool's connections are replaced, so no request trips on a connection
the restarted server has already closed.
"""

from __future__ import annotations

import logging
import time
from types import TracebackType

from redis import exceptions as redis_errors

from borderpass.core.errors import Unavailable

log = logging.getLogger("borderpass.outage")
REDIS, DATABASE = "redis", "database"
RETRY_AFTER = 2  # seconds a client is told to wait: the pools reconnect on the next call
LOG_EVERY = 30.0  # seconds between two log lines of one outage seen by requests
_DB_MODULES = ("asyncpg", "tortoise", "aiosqlite", "sqlite3")


def _raised_in(tb: TracebackType | None, prefixes: tuple[str, ...]) -> bool:
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith(prefixes):
            return True
        tb = tb.tb_next
    return False


def _one(exc: BaseException) -> str | None:
    if isinstance(exc, redis_errors.ConnectionError | redis_errors.TimeoutError):
        return REDIS
    import asyncpg
    from tortoise.exceptions import DBConnectionError

    if isinstance(exc, asyncpg.PostgresConnectionError | asyncpg.exceptions.
                  OperatorInterventionError | DBConnectionError):
        return DATABASE
    if isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc):
        return DATABASE
    if isinstance(exc, OSError):  # refused, reset, timed out: whose socket was it?
        if _raised_in(exc.__traceback__, _DB_MODULES):
            return DATABASE
        if _raised_in(exc.__traceback__, ("redis",)):
            return REDIS
    return None


def outage_of(exc: BaseException) -> str | None:
    """``"redis"`` or ``"database"`` when ``exc`` (or what caused it) says that service
    cannot be reached; None for any other error."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if (service := _one(current)) is not None:
            return service
        current = current.__cause__ or current.__context__
    return None


_last_logged: dict[str, float] = {}


async def answer_outage(service: str, exc: BaseException) -> Unavailable:
    """The error a door answers for an outage of ``service`` (logged at most every
    ``LOG_EVERY`` seconds per process, without the request's data)."""
    now = time.monotonic()
    if now - _last_logged.get(service, -LOG_EVERY) >= LOG_EVERY:
        _last_logged[service] = now
        log.warning("%s unreachable: answering 503", service,
                    extra={"service": service, "error": type(exc).__name__})
    if service == DATABASE:
        await renew_db_pool()
    return Unavailable("service_unavailable", retry_after=RETRY_AFTER)


async def renew_db_pool() -> None:
    """Replace the database pool's connections on their next use: after a server restart
    they are closed at the other end, and each would fail one more request."""
    from tortoise import Tortoise, connections

    if not Tortoise._inited:
        return
    try:
        pool = getattr(connections.get("default"), "_pool", None)
    except Exception:  # no such connection: nothing to renew
        return
    if pool is not None and hasattr(pool, "expire_connections"):
        await pool.expire_connections()
