"""What every turn needs: services' deps, storage, dedupe, WeChat delivery, the OCR reader."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from borderpass.bot.dedupe import Dedupe
from borderpass.bot.delivery import Delivery
from borderpass.bot.oa_client import OfficialAccountClient
from borderpass.bot.photos import PhotoQueue
from borderpass.bot.protocol import Callback
from borderpass.bot.replay import NonceGuard
from borderpass.bot.storage import BaseStorage
from borderpass.core.config import Settings
from borderpass.services.filings.document_intake import OcrRead
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.ports import Deps

log = logging.getLogger("borderpass.bot")

REPLY_DEADLINE = 4.0  # WeChat gives up after 5 s; answer well before
# Callbacks handled at once per process: each holds a Redis connection at a time, and the
# embedded store's pool refuses (rather than queues) past 100 connections.
MAX_CONCURRENT = 48


@dataclass
class BotRuntime:
    """The bot's resources, built once per app (see ``borderpass.bot.setup_bot``)."""

    settings: Settings
    deps: Deps
    gate: GateDeps
    redis: Redis
    storage: BaseStorage
    client: OfficialAccountClient
    callback: Callback
    ocr_read: OcrRead
    dedupe: Dedupe = field(init=False)
    nonces: NonceGuard = field(init=False)
    delivery: Delivery = field(init=False)
    photos: PhotoQueue = field(init=False)
    reply_deadline: float = REPLY_DEADLINE
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(MAX_CONCURRENT))

    def __post_init__(self) -> None:
        self.dedupe = Dedupe(self.redis)
        self.nonces = NonceGuard(self.redis)
        self.delivery = Delivery(self.redis, self.client)
        self.photos = PhotoQueue()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run background work (OCR, late replies), keeping a reference until it ends."""
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("bot background task failed", exc_info=task.exception())

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for background work (tests, shutdown)."""
        while self.tasks:
            await asyncio.wait(set(self.tasks), timeout=timeout)

    async def close(self) -> None:
        """Cancel background work, then await it."""
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
