"""The console's door says of a VIN check-digit error what the API and the bot say (R-E4)."""

from __future__ import annotations

import html

import pytest
from aiohttp.test_utils import TestClient
from console_helpers import console_login, csrf
from test_console_export import LIST, _applied, _customs

from borderpass.core.messages import error_message
from borderpass.models.export import LicenceStatus
from borderpass.services.export import licences
from borderpass.web.appkeys import DEPS

pytestmark = pytest.mark.usefixtures("db")


async def test_console_shows_the_same_check_digit_message(client: TestClient) -> None:
    licence, numbers = await _applied(client)
    await licences.issue(client.server.app[DEPS], await _customs(), licence.id)
    await console_login(client, "customs")
    token = await csrf(client, f"{LIST}/{licence.id}")
    vin = numbers[0]
    typo = vin[:11] + ("7" if vin[11] != "7" else "8") + vin[12:]  # a slip at position 12
    resp = await client.post(f"{LIST}/{licence.id}/clearance", data={
        "csrf": token, "vin": typo})
    page = html.unescape(await resp.text())
    assert resp.status == 422
    assert error_message("vin_checksum", "zh_CN", {"position": 9}) in page
    await licence.refresh_from_db()
    assert licence.status is LicenceStatus.ISSUED  # nothing recorded
