"""A credit pass list entry follows its vehicle to the correction that supersedes its
filing (R-D6, R-U4), over HTTP; only the clock is moved by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from api_helpers import approved_filing_id
from test_unit_renewal import _listed

from borderpass.services import clock

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)


async def test_list_entry_follows_the_correction(client, login, staff_login) -> None:
    clock.freeze(T0)
    alice, boss = await login("alice"), await login("boss")
    reviewer, admin = await staff_login("reviewer"), await staff_login("admin")
    old_id = await approved_filing_id(alice, reviewer)
    member = await _listed(boss, admin, alice, old_id)
    status, draft = await alice.call("POST", f"/api/v1/filings/{old_id}/correct")
    assert status == 201
    await alice.call("PATCH", f"/api/v1/filings/{draft['id']}", json={"vehicle": {
        "model": "丰田 海狮 2024"}})
    status, submitted = await alice.call("POST", f"/api/v1/filings/{draft['id']}/submit")
    assert status == 200, submitted
    assert submitted["renewal_changes"] == ["vehicle.model"]
    _, mine = await alice.call("GET", "/api/v1/units/memberships")
    assert mine["items"][0]["filing_id"] == old_id  # not before the correction is approved
    status, _ = await reviewer.call("POST", f"/api/v1/review/filings/{draft['id']}/approve")
    assert status == 200
    _, mine = await alice.call("GET", "/api/v1/units/memberships")
    (entry,) = mine["items"]  # moved, not doubled
    assert (entry["id"], entry["status"], entry["filing_id"]) == (member["id"], "listed",
                                                                  draft["id"])
