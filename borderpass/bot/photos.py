"""A per-user queue of photos — 照片队列: WeChat sends a multi-photo pick as back-to-back
messages, so every photo is queued in Redis and one worker per user reads them in order.

A job leaves the queue only after it was handled (peek, handle, then pop), so a worker that
dies mid-photo leaves it at the head; the run mark expires and the next photo's worker
handles it first. Queueing and "pop, then stop if empty" are single Lua scripts, so a photo
queued while the worker is finishing is never left without a worker.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from redis.asyncio import Redis

QUEUE_TTL = 24 * 3600
QUEUE_MAX = 20  # photos waiting per user: more are refused, not stored (a flood is no pick)
RUN_TTL = 300  # seconds: a worker that died is replaced after this long
# KEYS = queue, run mark; ARGV = job, queue TTL, run TTL, max → {start a worker?, length}
# (length 0: the queue is full and the job was not queued)
ENQUEUE_SCRIPT = """
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[4]) then return {0, 0} end
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
local start = redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3])
if start then return {1, n} end
return {0, n}
"""
# KEYS = queue, run mark; ARGV = "1" to pop the head handled, run TTL → the next job or nil
NEXT_SCRIPT = """
if ARGV[1] == '1' then redis.call('LPOP', KEYS[1]) end
local head = redis.call('LINDEX', KEYS[1], 0)
if not head then
  redis.call('DEL', KEYS[2])
  return false
end
redis.call('EXPIRE', KEYS[2], ARGV[2])
return head
"""


@dataclass(frozen=True)
class PhotoJob:
    """One photo to handle: the draft, the slot asked when it came, WeChat's media id."""

    filing_id: int
    slot: str
    media_id: str

    def dumps(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str | bytes) -> PhotoJob:
        values: dict[str, Any] = json.loads(raw)
        return cls(int(values["filing_id"]), str(values["slot"]), str(values["media_id"]))


class PhotoQueue:
    """Queue photos per user; tell the caller when a worker must be started."""

    def __init__(self, redis: Redis, prefix: str = "bot") -> None:
        self.redis = redis
        self.prefix = prefix
        self._enqueue = redis.register_script(ENQUEUE_SCRIPT)
        self._next = redis.register_script(NEXT_SCRIPT)

    def _keys(self, openid: str) -> list[str]:
        return [f"{self.prefix}:photos:{openid}", f"{self.prefix}:photos:run:{openid}"]

    async def put(self, openid: str, job: PhotoJob) -> tuple[bool, int]:
        """Queue ``job``: (True when no worker runs for this user, the queue's length —
        0 when the queue is full and ``job`` was refused)."""
        start, length = await self._enqueue(keys=self._keys(openid),
                                            args=[job.dumps(), QUEUE_TTL, RUN_TTL, QUEUE_MAX])
        return bool(start), int(length)

    async def next(self, openid: str, handled: bool) -> PhotoJob | None:
        """Drop the head once ``handled`` and return the next job; None ends the worker."""
        raw = await self._next(keys=self._keys(openid), args=["1" if handled else "0", RUN_TTL])
        return PhotoJob.loads(raw) if raw else None

    async def stop(self, openid: str) -> None:
        """A worker failed: let the next photo start another (its job stays queued)."""
        await self.redis.delete(self._keys(openid)[1])
