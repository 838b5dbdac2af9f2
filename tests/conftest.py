"""Shared fixtures: one suite on the embedded defaults or on PostgreSQL + Redis.

Set ``BORDERPASS_TEST_DATABASE_URL`` (postgres://…) and ``BORDERPASS_TEST_REDIS_URL``
(redis://…) to run on the real services; each test starts from a clean database.
"""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from api_helpers import Caller
from factories import consented
from openapi_contract import openapi_contract  # noqa: F401  (checks every API response)
from suite_settings import (
    MINIAPP_APPID,
    MINIAPP_SECRET,
    TEST_DB,
    TEST_KEY,
    TEST_REDIS,
    pg_admin,
    with_db_name,
)
from tortoise import Tortoise, connections

from borderpass.adapters.db import tortoise_config
from borderpass.adapters.kv import make_redis
from borderpass.adapters.storage import FileStore
from borderpass.core.config import Settings
from borderpass.core.crypto import FieldCipher
from borderpass.models import User
from borderpass.services import clock
from borderpass.services.identity import users
from borderpass.services.ports import Deps

# The tests empty the Redis database they are given before and after each test; they mark
# it as theirs and refuse one holding other data unless BORDERPASS_TEST_REDIS_FLUSH=1.
TEST_REDIS_MARK = "borderpass:test-suite-owns-this-db"


async def _migrate(url: str) -> None:
    from borderpass.adapters.db import close_db, init_db

    await init_db(url)
    await close_db()


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database for the session (a new PostgreSQL database or SQLite)."""
    if TEST_DB:
        name = f"borderpass_test_{uuid.uuid4().hex[:10]}"
        asyncio.run(pg_admin(TEST_DB, f'CREATE DATABASE "{name}"'))
        url = with_db_name(TEST_DB, name)
    else:
        url = f"sqlite://{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    asyncio.run(_migrate(url))
    yield url
    if TEST_DB:
        asyncio.run(pg_admin(TEST_DB, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate(url: str) -> None:
    conn = connections.get("default")
    tables = [m._meta.db_table for app in Tortoise.apps.values() for m in app.values()]
    if url.startswith("postgres"):
        await conn.execute_script(
            f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        script = "".join(f"DELETE FROM {t};" for t in tables)
        await conn.execute_script(script + "DELETE FROM sqlite_sequence;")


async def _seed_ports() -> None:
    """The ports the migration seeds (emptied with every table), and a cold port cache."""
    from borderpass.models import Port
    from borderpass.services.crossings import land_ports

    await Port.bulk_create([Port(code=code, name_zh=zh, name_my=my, name_en=en, aliases=list(a))
                            for code, zh, my, en, a in land_ports.SEED])
    land_ports.CACHE.forget()


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[str]:
    """Open the session database, emptied for this test (the seeded ports kept)."""
    await Tortoise.init(config=tortoise_config(db_url))
    await _truncate(db_url)
    await _seed_ports()
    yield db_url
    await Tortoise.close_connections()


@pytest.fixture
async def redis() -> AsyncIterator[Any]:
    """An empty Redis: the real server when configured, else fakeredis."""
    client = make_redis(TEST_REDIS)
    if TEST_REDIS:
        await _claim_redis_db(client)
    await client.flushdb()
    await _mark_redis_db(client)
    yield client
    await client.flushdb()
    await _mark_redis_db(client)
    await client.aclose()


async def _claim_redis_db(client: Any) -> None:
    """Refuse a Redis database that holds data the tests did not put there."""
    owned = os.environ.get("BORDERPASS_TEST_REDIS_FLUSH") == "1"
    if not owned and await client.dbsize() and not await client.exists(TEST_REDIS_MARK):
        pytest.exit(f"{TEST_REDIS} holds data that is not the tests': name an empty Redis "
                    "database, or set BORDERPASS_TEST_REDIS_FLUSH=1 if it is theirs", 2)


async def _mark_redis_db(client: Any) -> None:
    if TEST_REDIS:
        await client.set(TEST_REDIS_MARK, "1")


@pytest.fixture(autouse=True)
def _running_clock() -> Iterator[None]:
    yield
    clock.freeze(None)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
async def deps(db: str, redis: Any, data_dir: Path) -> Deps:
    """Service dependencies over the test database and Redis."""
    cipher = FieldCipher(base64.b64decode(TEST_KEY))  # the app's key: one database, one key
    return Deps(cipher=cipher, files=FileStore(data_dir / "uploads", cipher),
                kv=redis, tz=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
async def fake_wechat() -> AsyncIterator[Any]:
    """A fake WeChat server on 127.0.0.1 speaking the real wire format."""
    from borderpass_dev.fake_wechat import FakeWeChat

    fake = FakeWeChat(apps={MINIAPP_APPID: MINIAPP_SECRET})
    fake.base_url = await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def settings(db: str, data_dir: Path, fake_wechat: Any) -> Settings:
    """Settings of an app under test: the test database, Redis and fake WeChat."""
    return Settings(
        data_dir=data_dir, database_url=db, redis_url=TEST_REDIS, data_key=TEST_KEY,
        wechat_api_base=fake_wechat.base_url, miniapp_appid=MINIAPP_APPID,
        miniapp_secret=MINIAPP_SECRET, sweep_interval=0,
    )


@pytest.fixture
async def client(settings: Settings, redis: Any, aiohttp_client: Any) -> TestClient:
    """An HTTP client of the whole app on a real socket."""
    from borderpass.app.factory import create_app

    return await aiohttp_client(create_app(settings))  # type: ignore[no-any-return]


@pytest.fixture
def login(client: TestClient, fake_wechat: Any):
    """``await login("alice")`` logs a driver in through wx-login and the fake WeChat."""

    async def do(name: str = "alice", consent: bool = True) -> Caller:
        code = fake_wechat.issue_login_code(f"o-{name}")
        resp = await client.post("/api/v1/auth/wx-login", json={"code": code})
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        if consent:  # R-D1: the mini-program's first screen; tests/services/test_privacy*
            await consented(await User.get(id=body["user"]["id"]))
        return Caller(client, body["token"], body["user"]["id"])

    return do


@pytest.fixture
def staff_login(client: TestClient):
    """``await staff_login("reviewer")`` creates a staff user of that role and logs in."""

    async def do(role: str, name: str | None = None) -> Caller:
        username = name or role
        await users.add_staff(username, "correct-horse-1", [role])
        resp = await client.post("/api/v1/auth/staff-login",
                                 json={"username": username, "password": "correct-horse-1"})
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        return Caller(client, body["token"], body["user"]["id"])

    return do
