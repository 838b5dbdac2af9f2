"""Dialog state per user — 对话状态: a storage base with Redis and in-memory versions.

State is read only under the user's lock (two messages from one user at once must not
both read the old state); it expires after ``ttl`` seconds of silence (7 days).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.asyncio import Redis

STATE_TTL = 7 * 24 * 3600
LOCK_TTL_MS = 30_000  # a crashed holder frees the lock after this long
# Store the turn's state (when given) and free the lock if it is still ours, atomically:
# KEYS = lock, state; ARGV = nonce, state ("" = none), TTL.
RELEASE_SCRIPT = """
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class LockTimeout(Exception):
    """The user's lock could not be taken in time."""


@dataclass
class DialogState:
    """Where one user is: the flow and step (``"Filing:documents"``), flow data, locale."""

    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    locale: str | None = None
    user_id: int | None = None
    history: list[str] = field(default_factory=list)

    @property
    def flow(self) -> str | None:
        """The flow part of the step name."""
        return self.step.split(":", 1)[0] if self.step else None

    def dumps(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str | bytes | None) -> DialogState:
        if not raw:
            return cls()
        values = json.loads(raw)
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


@dataclass
class Held:
    """The state of one turn, held under the user's lock; stored again when the turn ends."""

    state: DialogState


def state_key(openid: str, part: str = "state", prefix: str = "bot") -> str:
    """The namespaced key of one user's record: ``bot:state:<openid>``."""
    return f"{prefix}:{part}:{openid}"


class BaseStorage(ABC):
    """Where dialog states live; every implementation passes tests/bot/test_bot_storage.py."""

    ttl: int = STATE_TTL

    @abstractmethod
    async def get(self, openid: str) -> DialogState:
        """The user's state (a fresh one if none or expired)."""

    @abstractmethod
    async def set(self, openid: str, state: DialogState) -> None:
        """Store the user's state and restart its TTL."""

    @abstractmethod
    async def clear(self, openid: str) -> None:
        """Forget the user's state (unsubscribe)."""

    @abstractmethod
    def lock(self, openid: str, timeout: float = 10.0) -> contextlib.AbstractAsyncContextManager[
            None]:
        """Hold the user's lock; raise LockTimeout when it stays taken ``timeout`` seconds."""

    @contextlib.asynccontextmanager
    async def session(self, openid: str, timeout: float = 10.0) -> AsyncIterator[Held]:
        """One turn: lock, read the state, and store ``held.state`` when the turn ends well
        (a turn that raises leaves the stored state as it was)."""
        async with self.lock(openid, timeout):
            held = Held(await self.get(openid))
            yield held
            await self.set(openid, held.state)


class MemoryStorage(BaseStorage):
    """States in this process (tests, single-process runs); TTL checked on read."""

    def __init__(self, ttl: int = STATE_TTL) -> None:
        self.ttl = ttl
        self._states: dict[str, tuple[float, str]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, openid: str) -> DialogState:
        stored = self._states.get(openid)
        loop = asyncio.get_running_loop()
        if stored is None or stored[0] <= loop.time():
            self._states.pop(openid, None)
            return DialogState()
        return DialogState.loads(stored[1])

    async def set(self, openid: str, state: DialogState) -> None:
        self._states[openid] = (asyncio.get_running_loop().time() + self.ttl, state.dumps())

    async def clear(self, openid: str) -> None:
        self._states.pop(openid, None)

    @contextlib.asynccontextmanager
    async def lock(self, openid: str, timeout: float = 10.0) -> AsyncIterator[None]:
        lock = self._locks.setdefault(openid, asyncio.Lock())
        try:
            await asyncio.wait_for(lock.acquire(), timeout)
        except TimeoutError as exc:
            raise LockTimeout(openid) from exc
        try:
            yield
        finally:
            lock.release()
            if not lock.locked() and not lock._waiters:
                self._locks.pop(openid, None)


class RedisStorage(BaseStorage):
    """States in Redis under ``bot:state:<openid>``; the lock is SET NX PX with a nonce,
    so every server process shares it."""

    def __init__(self, redis: Redis, ttl: int = STATE_TTL, prefix: str = "bot") -> None:
        self.redis = redis
        self.ttl = ttl
        self.prefix = prefix
        self._release_script = redis.register_script(RELEASE_SCRIPT)

    async def get(self, openid: str) -> DialogState:
        return DialogState.loads(await self.redis.get(state_key(openid, "state", self.prefix)))

    async def set(self, openid: str, state: DialogState) -> None:
        await self.redis.set(state_key(openid, "state", self.prefix), state.dumps(), ex=self.ttl)

    async def clear(self, openid: str) -> None:
        await self.redis.delete(state_key(openid, "state", self.prefix))

    async def _acquire(self, openid: str, timeout: float, read: bool) -> tuple[str, str,
                                                                             bytes | None]:
        """Take the lock (SET NX PX with a nonce), reading the state in the same round trip."""
        key, nonce = state_key(openid, "lock", self.prefix), secrets.token_hex(8)
        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + timeout, 0.002
        while True:
            pipe = self.redis.pipeline(transaction=False)
            pipe.set(key, nonce, nx=True, px=LOCK_TTL_MS)
            if read:
                pipe.get(state_key(openid, "state", self.prefix))
            taken, *raw = await pipe.execute()
            if taken:
                return key, nonce, raw[0] if raw else None
            if loop.time() >= deadline:
                raise LockTimeout(openid)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    @contextlib.asynccontextmanager
    async def lock(self, openid: str, timeout: float = 10.0) -> AsyncIterator[None]:
        key, nonce, _ = await self._acquire(openid, timeout, read=False)
        try:
            yield
        finally:
            await self._release(key, nonce)

    @contextlib.asynccontextmanager
    async def session(self, openid: str, timeout: float = 10.0) -> AsyncIterator[Held]:
        """One turn in two round trips fewer: the state comes with the lock, and goes back
        in the Lua script that releases it."""
        key, nonce, raw = await self._acquire(openid, timeout, read=True)
        try:
            held = Held(DialogState.loads(raw))
            yield held
        except BaseException:
            await self._release(key, nonce)
            raise
        await self._release(key, nonce, (state_key(openid, "state", self.prefix),
                                         held.state.dumps()))

    async def _release(self, key: str, nonce: str, save: tuple[str, str] | None = None) -> None:
        """Delete the lock only if it is still ours (it may have expired meanwhile), storing
        ``save`` = (state key, state) in the same atomic step (one Lua script)."""
        target, state = save or (key, "")
        await self._release_script(keys=[key, target], args=[nonce, state, self.ttl])
