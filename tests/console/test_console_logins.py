"""The console's login door: the API's throttling and lockout, sessions that outlive Redis
(R-U7, MLPS level 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient
from console_helpers import PASSWORD, add_staff, csrf, csrf_of

from borderpass.core.config import Settings
from borderpass.models import AuditEvent, UserSession
from borderpass.services import clock
from borderpass.web.appkeys import REDIS

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(login_lock_after=5, login_address_free_failures=50)


async def _post_login(client: TestClient, username: str, password: str,
                      lang: str = "en") -> tuple[int, str, str | None]:
    page = await client.get("/console/login", headers={"Accept-Language": lang})
    resp = await client.post("/console/login", allow_redirects=False,
                             headers={"Accept-Language": lang},
                             data={"csrf": csrf_of(await page.text()), "username": username,
                                   "password": password})
    return resp.status, await resp.text(), resp.headers.get("Retry-After")


async def test_console_login_is_throttled_then_locked(client: TestClient) -> None:  # MLPS
    clock.freeze(T0)
    await add_staff("reviewer")
    for _ in range(3):
        assert (await _post_login(client, "reviewer", "wrong-password-x"))[0] == 401
    status, html, retry = await _post_login(client, "reviewer", PASSWORD)
    assert (status, retry) == (429, "1") and "Too many failed logins" in html
    for _ in range(2):
        clock.freeze(clock.now() + timedelta(hours=1))
        status, html, _ = await _post_login(client, "reviewer", "wrong-password-x")
    assert status == 403 and "ask an administrator" in html
    clock.freeze(clock.now() + timedelta(days=2))
    status, html, _ = await _post_login(client, "reviewer", PASSWORD, "zh-CN")
    assert status == 403 and "已被锁定" in html
    assert await AuditEvent.filter(action="login_lock").count() == 1


async def test_console_session_outlives_redis_and_logout_ends_it(client: TestClient) -> None:
    await add_staff("reviewer")
    status, _, _ = await _post_login(client, "reviewer", PASSWORD)
    assert status == 303
    await client.server.app[REDIS].flushdb()  # a Redis restart without data
    resp = await client.get("/console/review", allow_redirects=False)
    assert resp.status == 200  # still logged in: the session is a PostgreSQL row
    assert await UserSession.all().count() == 1
    await client.post("/console/logout", data={"csrf": await csrf(client, "/console/review")})
    assert await UserSession.all().count() == 0
    assert (await client.get("/console/review", allow_redirects=False)).status == 303
