"""Fixtures of the unit tests: logged-in drivers and staff over the real HTTP endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from api_helpers import Caller

from borderpass.services import users


@pytest.fixture
def unit_login(client: TestClient, fake_wechat: Any):
    """``await unit_login("alice")`` logs a WeChat user in through wx-login."""

    async def do(name: str = "alice") -> Caller:
        code = fake_wechat.issue_login_code(f"o-{name}")
        resp = await client.post("/api/v1/auth/wx-login", json={"code": code})
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        return Caller(client, body["token"], body["user"]["id"])

    return do


@pytest.fixture
def unit_staff_login(client: TestClient):
    """``await unit_staff_login("admin")`` creates a staff user of that role and logs in."""

    async def do(role: str, name: str | None = None) -> Caller:
        username = name or role
        await users.add_staff(username, "correct-horse-1", [role])
        resp = await client.post("/api/v1/auth/staff-login",
                                 json={"username": username, "password": "correct-horse-1"})
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        return Caller(client, body["token"], body["user"]["id"])

    return do
