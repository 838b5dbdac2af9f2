"""The gate supervisor's lanes page: live presence of lane WebSockets (shared through Redis,
so any process sees it), the last ledger event and the open fault count (R-G6, R-G7)."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from aiohttp.test_utils import TestClient
from console_helpers import add_staff, console_login
from gate_helpers import connect, lane

from borderpass.core.config import Settings
from borderpass.gate_bridge import presence
from borderpass.web.appkeys import GATE, REDIS

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No background ledger writer: the page flushes the ledger itself before reading."""
    return settings


def _row(html: str, code: str) -> str:
    match = re.search(rf"<tr><td>{re.escape(code)}</td>.*?</tr>", html)
    assert match, html
    return match.group(0)


async def _row_until(client: TestClient, code: str, text: str) -> str:
    """The lane's row of the refreshing table once it shows ``text`` (the server notices
    a closed socket a moment after the client closes it)."""
    for _attempt in range(50):
        resp = await client.get("/console/lanes.part")
        assert resp.status == 200
        row = _row(await resp.text(), code)
        if text in row:
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"{code} never showed {text!r}: {row}")


async def test_a_connected_lane_is_online_until_it_disconnects(client: TestClient) -> None:
    out, token = await lane(client.server.app[GATE])
    await add_staff("gate_supervisor")
    await console_login(client, "gate_supervisor")
    assert "离线" in _row(await (await client.get("/console/lanes")).text(), out.code)
    ws = await connect(client, out.code, token)
    await ws.send_json({"type": "fault", "event_id": "f1", "symptom": "扫码器无响应"})
    assert json.loads((await ws.receive(timeout=5)).data)["type"] == "receipt"
    page = await client.get("/console/lanes")
    html = await page.text()
    assert 'data-refresh="/console/lanes.part"' in html  # the table refreshes itself
    row = _row(html, out.code)
    assert "在线" in row and "离线" not in row
    assert "故障 已报告" in row and "fault" not in row  # the last ledger event, labelled
    assert 'title="扫码器无响应">1<' in row  # one open fault ticket
    await ws.close()
    row = await _row_until(client, out.code, "离线")
    assert "在线" not in row and "断开 离线" in row
    assert await client.server.app[REDIS].get(presence.PREFIX + out.code) is None


async def test_presence_is_shared_and_a_newer_connection_keeps_it(client: TestClient) -> None:
    redis = client.server.app[REDIS]
    gate = client.server.app[GATE]
    (a, _t1), (b, _t2) = await lane(gate), await lane(gate, "ruili-out-2")
    elsewhere = presence.new_presence()  # a lane held by another bridge process
    await presence.mark_online(redis, b.code, elsewhere)
    assert 0 < await redis.ttl(presence.PREFIX + b.code) <= presence.TTL
    await add_staff("gate_supervisor")
    await console_login(client, "gate_supervisor")
    html = await (await client.get("/console/lanes.part")).text()
    assert "离线" in _row(html, a.code) and "在线" in _row(html, b.code)
    # An older connection of the same lane closing late must not erase the newer one.
    await presence.mark_offline(redis, b.code, presence.new_presence())
    assert "在线" in _row(await (await client.get("/console/lanes.part")).text(), b.code)
    await presence.mark_offline(redis, b.code, elsewhere)
    assert "离线" in _row(await (await client.get("/console/lanes.part")).text(), b.code)
