"""Running the exchange worker (docs/exchange.md): the aiohttp transport that posts signed
events to agencies, started in the server process (cleanup_ctx) or by ``borderpass
worker``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from borderpass.core.config import Settings
from borderpass.core.crypto import FieldCipher
from borderpass.services.exchange import delivery
from borderpass.services.exchange.worker import run_worker
from borderpass.web.appkeys import DEPS, SETTINGS

TIMEOUT = aiohttp.ClientTimeout(total=15, connect=5)
STOP_GRACE = 15.0


class HttpTransport:
    """Posts over one pooled aiohttp session (keep-alive to each agency)."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """The status of the agency's answer; DeliveryFailed when there was none."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        try:
            async with self._session.post(url, data=body, headers=headers,
                                          allow_redirects=False) as resp:
                await resp.read()
                return resp.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise delivery.DeliveryFailed(type(exc).__name__) from exc

    async def close(self) -> None:
        """Close the pooled connections."""
        if self._session is not None:
            await self._session.close()


def config_of(settings: Settings) -> delivery.Config:
    """The worker's settings."""
    return delivery.Config(source=settings.exchange_source)


async def start(settings: Settings, cipher: FieldCipher
                ) -> tuple[asyncio.Task[None] | None, asyncio.Event, HttpTransport]:
    """Start the worker when enabled; its task, stop flag and transport."""
    transport, stop = HttpTransport(), asyncio.Event()
    task = None
    if settings.exchange_worker and settings.exchange_poll > 0:
        task = asyncio.create_task(run_worker(cipher, transport, config_of(settings),
                                              settings.exchange_poll, stop))
    return task, stop, transport


async def stop_worker(task: asyncio.Task[None] | None, stop: asyncio.Event,
                      transport: HttpTransport) -> None:
    """Let the turn finish (or cancel it after a grace), then close the transport."""
    stop.set()
    if task is not None:
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(task), STOP_GRACE)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await transport.close()


async def exchange_ctx(app: web.Application) -> AsyncIterator[None]:
    """The exchange worker in the server process; stopped on exit."""
    task, stop, transport = await start(app[SETTINGS], app[DEPS].cipher)
    yield
    await stop_worker(task, stop, transport)
