"""``lane-sim``: simulated lanes over a real WebSocket get the decision each pass deserves."""

from __future__ import annotations

import pytest

from borderpass.gate_bridge import sim, sim_seed
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")


async def test_every_kind_of_scan_gets_its_expected_decision(client) -> None:  # R-G2, R-G3
    gate = client.app[GATE]
    world = await sim_seed.seed(gate, 3, {"valid": 40, "expired": 3, "wrong_direction": 3,
                                          "blacklisted": 3})
    url = str(client.make_url("")).rstrip("/")
    report = await sim.run(url, world, rate=60, seconds=1.0, seed=7)
    assert report.offered == 60 and not report.errors
    assert len(report.outcomes) == 60
    wrong = [o for o in report.outcomes if o.reason != sim.EXPECTED[o.kind]]
    assert wrong == []
    assert {o.kind for o in report.outcomes} == set(sim.MIX)  # seed 7 shows every kind
    opened = [o for o in report.outcomes if o.action == "open"]
    assert len(opened) == sum(1 for o in report.outcomes if o.kind == "valid")
    table = sim.render(report)
    assert "replayed" in table and "60 decisions" not in table and "offered 60" in table


async def test_a_scan_the_bridge_never_answers_counts_as_a_timeout(client, monkeypatch) -> None:
    gate = client.app[GATE]
    world = await sim_seed.seed(gate, 1, {"valid": 5})
    monkeypatch.setattr(sim, "ANSWER_TIMEOUT", 0.3)
    url = str(client.make_url("")).rstrip("/")

    async def silent(*_: object) -> None:
        return None  # the bridge takes the frame and answers nothing

    from borderpass.gate_bridge import ws as lane_ws

    monkeypatch.setattr(lane_ws, "_serve_frame", silent)
    report = await sim.run(url, world, rate=5, seconds=0.4, seed=1)
    assert report.offered == 2 and report.errors["timeout"] == 2 and not report.outcomes
