"""Fixtures of the gate bridge tests: staff logged in through the real HTTP endpoint."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from api_helpers import Caller

from borderpass.core.config import Settings
from borderpass.services import users


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app under test without the background ledger writer: tests flush it themselves."""
    return settings.with_overrides(gate_ledger_flush=0)


@pytest.fixture
def staff_login(client: TestClient):
    """``await staff_login("customs")`` creates a staff user of that role and logs in."""

    async def do(role: str, name: str | None = None) -> Caller:
        username = name or role
        await users.add_staff(username, "correct-horse-1", [role])
        resp = await client.post("/api/v1/auth/staff-login",
                                 json={"username": username, "password": "correct-horse-1"})
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        return Caller(client, body["token"], body["user"]["id"])

    return do
