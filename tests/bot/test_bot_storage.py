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


async def test_session_stores_a_good_turn_and_keeps_the_old_state_on_failure(
        storage: BaseStorage) -> None:
    await storage.set("u1", DialogState(step="file:category", locale="en"))
    async with storage.session("u1") as held:
        assert held.state.step == "file:category"
        held.state.step = "file:documents"
        with pytest.raises(LockTimeout):  # the turn holds the user's lock
            async with storage.lock("u1", timeout=0.05):
                pass
    assert (await storage.get("u1")).step == "file:documents"
    with pytest.raises(RuntimeError):
        async with storage.session("u1") as held:
            held.state = DialogState(step="declare:port")
            raise RuntimeError("the turn failed")
    assert (await storage.get("u1")).step == "file:documents"  # unchanged
    async with storage.lock("u1", timeout=0.5):  # and the lock was released both times
        pass


async def test_two_turns_of_one_user_see_each_other(storage: BaseStorage) -> None:
    async def turn(mark: str) -> None:
        async with storage.session("u1") as held:
            seen = list(held.state.history)
            await asyncio.sleep(0.02)
            held.state.history = [*seen, mark]

    await asyncio.gather(*(turn(str(i)) for i in range(5)))
    assert sorted((await storage.get("u1")).history) == ["0", "1", "2", "3", "4"]
