"""Passes open only at lanes of their port (issue 26: ports are data), over the lane's HTTP
door: a Yonghe pass opens Yonghe's lane and no other; a pass signed with the old code
``mengding`` still fits Qingshuihe's lanes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from api_helpers import Caller, approved_filing_id
from gate_helpers import lane, qr

from borderpass.models import Declaration
from borderpass.services import clock
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


async def _pass_at(alice: Caller, filing_id: int, port: str) -> int:
    _, filing = await alice.call("GET", f"/api/v1/filings/{filing_id}")
    status, made = await alice.call("POST", "/api/v1/declarations", json={
        "filing_id": filing_id, "driver_id": filing["drivers"][0]["id"], "direction": "exit",
        "port": port})
    assert status == 201, made
    return int(made["id"])


async def _scan(client, code: str, token: str, event: str, text: str) -> dict:
    resp = await client.post(f"/gate/lanes/{code}/scans", json={"event_id": event, "qr": text},
                             headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 200
    return await resp.json()  # type: ignore[no-any-return]


async def test_a_yonghe_pass_opens_only_yonghes_lane(client, login, staff_login) -> None:
    clock.freeze(T0)
    gate = client.app[GATE]
    alice, reviewer = await login(), await staff_login("reviewer")
    declaration_id = await _pass_at(alice, await approved_filing_id(alice, reviewer),
                                    "yonghe")
    _, gate_pass = await alice.call("GET", f"/api/v1/declarations/{declaration_id}/pass")
    ruili, ruili_token = await lane(gate, "rl-out-1")
    yonghe, yonghe_token = await lane(gate, "yh-out-1", port="yonghe")
    denied = await _scan(client, ruili.code, ruili_token, "s1", qr(gate_pass))
    assert (denied["action"], denied["reason"]) == ("deny", "wrong_port")
    opened = await _scan(client, yonghe.code, yonghe_token, "s2", qr(gate_pass))
    assert opened["action"] == "open"


async def test_a_pass_signed_at_mengding_fits_qingshuihe(client, login, staff_login) -> None:
    clock.freeze(T0)
    gate = client.app[GATE]
    alice, reviewer = await login(), await staff_login("reviewer")
    declaration_id = await _pass_at(alice, await approved_filing_id(alice, reviewer),
                                    "qingshuihe")
    # A declaration made before migration 0012 said "mengding" (and so does its pass).
    await Declaration.filter(id=declaration_id).update(port="mengding")
    _, gate_pass = await alice.call("GET", f"/api/v1/declarations/{declaration_id}/pass")
    assert gate_pass["port_name"] == "清水河"
    qsh, token = await lane(gate, "qsh-out-1", port="mengding")  # registered by the alias
    assert qsh.port == "qingshuihe"
    opened = await _scan(client, qsh.code, token, "s1", qr(gate_pass))
    assert opened["action"] == "open", opened
