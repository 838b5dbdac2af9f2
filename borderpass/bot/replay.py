"""One use per signature triple: a callback's (timestamp, nonce) is claimed once in Redis.

The timestamp window (``protocol.FRESH_SECONDS``, ±5 min) bounds how long a triple can be
valid; the claim is kept twice that, so a triple is never accepted twice. WeChat's own
retries re-sign with a new nonce and are deduped by MsgId (``bot.dedupe``), not here.
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from borderpass.bot.protocol import FRESH_SECONDS

NONCE_TTL = 2 * FRESH_SECONDS


class NonceGuard:
    """Claim a callback's (timestamp, nonce) once; any later use of it is a replay."""

    def __init__(self, redis: Redis, ttl: int = NONCE_TTL) -> None:
        self.redis = redis
        self.ttl = ttl

    async def claim(self, timestamp: str, nonce: str) -> bool:
        """True the first time this (timestamp, nonce) is seen, False for a replay."""
        digest = hashlib.sha256(f"{timestamp}\n{nonce}".encode()).hexdigest()[:40]
        return bool(await self.redis.set(f"bot:nonce:{digest}", b"", nx=True, ex=self.ttl))
