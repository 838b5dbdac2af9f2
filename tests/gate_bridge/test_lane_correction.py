"""A pass declared on a filing that is then corrected (R-D6, R-G3): the old filing is
superseded but its approved declarations keep their passes until its expiry, over the lane
WebSocket; a revoked correction stops them. Everything else goes through HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from api_helpers import Caller, approved_filing_id
from gate_helpers import qr
from test_lane_filing_validity import _pass, _scan

from borderpass.models.gate import LedgerEntry
from borderpass.services import clock

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)


async def _correct_phone(alice: Caller, reviewer: Caller, filing_id: int) -> int:
    """A correction of the first driver's phone, submitted and approved over HTTP."""
    status, draft = await alice.call("POST", f"/api/v1/filings/{filing_id}/correct")
    assert status == 201, draft
    status, body = await alice.call("PATCH", f"/api/v1/filings/{draft['id']}", json={
        "drivers": [{"id": draft["drivers"][0]["id"], "phone": "13900001111"}]})
    assert status == 200, body
    status, body = await alice.call("POST", f"/api/v1/filings/{draft['id']}/submit")
    assert status == 200, body
    status, body = await reviewer.call("POST", f"/api/v1/review/filings/{draft['id']}/approve")
    assert status == 200, body
    return int(draft["id"])


async def test_pass_of_the_superseded_filing_still_opens(client, login, staff_login) -> None:
    clock.freeze(T0)
    alice, reviewer = await login(), await staff_login("reviewer")
    old_id = await approved_filing_id(alice, reviewer)
    gate_pass = await _pass(alice, old_id, T0 + timedelta(hours=2))
    new_id = await _correct_phone(alice, reviewer, old_id)
    _, old = await alice.call("GET", f"/api/v1/filings/{old_id}")
    assert (old["status"], old["corrected_by_id"]) == ("superseded", new_id)
    clock.freeze(T0 + timedelta(hours=2))
    command = await _scan(client, qr(gate_pass), "after-correction")
    assert (command["action"], command["reason"]) == ("open", "pass_valid")  # R-D6
    status, declaration = await alice.call(
        "GET", f"/api/v1/declarations/{gate_pass['declaration_id']}")
    assert status == 200 and declaration["filing_id"] == old_id  # the record as it was


async def test_revoked_correction_stops_the_old_passes(client, login, staff_login) -> None:
    clock.freeze(T0)
    alice, reviewer = await login(), await staff_login("reviewer")
    old_id = await approved_filing_id(alice, reviewer)
    gate_pass = await _pass(alice, old_id, T0 + timedelta(hours=2))
    new_id = await _correct_phone(alice, reviewer, old_id)
    status, _ = await reviewer.call("POST", f"/api/v1/review/filings/{new_id}/revoke",
                                    json={"reason": "forged vehicle licence"})
    assert status == 200
    command = await _scan(client, qr(gate_pass), "correction-revoked")
    assert (command["action"], command["reason"]) == ("deny", "filing_revoked")  # R-D6
    entry = await LedgerEntry.get(kind="scan", event_id="correction-revoked")
    assert entry.reason == "filing_revoked"
