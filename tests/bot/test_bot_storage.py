"""One suite for every dialog storage: round trip, TTL, clear, and the per-user lock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from borderpass.bot.storage import (
    BaseStorage,
    DialogState,
    LockTimeout,
    MemoryStorage,
    RedisStorage,
)


@pytest.fixture(params=["memory", "redis"])
def storage(request: pytest.FixtureRequest, redis: Any) -> BaseStorage:
    return MemoryStorage() if request.param == "memory" else RedisStorage(redis)


async def test_round_trip_and_clear(storage: BaseStorage) -> None:
    assert await storage.get("u1") == DialogState()
    state = DialogState(step="file:photo", data={"filing_id": 3, "slot": "vin_plate"},
                        locale="my", user_id=7, history=["file:category"])
    await storage.set("u1", state)
    assert await storage.get("u1") == state
    assert await storage.get("u2") == DialogState()
    await storage.clear("u1")
    assert await storage.get("u1") == DialogState()


async def test_state_expires(storage: BaseStorage) -> None:
    storage.ttl = 1
    await storage.set("u1", DialogState(step="declare:port"))
    await asyncio.sleep(1.2)
    assert (await storage.get("u1")).step is None


async def test_lock_serialises_one_user_only(storage: BaseStorage) -> None:
    order: list[str] = []

    async def hold(name: str, user: str) -> None:
        async with storage.lock(user):
            order.append(f"{name}+")
            await asyncio.sleep(0.05)
            order.append(f"{name}-")

    await asyncio.gather(hold("a", "u1"), hold("b", "u1"))
    assert order in (["a+", "a-", "b+", "b-"], ["b+", "b-", "a+", "a-"])
    order.clear()
    await asyncio.gather(hold("a", "u1"), hold("c", "u2"))
    assert sorted(order[:2]) == ["a+", "c+"]  # two users: both inside before either leaves
    async with storage.lock("u3"):
        with pytest.raises(LockTimeout):
            async with storage.lock("u3", timeout=0.1):
                pass
