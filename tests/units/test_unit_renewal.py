"""A credit pass list entry follows its vehicle to the renewed filing (R-F3, R-U4), over
HTTP; only the clock is moved by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from api_helpers import Caller, approved_filing_id
from unit_helpers import consent

from borderpass.services import clock
from borderpass.services.validators import make_uscc

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)
EXPIRES = datetime(2027, 1, 10, 2, 0, tzinfo=UTC)


async def _staff(client, username: str) -> Caller:
    resp = await client.post("/api/v1/auth/staff-login",
                             json={"username": username, "password": "correct-horse-1"})
    body = await resp.json()
    return Caller(client, body["token"], body["user"]["id"])


async def _listed(boss: Caller, admin: Caller, alice: Caller, filing_id: int) -> dict:
    """Alice's vehicle on an active unit's list: joined, verified, uploaded."""
    _, doc = await boss.upload("business_licence")
    _, unit = await boss.call("POST", "/api/v1/units", json={
        "unit_name": "瑞丽边贸有限公司", "unit_kind": "enterprise", "uscc": make_uscc("MA6K3Q2X"),
        "contact_name": "岩温", "contact_phone": "13812345678",
        "documents": {"business_licence": doc["id"]}})
    _, unit = await admin.call("POST", f"/api/v1/admin/units/{unit['id']}/authenticate",
                               json={"approve": True})
    _, filing = await alice.call("GET", f"/api/v1/filings/{filing_id}")
    status, member = await alice.call("POST", "/api/v1/units/join", json={
        "scene": unit["scene"], "filing_id": filing_id,
        "driver_id": filing["drivers"][0]["id"], "commitment": consent()})
    assert status == 201, member
    await boss.call("POST", f"/api/v1/units/{unit['id']}/members/verify",
                    json={"member_ids": [member["id"]]})
    status, _ = await boss.call("POST", f"/api/v1/units/{unit['id']}/uploads",
                                json={"commitment": consent("unit")})
    assert status == 201
    return member  # type: ignore[no-any-return]


async def test_list_entry_carries_over_to_the_renewal(client, login, staff_login) -> None:
    clock.freeze(T0)
    alice, boss = await login("alice"), await login("boss")
    reviewer, admin = await staff_login("reviewer"), await staff_login("admin")
    old_id = await approved_filing_id(alice, reviewer)
    member = await _listed(boss, admin, alice, old_id)
    clock.freeze(EXPIRES - timedelta(days=30))
    alice, reviewer = await login("alice"), await _staff(client, "reviewer")
    status, draft = await alice.call("POST", f"/api/v1/filings/{old_id}/renew")
    assert status == 201
    photos = {}
    for kind in ("photo_front_45", "photo_rear_45", "photo_side"):
        _, doc = await alice.upload(kind)
        photos[kind] = doc["id"]
    await alice.call("PATCH", f"/api/v1/filings/{draft['id']}", json={"documents": photos})
    status, _ = await alice.call("POST", f"/api/v1/filings/{draft['id']}/submit")
    assert status == 200
    _, mine = await alice.call("GET", "/api/v1/units/memberships")
    assert mine["items"][0]["filing_id"] == old_id  # not before the renewal is approved
    status, _ = await reviewer.call("POST", f"/api/v1/review/filings/{draft['id']}/approve")
    assert status == 200
    _, mine = await alice.call("GET", "/api/v1/units/memberships")
    (entry,) = mine["items"]  # moved, not doubled (R-U5 counts stay exact)
    assert (entry["id"], entry["status"], entry["filing_id"]) == (member["id"], "listed",
                                                                  draft["id"])
