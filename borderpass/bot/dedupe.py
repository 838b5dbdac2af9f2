"""Exactly one effect per WeChat message: WeChat retries a callback 3 times after 5 s.

The first request claims the message (Redis SET NX, kept a day); its reply is stored so a
retry, concurrent or later, answers the same thing without running the turn again.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from redis.asyncio import Redis
from wechatpy.messages import BaseMessage

DEDUPE_TTL = 24 * 3600
LATE = {"late": True}  # the turn outlived the passive reply: it is delivered by push


def message_key(message: BaseMessage) -> str:
    """MsgId for messages; sender + CreateTime (+ event) for events, which carry no MsgId."""
    if message.id:
        return f"bot:msg:{message.id}"
    event = getattr(message, "event", message.type)
    return f"bot:msg:{message.source}:{message.time}:{event}"


class Dedupe:
    """Claim a message once; remember its reply for the retries."""

    def __init__(self, redis: Redis, ttl: int = DEDUPE_TTL) -> None:
        self.redis = redis
        self.ttl = ttl

    async def claim(self, key: str) -> bool:
        """True for the first request of a message, False for every retry."""
        return bool(await self.redis.set(key, b"", nx=True, ex=self.ttl))

    async def finish(self, key: str, reply: dict[str, Any]) -> None:
        """Store the answer of a claimed message for its retries."""
        await self.redis.set(key, json.dumps(reply, ensure_ascii=False), ex=self.ttl)

    async def answer(self, key: str, timeout: float) -> dict[str, Any] | None:
        """The stored answer, waiting up to ``timeout`` while the first request still runs."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            raw = await self.redis.get(key)
            if raw:
                value = json.loads(raw)
                return value if isinstance(value, dict) else None
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(0.02)
