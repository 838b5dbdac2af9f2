"""Fixtures for the API: logged-in drivers and staff over the real HTTP endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from api_helpers import Caller

from borderpass.services import users


@pytest.fixture
def login(client: TestClient, fake_wechat: Any):
    """``await login("alice")`` logs a driver in through wx-login and the fake WeChat."""

    async def do(name: str = "alice") -> Caller:
        code = fake_wechat.issue_login_code(f"o-{name}")
        resp = await client.post("/api/v1/auth/wx-login", json={"code": code})
        assert resp.status == 200, await resp.text()
        body = await resp.json()
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
