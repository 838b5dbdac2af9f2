"""Where the metrics come from and where they are read: the request middleware, the sampler
of database gauges, and ``/metrics`` on its own port.

``/metrics`` is served on ``BORDERPASS_METRICS_PORT`` (off by default) at
``BORDERPASS_METRICS_HOST`` (127.0.0.1 by default), never on the public port: Prometheus
scrapes it from the machine or the private network, nginx does not route to it, and no
session is needed. ``serve`` (one process) and ``borderpass worker`` serve it themselves;
under ``serve --processes N`` the supervisor serves it for all its children
(:func:`serve_multiprocess`), from the per-run directory they write to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from borderpass.core import metrics
from borderpass.web.appkeys import SETTINGS

log = logging.getLogger("borderpass.metrics")
SAMPLE_EVERY = 15.0  # seconds between two samples of the database gauges
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _route(request: web.Request) -> str:
    """The matched route's pattern (``/api/v1/filings/{id}``), never the raw path."""
    info = request.match_info
    if getattr(info, "http_exception", None) is not None:
        return "unmatched"
    resource = info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Observe every request's time by route pattern, method and status (not WebSocket
    sessions: their length is the connection's, not an answer's)."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        if status != 101:  # a lane's WebSocket lasts hours: not a request's latency
            metrics.http_request(_route(request), request.method, status,
                                 time.perf_counter() - started)


async def sample_database() -> None:
    """Set the gauges read from the database: the outbox's depth and oldest due message,
    the lane commands awaiting an ack (index-backed queries, a few per minute)."""
    from tortoise import connections

    from borderpass.services import clock

    conn = connections.get("default")
    _, rows = await conn.execute_query(
        "SELECT status, count(*) AS n FROM notifications "
        "WHERE status IN ('pending', 'sending', 'waiting', 'failed') GROUP BY status")
    depth = {r["status"]: r["n"] for r in rows}
    for status in ("pending", "sending", "waiting", "failed"):
        metrics.OUTBOX_DEPTH.labels(status).set(depth.get(status, 0))
    now = clock.now()
    _, rows = await conn.execute_query(
        "SELECT min(next_at) AS due FROM notifications WHERE status IN ('pending', 'sending')")
    metrics.OUTBOX_OLDEST_DUE.set(_age(rows[0]["due"] if rows else None, now))
    _, rows = await conn.execute_query(
        "SELECT count(*) AS n, min(at) AS oldest FROM gate_commands "
        "WHERE acked_at IS NULL")
    metrics.GATE_UNACKED.set(rows[0]["n"] if rows else 0)
    metrics.GATE_OLDEST_UNACKED.set(_age(rows[0]["oldest"] if rows else None, now))


def _age(value: Any, now: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, str):  # SQLite
        from datetime import datetime

        value = datetime.fromisoformat(value)
    return max(0.0, float((now - value).total_seconds()))


async def _sample_forever(every: float) -> None:
    failing = False
    while True:
        try:
            await sample_database()
            failing = False
        except Exception as exc:  # the database away: the readiness check says so
            if not failing:
                log.warning("metrics sample failed: %s", type(exc).__name__)
            failing = True
        await asyncio.sleep(every)


async def _serve_metrics(request: web.Request) -> web.Response:
    body, content_type = metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})


def metrics_app() -> web.Application:
    """The application on the metrics port: ``GET /metrics`` only."""
    app = web.Application()
    app.router.add_get("/metrics", _serve_metrics)
    return app


@contextlib.asynccontextmanager
async def metrics_site(host: str, port: int) -> AsyncIterator[None]:
    """Serve ``/metrics`` on host:port while the block runs (0: not at all)."""
    if port <= 0:
        yield
        return
    runner = web.AppRunner(metrics_app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port, reuse_port=False).start()
    log.info("metrics on http://%s:%d/metrics", host, port)
    try:
        yield
    finally:
        await runner.cleanup()


def enabled(port: int) -> bool:
    """Metrics are read here or by the supervisor: worth sampling the database."""
    return port > 0 or metrics.multiprocess_dir() is not None


async def metrics_ctx(app: web.Application) -> AsyncIterator[None]:
    """The server's metrics: its own port when it is alone, and the database sampler."""
    settings = app[SETTINGS]
    sampler = None
    if enabled(settings.metrics_port):
        sampler = asyncio.create_task(_sample_forever(SAMPLE_EVERY))
    async with metrics_site(settings.metrics_host, settings.metrics_port):
        yield
    if sampler is not None:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler


def setup_metrics(app: web.Application) -> None:
    """Time every request (outermost middleware) and run the metrics' background work."""
    app.middlewares.insert(0, metrics_middleware)
    app.cleanup_ctx.append(metrics_ctx)


def serve_multiprocess(host: str, port: int) -> Callable[[int], None]:
    """The supervisor's side: serve the sum of its children's series on host:port in a
    thread (prometheus_client's own server); the function it calls when a child dies."""
    from prometheus_client import start_http_server
    from prometheus_client.multiprocess import mark_process_dead

    if port > 0:
        start_http_server(port, addr=host, registry=metrics.registry())
        log.info("metrics of every process on http://%s:%d/metrics", host, port)

    def dead(pid: int) -> None:
        mark_process_dead(pid, metrics.multiprocess_dir())  # type: ignore[no-untyped-call]

    return dead
