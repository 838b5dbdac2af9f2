"""The reviewer's desk shows a correction as such: "correction of #N", how many fields
changed, and a mark on each changed field (R-D6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient
from console_helpers import add_staff, console_login
from factories import approved_filing, driver_user

from borderpass.services import clock
from borderpass.services.filings import corrections, filings
from borderpass.web.appkeys import DEPS

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)


async def test_correction_is_marked_for_the_reviewer(client: TestClient) -> None:  # R-D6
    deps = client.server.app[DEPS]
    clock.freeze(T0)
    await add_staff("reviewer")
    alice = await driver_user()
    old = await approved_filing(deps, alice)
    clock.freeze(T0 + timedelta(days=10))
    draft = await corrections.start(alice, old.id)
    await filings.update(deps, alice, draft.id, {"vehicle": {"model": "丰田牌TV7"}})
    await filings.submit(deps, alice, draft.id)
    html = await console_login(client, "reviewer")
    assert f"更正（原备案 {old.id}）" in html  # in the queue
    page = await (await client.get(f"/console/review/filings/{draft.id}")).text()
    assert f"/console/review/filings/{old.id}" in page and "变更 1 项" in page
    row = page.split('data-path="vehicle.model"', 1)[1].split("</tr>", 1)[0]
    assert "更正时已变更" in row and "丰田牌TV7" in row
    other = page.split('data-path="vehicle.vin"', 1)[1].split("</tr>", 1)[0]
    assert "更正时已变更" not in other and "续期时已变更" not in other
