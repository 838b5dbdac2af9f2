"""Running the push sender: in the server process (cleanup_ctx) or as ``borderpass worker``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis

from borderpass.adapters.wechat import WeChatClient
from borderpass.app.wechat_push import WeChatPush
from borderpass.core.config import Settings
from borderpass.services.notify.channels import NotifyConfig
from borderpass.services.notify.kinds import SLOTS
from borderpass.services.notify.sender import run_worker
from borderpass.services.sweeps import sweep_forever
from borderpass.web.appkeys import NOTIFY, REDIS, SETTINGS

log = logging.getLogger("borderpass.notify")


def notify_config(settings: Settings) -> NotifyConfig:
    """Template ids per slot from the settings (demo mode: made-up ids the fake accepts)."""
    subscribe = dict(settings.notify_subscribe_templates)
    if settings.demo and not subscribe:
        subscribe = {slot: f"demo-{slot}" for slot in set(SLOTS.values())}
    return NotifyConfig(subscribe_templates=subscribe,
                        oa_templates=dict(settings.notify_oa_templates),
                        official_account=bool(settings.oa_appid),
                        default_tz=settings.timezone)


TOKEN_MEMO = 5.0  # seconds a sender keeps the shared access token in memory


def push_clients(settings: Settings, store: Redis) -> tuple[WeChatClient | None,
                                                           WeChatClient | None]:
    """The sender's own clients of the mini-program and the Official Account, if configured."""
    miniapp = WeChatClient(settings.miniapp_appid, settings.miniapp_secret, store,
                           api_base=settings.wechat_api_base, memo_seconds=TOKEN_MEMO) \
        if settings.miniapp_appid else None
    official = WeChatClient(settings.oa_appid, settings.oa_secret, store,
                            api_base=settings.wechat_api_base, memo_seconds=TOKEN_MEMO) \
        if settings.oa_appid else None
    return miniapp, official


STOP_GRACE = 15.0  # seconds a sender may take to finish its batch before it is cancelled


async def _stop(task: asyncio.Task[None] | None, stop: asyncio.Event | None = None) -> None:
    """Ask the loop to stop after its batch; cancel it if it takes too long, then await it."""
    if task is None:
        return
    if stop is not None:
        stop.set()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(task), STOP_GRACE)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def notifier_ctx(app: web.Application) -> AsyncIterator[None]:
    """Start the sender in this process (unless turned off); cancel, then await, on exit."""
    settings = app[SETTINGS]
    config = notify_config(settings)
    app[NOTIFY] = config
    miniapp, official = push_clients(settings, app[REDIS])
    push = WeChatPush(miniapp, official, settings.miniapp_appid)
    task, stop = None, asyncio.Event()
    if settings.notify_worker and settings.notify_poll > 0:
        task = asyncio.create_task(run_worker(config, push, settings.notify_poll, stop))
    yield
    await _stop(task, stop)
    for client in (miniapp, official):
        if client is not None:
            await client.close()


async def run_worker_process(settings: Settings) -> None:
    """``borderpass worker``: the sender and the sweeps without the HTTP server, until a
    signal (the gate ledger is written by the bridge, in the scan's own commit)."""
    from borderpass.adapters.db import close_db, init_db
    from borderpass.adapters.kv import make_redis
    from borderpass.app.deps import open_deps

    await init_db(settings.db_url)
    redis = make_redis(settings.redis_url)
    try:
        deps = await open_deps(settings, redis)  # refuses a missing or wrong key (R-U7)
    except BaseException:
        await redis.aclose()
        await close_db()
        raise
    miniapp, official = push_clients(settings, redis)
    push = WeChatPush(miniapp, official, settings.miniapp_appid)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sender_stop = asyncio.Event()
    tasks = [asyncio.create_task(run_worker(notify_config(settings), push,
                                            settings.notify_poll or 1.0, sender_stop))]
    if settings.sweep_interval > 0:
        tasks.append(asyncio.create_task(sweep_forever(deps, settings.sweep_interval)))
    from borderpass.app import exchange_runtime

    exchange = await exchange_runtime.start(settings, deps.cipher)
    log.info("worker running: sender, sweeps (%s), exchange", settings.sweep_interval > 0)
    from borderpass.app.metrics_http import metrics_site

    try:
        async with metrics_site(settings.metrics_host, settings.metrics_port):
            await stop.wait()
    finally:
        await _stop(tasks[0], sender_stop)
        for task in tasks[1:]:
            await _stop(task)
        await exchange_runtime.stop_worker(*exchange)
        for client in (miniapp, official):
            if client is not None:
                await client.close()
        await redis.aclose()
        await close_db()
