"""The reviewer's desk shows a renewal as such: "renewal of #N", how many fields changed,
and a mark on each changed field (R-F3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient
from console_helpers import add_staff, console_login
from factories import approved_filing, driver_user, jpeg

from borderpass.services import clock
from borderpass.services.filings import documents, filings, renewals
from borderpass.web.appkeys import DEPS

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)


async def test_renewal_is_marked_for_the_reviewer(client: TestClient) -> None:  # R-F3
    deps = client.server.app[DEPS]
    clock.freeze(T0)
    await add_staff("reviewer")
    alice = await driver_user()
    old = await approved_filing(deps, alice)
    clock.freeze(T0 + timedelta(days=340))
    draft = await renewals.start(alice, old.id)
    photos = {kind: (await documents.upload(deps, alice, kind, jpeg())).id
              for kind in ("photo_front_45", "photo_rear_45", "photo_side")}
    await filings.update(deps, alice, draft.id, {"documents": photos,
                                                  "vehicle": {"model": "丰田牌TV7"}})
    await filings.submit(deps, alice, draft.id)
    html = await console_login(client, "reviewer")
    assert f"续期（原备案 {old.id}）" in html  # in the queue
    page = await (await client.get(f"/console/review/filings/{draft.id}")).text()
    assert f"/console/review/filings/{old.id}" in page and "变更 1 项" in page
    row = page.split('data-path="vehicle.model"', 1)[1].split("</tr>", 1)[0]
    assert "续期时已变更" in row and "丰田牌TV7" in row
    other = page.split('data-path="vehicle.vin"', 1)[1].split("</tr>", 1)[0]
    assert "续期时已变更" not in other
