"""The Official Account chat bot door: callback protocol, dialog engine and flows.

``setup_bot(app)`` mounts ``/wechat/callback`` and opens the bot's resources on start-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

log = logging.getLogger("borderpass.bot")
RESUME_EVERY = 60.0  # seconds between looks for queued photos whose worker vanished


async def _resume_photos(runtime: Any) -> None:
    """Start workers for photos left queued by a crash or restart, for as long as the app
    runs (every process does; the worker lease makes one of them win)."""
    from borderpass.bot import intake

    while True:
        try:
            await intake.resume(runtime)
        except Exception:  # an outage: try again at the next turn
            log.warning("queued photos could not be resumed", exc_info=True)
        await asyncio.sleep(RESUME_EVERY)


async def _bot_ctx(app: web.Application) -> AsyncIterator[None]:
    from borderpass.bot.oa_client import OfficialAccountClient
    from borderpass.bot.protocol import Callback
    from borderpass.bot.runtime import BotRuntime
    from borderpass.bot.storage import RedisStorage
    from borderpass.bot.views import BOT
    from borderpass.web.appkeys import DEPS, GATE, OCR_POOL, REDIS, SETTINGS

    settings = app[SETTINGS]
    client = OfficialAccountClient(settings.oa_appid, settings.oa_secret, app[REDIS],
                          api_base=settings.wechat_api_base)

    async def ocr_read(kind: str, data: bytes) -> dict[str, object]:
        return await app[OCR_POOL].read(kind, data)

    runtime = BotRuntime(settings, app[DEPS], app[GATE], app[REDIS], RedisStorage(app[REDIS]),
                         client, Callback(settings.oa_token, settings.oa_aes_key,
                                          settings.oa_appid, settings.oa_compatible_mode),
                         ocr_read)
    app[BOT] = runtime
    resumer = asyncio.create_task(_resume_photos(runtime))
    yield
    resumer.cancel()
    await asyncio.gather(resumer, return_exceptions=True)
    await runtime.close()
    await client.close()


def setup_bot(app: web.Application) -> None:
    """Mount the callback route and the bot's start-up/clean-up (after deps and the OCR pool)."""
    from borderpass.bot import basic, declare, filing, personal_data, units  # noqa: F401
    from borderpass.bot.views import routes

    app.router.add_routes(routes)
    app.cleanup_ctx.append(_bot_ctx)
