"""Which lanes are connected now, across every bridge process: one Redis key per lane.

A lane's WebSocket writes ``gate:online:{lane}`` (its connection id, since when, which
process) with a TTL of three heartbeats and rewrites it every heartbeat while the socket
lives; aiohttp's own ping closes a socket whose lane stopped answering. On disconnect the key
is deleted unless a newer connection (here or in another process) owns it already. A process
that dies leaves its keys to expire, so a lane shows offline within TTL seconds at worst.
The key and its reading are ``adapters/lane_presence.py``'s, shared with the console.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import RedisError, WatchError

from borderpass.adapters.lane_presence import PREFIX, online
from borderpass.adapters.lane_presence import key as _key
from borderpass.gate_bridge.protocol import HEARTBEAT
from borderpass.services import clock

log = logging.getLogger("borderpass.gate")
__all__ = ["PREFIX", "TTL", "mark_offline", "mark_online", "new_presence", "online",
           "present"]
REFRESH = HEARTBEAT  # seconds between rewrites of a live lane's key
TTL = int(3 * HEARTBEAT)  # seconds a key outlives its last rewrite
NODE = f"{socket.gethostname()}:{os.getpid()}"


def new_presence() -> str:
    """The value one connection writes: its id, since when and which process holds it."""
    return json.dumps({"conn": uuid.uuid4().hex, "since": clock.now().isoformat(),
                       "node": NODE}, separators=(",", ":"))


async def mark_online(redis: Redis, lane: str, value: str) -> None:
    """Record (or refresh) that ``lane`` is connected with this presence value."""
    await redis.set(_key(lane), value, ex=TTL)


async def mark_offline(redis: Redis, lane: str, value: str) -> None:
    """Forget the lane's presence if it is still this connection's (not a newer one's)."""
    async with redis.pipeline(transaction=True) as pipe:
        try:
            await pipe.watch(_key(lane))
            held = await pipe.get(_key(lane))
            if (held.decode() if isinstance(held, bytes) else held) == value:
                pipe.multi()  # type: ignore[no-untyped-call]
                pipe.delete(_key(lane))
                await pipe.execute()
        except WatchError:
            pass  # a new connection took the lane meanwhile: its key stays


async def keep_online(redis: Redis, lane: str, value: str) -> None:
    """Refresh the lane's key every REFRESH seconds until cancelled (the socket closed)."""
    while True:
        await asyncio.sleep(REFRESH)
        try:
            await mark_online(redis, lane, value)
        except RedisError:
            log.warning("lane presence not refreshed", extra={"lane": lane})


@contextlib.asynccontextmanager
async def present(redis: Redis, lane: str) -> AsyncIterator[None]:
    """Hold the lane's presence while the block runs (the life of its WebSocket)."""
    value = new_presence()
    try:
        await mark_online(redis, lane, value)
    except RedisError:  # the lane is served all the same; the keeper writes it when back
        log.warning("lane presence not written", extra={"lane": lane})
    keeper = asyncio.create_task(keep_online(redis, lane, value))
    try:
        yield
    finally:
        keeper.cancel()
        try:
            await mark_offline(redis, lane, value)
        except RedisError:
            log.warning("lane presence not cleared; it expires", extra={"lane": lane})
