"""One body per signature triple: a callback's (timestamp, nonce) is claimed in Redis with
the digest of the body it came with.

The timestamp window (``protocol.FRESH_SECONDS``, ±5 min) bounds how long a triple can be
valid; the claim is kept twice that. The same triple with another body is a replay and is
refused. The very same request again is WeChat delivering it once more (it re-sends a
request it got no answer to): it passes here and is answered from the MsgId dedupe
(``bot.dedupe``) with the first answer, so it can change nothing. Retries that WeChat
re-signs with a new nonce are deduped by MsgId too.
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

    async def claim(self, timestamp: str, nonce: str, body: bytes) -> bool:
        """True the first time this (timestamp, nonce) is seen, or when it comes again with
        the very same body; False for a replay (the triple with another body)."""
        key = "bot:nonce:" + hashlib.sha256(f"{timestamp}\n{nonce}".encode()).hexdigest()[:40]
        digest = hashlib.sha256(body).hexdigest().encode()
        if await self.redis.set(key, digest, nx=True, ex=self.ttl):
            return True
        return bool(await self.redis.get(key) == digest)
