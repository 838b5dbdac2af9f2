"""The Redis client: a real server when configured, in-process fakeredis otherwise."""

from __future__ import annotations

import redis.asyncio as aioredis


def make_redis(url: str) -> aioredis.Redis:
    """A ``redis.asyncio`` client for ``url``, or an embedded fakeredis when url is empty."""
    if url:
        return aioredis.Redis.from_url(url, decode_responses=False)
    import fakeredis

    return fakeredis.FakeAsyncRedis(decode_responses=False)
