"""The aiohttp application factory: every door mounted, every resource opened and closed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from borderpass.adapters.db import close_db, init_db
from borderpass.adapters.kv import make_redis
from borderpass.adapters.wechat import WeChatClient
from borderpass.app.deps import open_deps
from borderpass.core.config import Settings
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.sweeps import sweep_forever
from borderpass.web.appkeys import DEPS, GATE, MINIAPP_WECHAT, OCR_POOL, REDIS, SETTINGS

log = logging.getLogger("borderpass.app")


async def _database(app: web.Application) -> AsyncIterator[None]:
    from tortoise import Tortoise

    # An embedding process (the test suite) may have opened the database already.
    owned = not Tortoise._inited
    if owned:
        await init_db(app[SETTINGS].db_url)
    yield
    if owned:
        await close_db()


async def _redis_and_deps(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    redis = make_redis(settings.redis_url)
    app[REDIS] = redis
    try:
        app[DEPS] = await open_deps(settings, redis)  # refuses a missing or wrong key (R-U7)
    except BaseException:
        await redis.aclose()
        raise
    from borderpass.services.identity import passwords

    passwords.configure(settings.password_workers, settings.password_queue)
    app[GATE] = GateDeps.build(app[DEPS], settings.gate_emergency_plates)
    app[MINIAPP_WECHAT] = WeChatClient(settings.miniapp_appid, settings.miniapp_secret, redis,
                                       api_base=settings.wechat_api_base)
    yield
    await app[MINIAPP_WECHAT].close()
    await redis.aclose()


async def _sweeper(app: web.Application) -> AsyncIterator[None]:
    """Run the periodic sweeps (R-F3, R-F9) in the background; cancel, then await, on exit."""
    interval = app[SETTINGS].sweep_interval
    task = asyncio.create_task(sweep_forever(app[DEPS], interval)) if interval > 0 else None
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _ocr_pool(app: web.Application) -> AsyncIterator[None]:
    """The OCR worker pool; its processes start on the first read, not at boot."""
    from borderpass.ocr.pool import OcrPool

    settings = app[SETTINGS]
    threads = {"threads": settings.ocr_threads} if settings.ocr_threads > 0 else {}
    pool = OcrPool(settings.ocr_engine, settings.ocr_workers, settings.ocr_queue,
                   settings.ocr_timeout, engine_options=threads)
    app[OCR_POOL] = pool
    yield
    await pool.close()


def create_app(settings: Settings) -> web.Application:
    """Build the application for ``settings``; resources open on start-up."""
    from borderpass.miniapp_api import setup_routes

    app = web.Application(client_max_size=settings.max_upload_bytes + 64 * 1024)
    app[SETTINGS] = settings
    from borderpass.app.cache_control import no_store

    app.on_response_prepare.append(no_store)  # answers with personal data (R-U7)
    app.cleanup_ctx.extend([_database, _redis_and_deps, _ocr_pool, _sweeper])
    from borderpass.app.notify_runtime import notifier_ctx

    app.cleanup_ctx.append(notifier_ctx)  # the push sender (notifications)
    from borderpass.app.exchange_runtime import exchange_ctx

    app.cleanup_ctx.append(exchange_ctx)  # events to other agencies (docs/exchange.md)
    setup_routes(app)
    from borderpass.gate_bridge import setup_gate

    setup_gate(app)
    from borderpass.bot import setup_bot

    setup_bot(app)  # the Official Account callback, /wechat/callback
    from borderpass.console import setup_console

    setup_console(app)  # the back-office web console under /console/
    from borderpass.web.hardening import setup_web_hardening

    setup_web_hardening(app)  # nosniff and Allow on every answer; trusted proxies checked
    from borderpass.app.front import setup_front

    setup_front(app)  # / and the API document in Swagger UI at /api/docs/
    from borderpass.app.health import setup_health
    from borderpass.app.metrics_http import setup_metrics

    setup_health(app)  # /healthz, /readyz for load balancers (docs/deployment.md)
    setup_metrics(app)  # request timing; /metrics on BORDERPASS_METRICS_PORT
    return app
