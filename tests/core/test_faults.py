"""Fault tests (issue 17): the server is killed (SIGKILL) and stopped (SIGTERM) while drivers
declare with retries on the same ``Idempotency-Key`` — nothing lost, nothing doubled, every
retry answered with the first answer (R-F7). Run alone with ``-m fault``."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from factories import approved_filing, driver_user, personal_body
from outages import free_port, serving_children, start_server

from borderpass.adapters.kv import make_redis
from borderpass.adapters.storage import FileStore
from borderpass.core.crypto import FieldCipher, load_data_key
from borderpass.models import Declaration, IdempotencyRecord, Trip
from borderpass.services.identity import sessions
from borderpass.services.ports import Deps

TEST_REDIS = os.environ.get("BORDERPASS_TEST_REDIS_URL", "")
TEST_KEY = "ZmF1bHRzLWZhdWx0cy1mYXVsdHMtZmF1bHRzLWZhdWw="  # 32 bytes, this test only
DRIVERS = 12
RETRIES_AFTER_ANSWER = 4  # each driver sends the same request again after its answer

pytestmark = [
    pytest.mark.fault,
    pytest.mark.skipif(not TEST_REDIS or not os.environ.get("BORDERPASS_TEST_DATABASE_URL"),
                       reason="needs PostgreSQL and a Redis server: the server runs as "
                              "several processes that are killed and restarted"),
    pytest.mark.usefixtures("db", "redis"),  # the Redis DB emptied and marked after
]


async def _drivers(tmp_path: Path) -> list[tuple[str, dict[str, Any]]]:
    """Drivers with an approved filing each and a session: (token, exit body)."""
    kv = make_redis(TEST_REDIS)
    deps = Deps(FieldCipher(load_data_key(TEST_KEY, tmp_path)), FileStore(tmp_path / "up"),
                kv, None)  # type: ignore[arg-type]
    made = []
    try:
        for i in range(DRIVERS):
            user = await driver_user(f"driver-{i}")
            filing = await approved_filing(deps, user,
                                           personal_body(plate_number=f"云N{10000 + i}"))
            driver = await filing.drivers.all().first()
            made.append((await sessions.create(deps, user),
                         {"filing_id": filing.id, "driver_id": driver.id, "direction": "exit",
                          "port": "ruili"}))
    finally:
        await kv.aclose()
    return made


class Driver:
    """Declares one exit with one key until answered, then asks again a few times."""

    def __init__(self, url: str, token: str, body: dict[str, Any], key: str) -> None:
        self.url, self.body = url, body
        self.headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        self.answers: list[tuple[int, dict[str, Any]]] = []

    async def one(self, session: aiohttp.ClientSession) -> None:
        for _ in range(3000):  # until answered: connection refused/reset, 503 are retried
            try:
                async with session.post(self.url, json=self.body,
                                        headers=self.headers) as resp:
                    data = await resp.json()
                    if resp.status == 503 or (resp.status == 409 and data["error"]["code"]
                                              == "idempotency_in_progress"):
                        await asyncio.sleep(0.1)
                        continue
                    self.answers.append((resp.status, data))
                    return
            except (TimeoutError, aiohttp.ClientError):
                await asyncio.sleep(0.1)
        raise AssertionError("never answered")

    async def run(self, session: aiohttp.ClientSession, pace: float) -> None:
        for _ in range(1 + RETRIES_AFTER_ANSWER):
            await self.one(session)
            await asyncio.sleep(pace)


async def _wait_listening(parent: Any, port: int) -> None:
    from urllib.request import urlopen

    for _ in range(2400):
        try:
            with urlopen(f"http://127.0.0.1:{port}/gate/keys", timeout=2):
                if len(serving_children(parent.pid, port)) == 2:
                    return
        except OSError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("server never came up")


async def test_kill_and_restart_mid_load_lose_and_double_nothing(db_url: str,
                                                                 tmp_path: Path) -> None:
    drivers_data = await _drivers(tmp_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1/declarations"
    parent = start_server(db_url, TEST_REDIS, tmp_path, TEST_KEY, port)
    second = None
    try:
        await _wait_listening(parent, port)
        drivers = [Driver(url, token, body, f"exit-{i}")
                   for i, (token, body) in enumerate(drivers_data)]
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=20)) as session:
            load = [asyncio.create_task(d.run(session, 0.3 + i * 0.05))
                    for i, d in enumerate(drivers)]
            await asyncio.sleep(0.5)
            os.kill(serving_children(parent.pid, port)[0], signal.SIGKILL)  # dies mid-load
            await asyncio.sleep(0.5)
            parent.send_signal(signal.SIGTERM)  # then the whole server is stopped
            assert await asyncio.to_thread(parent.wait, 15) == 0
            second = start_server(db_url, TEST_REDIS, tmp_path, TEST_KEY, port)
            await asyncio.gather(*load)
    finally:
        for proc in (parent, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                await asyncio.to_thread(proc.wait, 15)
    made = {row.filing_id: row for row in await Declaration.all()}  # type: ignore[attr-defined]
    assert len(made) == DRIVERS == await Declaration.all().count()  # 0 lost, 0 doubled
    assert await Trip.all().count() == 0  # intent only: trips open at the lane (R-F8)
    assert await IdempotencyRecord.all().count() == DRIVERS
    for driver in drivers:
        statuses = {status for status, _ in driver.answers}
        ids = {answer["id"] for _, answer in driver.answers}
        assert statuses == {201}, driver.answers  # never 409 trip_open on a retry
        assert ids == {made[driver.body["filing_id"]].id}
        assert len(driver.answers) == 1 + RETRIES_AFTER_ANSWER
