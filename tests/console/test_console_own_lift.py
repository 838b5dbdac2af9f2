"""R-G4 at the console: who asked for a manual lift finds no way to approve it."""

from __future__ import annotations

import pytest
from console_helpers import console_login, csrf

from borderpass.models.gate import LiftStatus, ManualLift
from borderpass.services.gate import lanes
from borderpass.services.identity import users
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")


async def test_the_console_offers_no_approval_of_ones_own_lift(client) -> None:  # R-G4
    gate = client.app[GATE]
    await lanes.create(gate.deps, {"code": "yh-out-3", "port": "yonghe",
                                   "lane_type": "people", "direction": "exit"})
    await users.add_staff("sun", "correct-horse-1", ["customs", "gate_supervisor"])
    await console_login(client, "sun", "correct-horse-1")
    resp = await client.post("/console/lifts", data={
        "csrf": await csrf(client, "/console/lifts"), "lane": "yh-out-3", "reason": "断电"})
    assert resp.status == 200
    lift = await ManualLift.get(lane__code="yh-out-3")
    page = await (await client.get("/console/lifts")).text()
    assert f"/lifts/{lift.id}/decide" in page and 'value="approve"' not in page
    resp = await client.post(f"/console/lifts/{lift.id}/decide", data={
        "csrf": await csrf(client, "/console/lifts"), "decision": "approve", "note": ""})
    assert resp.status == 403
    await lift.refresh_from_db()
    assert lift.status is LiftStatus.REQUESTED
