"""Redis or the database unreachable: 503 ``service_unavailable`` with ``Retry-After`` on every
door, never a 500, and service again as soon as they are back (issue 17, item 6)."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from outages import CLOSED_DB, PrivateRedis, point_db_at
from tortoise import Tortoise

from borderpass.adapters.kv import make_redis
from borderpass.core.config import Settings
from borderpass.models import IdempotencyRecord
from borderpass.services import clock, idempotency
from borderpass.services.sweeps import sweep_forever

pytestmark = pytest.mark.usefixtures("db")
MESSAGES = {"en": "temporarily unreachable", "my": "ယာယီ", "zh-CN": "服务暂时无法连接"}


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def app_on(private_redis: PrivateRedis, settings: Settings, aiohttp_client: Any
                 ) -> AsyncIterator[TestClient]:
    from borderpass.app.factory import create_app

    app_settings = settings.with_overrides(redis_url=private_redis.url, notify_worker=False)
    yield await aiohttp_client(create_app(app_settings))


async def _login(client: TestClient, fake_wechat: Any, name: str = "alice") -> dict[str, str]:
    code = fake_wechat.issue_login_code(f"o-{name}")
    resp = await client.post("/api/v1/auth/wx-login", json={"code": code})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def _assert_503(resp: Any, language: str = "zh-CN") -> None:
    assert resp.status == 503, await resp.text()
    assert int(resp.headers["Retry-After"]) >= 1
    body = await resp.json()
    assert body["error"]["code"] == "service_unavailable"
    assert MESSAGES[language] in body["error"]["message"]


async def test_redis_down_answers_503_then_recovers(app_on, fake_wechat, private_redis
                                                    ) -> None:
    auth = await _login(app_on, fake_wechat)
    assert (await app_on.get("/api/v1/me", headers=auth)).status == 200
    private_redis.stop()
    for language in MESSAGES:
        resp = await app_on.get("/api/v1/me", headers=auth | {"Accept-Language": language})
        await _assert_503(resp, language)
    resp = await app_on.post("/api/v1/filings", json={"category": "personal"},
                             headers=auth | {"Idempotency-Key": "k-1"})
    await _assert_503(resp)
    resp = await app_on.post("/api/v1/auth/wx-login",
                             json={"code": fake_wechat.issue_login_code("o-bob")})
    await _assert_503(resp)
    resp = await app_on.get("/console/", cookies={"bp_console": "some-session"})
    assert resp.status == 503 and resp.headers["Retry-After"]
    assert "服务暂时无法连接" in await resp.text()
    assert await IdempotencyRecord.all().count() == 0
    private_redis.start()  # without its data: sessions are gone, the service is back at once
    auth = await _login(app_on, fake_wechat)
    resp = await app_on.post("/api/v1/filings", json={"category": "personal"},
                             headers=auth | {"Idempotency-Key": "k-1"})
    assert resp.status == 201


async def test_database_down_answers_503_then_recovers(app_on, fake_wechat, db) -> None:
    auth = await _login(app_on, fake_wechat)
    await point_db_at(CLOSED_DB)
    try:
        for language in MESSAGES:
            resp = await app_on.get("/api/v1/me", headers=auth | {"Accept-Language": language})
            await _assert_503(resp, language)
        resp = await app_on.post("/api/v1/declarations", headers=auth | {
            "Idempotency-Key": "d-1"}, json={"filing_id": 1, "driver_id": 1,
                                              "direction": "exit", "port": "ruili"})
        await _assert_503(resp)
        resp = await app_on.post("/gate/lanes/ruili-out-1/scans", json={"event_id": "e1"},
                                 headers={"Authorization": "Bearer x"})
        await _assert_503(resp)
    finally:
        await point_db_at(db)
    assert (await app_on.get("/api/v1/me", headers=auth)).status == 200


async def test_sweeps_survive_a_redis_restart(deps, private_redis, caplog) -> None:
    import asyncio

    caplog.set_level(logging.WARNING, "borderpass.sweeps")
    kv = make_redis(private_redis.url)
    stop = asyncio.Event()
    loop = asyncio.create_task(sweep_forever(deps.__class__(**{**deps.__dict__, "kv": kv}),
                                             0.05, stop))
    try:
        private_redis.stop()
        await _until(lambda: "sweeps failing" in caplog.text)
        await asyncio.sleep(0.5)  # several failed turns: still one line
        old = clock.now() - idempotency.KEEP * 2
        await IdempotencyRecord.create(user_id=1, key_digest="d" * 64, fingerprint="f" * 64,
                                       status=201, body="{}", created_at=old)
        private_redis.start()
        await _until_async(lambda: _count_records(), 0)  # the sweeps ran again
        await _until(lambda: "sweeps resumed" in caplog.text)
        assert caplog.text.count("sweeps failing") == 1
        assert not loop.done()
    finally:
        stop.set()
        await loop
        await kv.aclose()


async def _count_records() -> int:
    return await IdempotencyRecord.all().count()


async def _until(check: Any, seconds: float = 20.0) -> None:
    import asyncio

    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def _until_async(fetch: Any, expected: Any, seconds: float = 20.0) -> None:
    import asyncio

    for _ in range(int(seconds / 0.05)):
        if await fetch() == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never {expected}")


@pytest.fixture
def private_postgres() -> Iterator[Any]:
    from outages import PrivatePostgres, postgres_available

    if (why := postgres_available()) is not None:
        pytest.skip(why)
    server = PrivatePostgres()
    server.init()
    yield server
    server.destroy()


@pytest.mark.fault
@pytest.mark.skipif(not os.environ.get("BORDERPASS_TEST_DATABASE_URL"),
                    reason="the PostgreSQL back end only: its queries differ from SQLite's")
async def test_postgres_restart_answers_503_then_recovers(private_postgres, settings, db,
                                                          aiohttp_client, fake_wechat) -> None:
    from borderpass.adapters.db import init_db
    from borderpass.app.factory import create_app

    await Tortoise.close_connections()
    await init_db(private_postgres.url)  # migrated, and the ORM on the private server
    try:
        client = await aiohttp_client(create_app(settings.with_overrides(
            database_url=private_postgres.url, notify_worker=False)))
        auth = await _login(client, fake_wechat)
        assert (await client.get("/api/v1/me", headers=auth)).status == 200
        private_postgres.stop()
        await _assert_503(await client.get("/api/v1/me", headers=auth))
        resp = await client.post("/api/v1/filings", json={"category": "personal"},
                                 headers=auth | {"Idempotency-Key": "pg-1"})
        await _assert_503(resp)
        private_postgres.start()
        # the pool's old connections were dropped at the first 503: no request trips on one
        assert (await client.get("/api/v1/me", headers=auth)).status == 200
        resp = await client.post("/api/v1/filings", json={"category": "personal"},
                                 headers=auth | {"Idempotency-Key": "pg-1"})
        assert resp.status == 201
        await client.close()
    finally:
        await point_db_at(db)
