"""The Redis client: a real server when configured, in-process fakeredis otherwise."""

from __future__ import annotations

import redis.asyncio as aioredis

POOL_SIZE = 100  # redis-py's default ceiling of connections per client
POOL_WAIT = 5.0  # seconds a command may wait for a free connection


def make_redis(url: str) -> aioredis.Redis:
    """A ``redis.asyncio`` client for ``url``, or an embedded fakeredis when url is empty."""
    if url:
        # The default pool refuses a command past its ceiling (MaxConnectionsError, an HTTP
        # 500 in a burst); a blocking pool makes it wait briefly for a free connection.
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=POOL_SIZE, timeout=POOL_WAIT, decode_responses=False)
        return aioredis.Redis.from_pool(pool)
    import fakeredis

    return fakeredis.FakeAsyncRedis(decode_responses=False)
