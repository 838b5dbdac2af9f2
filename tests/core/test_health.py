"""``/healthz`` and ``/readyz``: ready with the database migrated, Redis and the OCR pool up;
not ready, with the reason, a 503 and Retry-After when Redis or PostgreSQL goes away, and
ready again when they are back (issue 22)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from outages import CLOSED_DB, PrivateRedis, point_db_at
from tortoise import Tortoise

from borderpass.app import health
from borderpass.core.config import Settings

pytestmark = pytest.mark.usefixtures("db")
REDIS_PORT, PG_PORT = 18801, 18810  # this work's own range: no other test's private servers


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "CACHE", 0.0)  # every probe checks afresh


async def _ready(client: TestClient) -> dict[str, Any]:
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 200, body
    assert body["status"] in ("ready", "degraded")
    return body  # type: ignore[no-any-return]


async def _not_ready(client: TestClient, check: str) -> dict[str, Any]:
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 503, body
    assert int(resp.headers["Retry-After"]) >= 1
    assert body["status"] == "not_ready"
    assert body["checks"][check]["ok"] is False
    assert any(r.startswith(f"{check}: ") for r in body["reasons"]), body
    return body  # type: ignore[no-any-return]


async def test_healthz_and_readyz_when_all_is_well(client) -> None:
    resp = await client.get("/healthz")
    assert resp.status == 200 and (await resp.json()) == {"status": "alive"}
    body = await _ready(client)
    assert body["status"] == "ready" and body["reasons"] == []
    checks = body["checks"]
    assert set(checks) == {"database", "redis", "ocr", "outbox", "ledger"}
    assert all(c["ok"] for c in checks.values())
    assert checks["database"]["migrations"] == len(health.shipped_migrations())
    assert checks["ocr"]["workers"] >= 1


async def test_readyz_not_migrated_names_the_missing_migration(client, monkeypatch) -> None:
    shipped = health.shipped_migrations() | {("borderpass", "9999_from_the_future")}
    monkeypatch.setattr(health, "shipped_migrations", lambda: shipped)
    body = await _not_ready(client, "database")
    assert "not migrated: 1 pending (borderpass.9999_from_the_future)" in body["reasons"][0]


async def test_readyz_is_cached_for_a_flood_of_probes(client, monkeypatch) -> None:
    monkeypatch.setattr(health, "CACHE", 60.0)
    calls = []
    real = health.readiness

    async def counted(request: Any) -> Any:
        calls.append(1)
        return await real(request)

    monkeypatch.setattr(health, "readiness", counted)
    import asyncio

    answers = await asyncio.gather(*(client.get("/readyz") for _ in range(30)))
    assert {r.status for r in answers} == {200}
    assert len(calls) == 1  # thirty probes, one check


async def test_stuck_outbox_is_degraded_not_unready(client, deps) -> None:
    from datetime import timedelta

    from factories import driver_user

    from borderpass.models.notify import Notification
    from borderpass.services import clock

    user = await driver_user("olga")
    await Notification.create(user=user, kind="filing_approved", locale="en",
                              payload={}, status="pending",
                              next_at=clock.now() - timedelta(hours=1), dedupe_key="stuck-1")
    body = await _ready(client)
    assert body["status"] == "degraded"
    assert body["checks"]["outbox"]["ok"] is False
    assert body["reasons"][0].startswith("outbox: outbox stuck: oldest due notification")


async def test_ocr_pool_closed_is_unready(client) -> None:
    from borderpass.web.appkeys import OCR_POOL

    await client.app[OCR_POOL].close()
    await _not_ready(client, "ocr")


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis(REDIS_PORT)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def app_on_private_redis(private_redis: PrivateRedis, settings: Settings,
                               aiohttp_client: Any) -> AsyncIterator[TestClient]:
    from borderpass.app.factory import create_app

    yield await aiohttp_client(create_app(settings.with_overrides(
        redis_url=private_redis.url, notify_worker=False)))


@pytest.mark.fault
async def test_readyz_follows_redis_down_and_back(app_on_private_redis, private_redis) -> None:
    client = app_on_private_redis
    await _ready(client)
    private_redis.stop()
    body = await _not_ready(client, "redis")
    assert body["checks"]["database"]["ok"] is True  # only Redis is named
    assert (await client.get("/healthz")).status == 200  # alive: a restart would not help
    private_redis.start()
    assert (await _ready(client))["checks"]["redis"]["ok"] is True


@pytest.mark.fault
async def test_readyz_follows_an_unreachable_database(client, db) -> None:
    await _ready(client)
    await point_db_at(CLOSED_DB)
    try:
        body = await _not_ready(client, "database")
        assert "unreachable" in body["checks"]["database"]["reason"]
        assert "postgres://" not in str(body)  # no connection string, no personal data
    finally:
        await point_db_at(db)
    await _ready(client)


@pytest.fixture
def private_postgres() -> Iterator[Any]:
    from outages import PrivatePostgres, postgres_available

    if (why := postgres_available()) is not None:
        pytest.skip(why)
    server = PrivatePostgres(PG_PORT)
    server.init()
    yield server
    server.destroy()


@pytest.mark.fault
@pytest.mark.skipif(not os.environ.get("BORDERPASS_TEST_DATABASE_URL"),
                    reason="the PostgreSQL back end only: a private PostgreSQL is stopped")
async def test_readyz_follows_postgres_stop_and_start(private_postgres, settings, db,
                                                      aiohttp_client) -> None:
    from borderpass.adapters.db import init_db
    from borderpass.app.factory import create_app

    await Tortoise.close_connections()
    await init_db(private_postgres.url)  # migrated, and the ORM on the private server
    try:
        client = await aiohttp_client(create_app(settings.with_overrides(
            database_url=private_postgres.url, notify_worker=False)))
        await _ready(client)
        private_postgres.stop()
        await _not_ready(client, "database")
        private_postgres.start()
        await _ready(client)  # the pool's dead connections were renewed
        await client.close()
    finally:
        await point_db_at(db)
