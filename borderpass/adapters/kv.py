"""The Redis client: a real server when configured, in-process fakeredis otherwise."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, RedisError

from borderpass.adapters.batching import Coalescer

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


@dataclass(frozen=True)
class ScriptCall:
    """One call of a registered Lua script (``register_script``)."""

    script: AsyncScript
    keys: Sequence[str]
    args: Sequence[Any]


async def _run_scripts(kv: Any, calls: list[ScriptCall]) -> list[Any]:
    if len(calls) == 1:  # a plain EVALSHA costs less than a pipeline of one
        call = calls[0]
        try:
            return [await call.script(keys=call.keys, args=call.args)]
        except RedisError as exc:
            return [exc]
    pipe = kv.pipeline(transaction=False)
    for call in calls:
        pipe.evalsha(call.script.sha, len(call.keys), *call.keys, *call.args)
    answers = list(await pipe.execute(raise_on_error=False))
    for i, (call, answer) in enumerate(zip(calls, answers, strict=True)):
        if isinstance(answer, NoScriptError):  # Redis restarted or flushed its scripts
            try:
                answers[i] = await call.script(keys=call.keys, args=call.args)  # loads it
            except RedisError as exc:
                answers[i] = exc
    return answers


class ScriptBatch:
    """Lua scripts called in the same event-loop turn, sent as one pipeline (one round trip).

    Each script runs atomically as before; only the network trip is shared. One pipeline is
    in flight at a time (the next gathers meanwhile). A script Redis has not loaded (after
    a restart) is loaded and run on its own."""

    def __init__(self, kv: Any, in_flight: int | None = 1) -> None:
        self._batch: Coalescer[ScriptCall, Any] = Coalescer(
            functools.partial(_run_scripts, kv), in_flight=in_flight)

    async def __call__(self, script: AsyncScript, keys: Sequence[str],
                       args: Sequence[Any]) -> Any:
        """The script's answer; a Redis error is raised here, for this call only."""
        return await self._batch(ScriptCall(script, keys, args))
