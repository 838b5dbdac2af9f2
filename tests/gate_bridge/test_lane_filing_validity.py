"""The lane re-checks the filing behind a pass (R-F3, R-F7, R-G3, R-G6): a pass whose
filing expired or was revoked since it was issued is refused, with the reason in the lane's
languages and a ledger entry; a renewal approved in time keeps the pass good across the
old expiry. Passes are declared and issued over HTTP, scanned over the lane WebSocket."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_helpers import Caller, approved_filing_id
from gate_helpers import lane, qr

from borderpass.models.gate import LedgerEntry
from borderpass.services import clock
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)
EXPIRES = datetime(2027, 1, 10, 2, 0, tzinfo=UTC)
FRESH = ("photo_front_45", "photo_rear_45", "photo_side")


async def _again(client: Any, login: Any) -> tuple[Caller, Caller]:
    """Driver and reviewer logged in again after the clock moved (sessions lapse)."""
    driver = await login("alice")
    resp = await client.post("/api/v1/auth/staff-login",
                             json={"username": "reviewer", "password": "correct-horse-1"})
    body = await resp.json()
    return driver, Caller(client, body["token"], body["user"]["id"])


async def _pass(alice: Caller, filing_id: int, planned_at: datetime) -> dict[str, Any]:
    """An exit declared over HTTP for ``planned_at``, and its pass as the phone gets it."""
    _, filing = await alice.call("GET", f"/api/v1/filings/{filing_id}")
    status, declaration = await alice.call("POST", "/api/v1/declarations", json={
        "filing_id": filing_id, "driver_id": filing["drivers"][0]["id"], "direction": "exit",
        "port": "ruili", "planned_at": planned_at.isoformat()})
    assert status == 201, declaration
    status, gate_pass = await alice.call("GET", f"/api/v1/declarations/{declaration['id']}/pass")
    assert status == 200, gate_pass
    return gate_pass  # type: ignore[no-any-return]


async def _scan(client: Any, text: str, event_id: str) -> dict[str, Any]:
    """Scan at a new exit lane over its WebSocket; the command the bridge sends back."""
    gate = client.server.app[GATE]
    out, token = await lane(gate, code=f"ruili-out-{event_id}")
    ws = await client.ws_connect("/gate/ws")
    await ws.send_json({"type": "hello", "event_id": "h1", "lane": out.code,
                        "credential": token})
    assert json.loads((await ws.receive(timeout=5)).data)["type"] == "welcome"
    await ws.send_json({"type": "scan", "event_id": event_id, "qr": text})
    while True:
        frame = json.loads((await ws.receive(timeout=5)).data)
        if frame["type"] == "command":
            await ws.close()
            return frame  # type: ignore[no-any-return]


async def _renew(alice: Caller, reviewer: Caller, filing_id: int) -> int:
    status, draft = await alice.call("POST", f"/api/v1/filings/{filing_id}/renew")
    assert status == 201, draft
    photos = {}
    for kind in FRESH:
        _, doc = await alice.upload(kind)
        photos[kind] = doc["id"]
    await alice.call("PATCH", f"/api/v1/filings/{draft['id']}", json={"documents": photos})
    status, _ = await alice.call("POST", f"/api/v1/filings/{draft['id']}/submit")
    assert status == 200
    status, _ = await reviewer.call("POST", f"/api/v1/review/filings/{draft['id']}/approve")
    assert status == 200
    return int(draft["id"])


async def test_pass_of_an_expired_filing_is_refused(client, login, staff_login) -> None:
    clock.freeze(T0)
    filing_id = await approved_filing_id(await login(), await staff_login("reviewer"))
    clock.freeze(EXPIRES - timedelta(hours=3))
    alice, _ = await _again(client, login)
    gate_pass = await _pass(alice, filing_id, EXPIRES - timedelta(hours=1))
    clock.freeze(EXPIRES + timedelta(minutes=30))  # the pass's window is still open
    command = await _scan(client, qr(gate_pass), "late")
    assert (command["action"], command["reason"]) == ("deny", "filing_expired")  # R-F3
    assert "filing has expired" in command["display"]["en"]
    assert "车辆备案已过期" in command["display"]["zh_CN"]
    assert "သက်တမ်းကုန်ဆုံးသွားပြီ" in command["display"]["my"]
    entry = await LedgerEntry.get(kind="scan", event_id="late")  # R-G6
    assert (entry.outcome, entry.reason) == ("deny", "filing_expired")


async def test_pass_of_a_revoked_filing_is_refused(client, login, staff_login) -> None:
    clock.freeze(T0)
    alice, reviewer = await login(), await staff_login("reviewer")
    filing_id = await approved_filing_id(alice, reviewer)
    gate_pass = await _pass(alice, filing_id, T0 + timedelta(hours=2))
    status, _ = await reviewer.call("POST", f"/api/v1/review/filings/{filing_id}/revoke",
                                    json={"reason": "forged vehicle licence"})
    assert status == 200
    command = await _scan(client, qr(gate_pass), "revoked")
    assert (command["action"], command["reason"]) == ("deny", "filing_revoked")
    assert "revoked" in command["display"]["en"]
    entry = await LedgerEntry.get(kind="scan", event_id="revoked")
    assert entry.reason == "filing_revoked"


async def test_renewal_keeps_a_pass_good_across_the_expiry(client, login,
                                                           staff_login) -> None:  # R-F3
    """Declared on the old filing before its expiry, scanned just after it: the renewal
    approved in time carries the vehicle, the pole opens."""
    clock.freeze(T0)
    filing_id = await approved_filing_id(await login(), await staff_login("reviewer"))
    clock.freeze(EXPIRES - timedelta(hours=3))
    alice, reviewer = await _again(client, login)
    gate_pass = await _pass(alice, filing_id, EXPIRES - timedelta(hours=1))
    await _renew(alice, reviewer, filing_id)
    clock.freeze(EXPIRES + timedelta(minutes=30))
    command = await _scan(client, qr(gate_pass), "renewed")
    assert (command["action"], command["reason"]) == ("open", "pass_valid")


async def test_declared_after_the_old_expiry_the_renewal_opens(client, login,
                                                               staff_login) -> None:
    """No gap (R-F3): after the old expiry a declaration rests on the renewal, and its pass
    opens the pole."""
    clock.freeze(T0)
    filing_id = await approved_filing_id(await login(), await staff_login("reviewer"))
    clock.freeze(EXPIRES - timedelta(days=20))
    alice, reviewer = await _again(client, login)
    renewal_id = await _renew(alice, reviewer, filing_id)
    clock.freeze(EXPIRES + timedelta(days=1))
    alice, _ = await _again(client, login)
    gate_pass = await _pass(alice, filing_id, clock.now())
    status, declaration = await alice.call("GET",
                                           f"/api/v1/declarations/{gate_pass['declaration_id']}")
    assert status == 200 and declaration["filing_id"] == renewal_id
    command = await _scan(client, qr(gate_pass), "new-year")
    assert (command["action"], command["reason"]) == ("open", "pass_valid")
