"""Renewal of a filing and one live filing per vehicle, over HTTP (R-F3, R-F7, R-F8).

The clock is the only thing moved by hand; every other change goes through the API.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_helpers import RENEWAL_FRESH as FRESH
from api_helpers import Caller, approved_filing_id, attach_documents, submitted_renewal
from factories import personal_body
from gate_helpers import crossed

from borderpass.models import Declaration
from borderpass.services import clock
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)  # the first approval
EXPIRES = datetime(2027, 1, 10, 2, 0, tzinfo=UTC)  # one year later (R-F3)


async def _again(client: Any, login: Any, name: str = "alice",
                 reviewer: str = "reviewer") -> tuple[Caller, Caller]:
    """The driver and the reviewer logged in again after the clock moved (sessions lapse)."""
    driver = await login(name)
    resp = await client.post("/api/v1/auth/staff-login",
                             json={"username": reviewer, "password": "correct-horse-1"})
    body = await resp.json()
    return driver, Caller(client, body["token"], body["user"]["id"])


async def _approved(login: Any, staff_login: Any) -> tuple[Caller, Caller, int]:
    clock.freeze(T0)
    alice, reviewer = await login(), await staff_login("reviewer")
    return alice, reviewer, await approved_filing_id(alice, reviewer)


async def _declare(caller: Caller, filing_id: int, planned_at: datetime | None = None,
                   direction: str = "exit") -> tuple[int, Any]:
    _, filing = await caller.call("GET", f"/api/v1/filings/{filing_id}")
    body = {"filing_id": filing_id, "driver_id": filing["drivers"][0]["id"],
            "direction": direction, "port": "ruili"}
    if planned_at is not None:
        body["planned_at"] = planned_at.isoformat()
    return await caller.call("POST", "/api/v1/declarations", json=body)


async def test_renewal_is_refused_outside_its_window(client, login, staff_login) -> None:  # R-F3
    alice, _, filing_id = await _approved(login, staff_login)
    status, body = await alice.call("POST", f"/api/v1/filings/{filing_id}/renew")
    assert status == 409 and body["error"]["code"] == "renewal_too_early"
    assert body["error"]["field"] == "expires_at" and "2026-11-11" in body["error"]["message"]
    bob = await login("bob")
    status, body = await bob.call("POST", f"/api/v1/filings/{filing_id}/renew")
    assert status == 404  # only its applicant renews it
    body = personal_body(plate_number="云N54321")
    body["documents"] = await attach_documents(alice)
    _, draft = await alice.call("POST", "/api/v1/filings", json=body)
    status, err = await alice.call("POST", f"/api/v1/filings/{draft['id']}/renew")
    assert status == 409 and (err["error"]["code"], err["error"]["field"]) == (
        "filing_not_renewable", "status")
    clock.freeze(EXPIRES + timedelta(minutes=1))  # too late: it has expired
    alice, _ = await _again(client, login)
    status, err = await alice.call("POST", f"/api/v1/filings/{filing_id}/renew")
    assert status == 409 and err["error"]["code"] == "filing_not_renewable"
    assert "（当前状态：expired）" in err["error"]["message"]
    _, listing = await alice.call("GET", "/api/v1/filings")
    assert len(listing["items"]) == 2  # nothing was created


async def test_renewal_prefilled_marked_and_without_gap(client, login, staff_login) -> None:
    """R-F3: prefilled from the filing in force, the changed field marked for the reviewer,
    approved before the expiry, the new year from the old expiry: no gap."""
    alice, reviewer, old_id = await _approved(login, staff_login)
    clock.freeze(EXPIRES - timedelta(days=30))
    alice, reviewer = await _again(client, login)
    _, old = await alice.call("GET", f"/api/v1/filings/{old_id}")
    assert old["renewable_from"].startswith("2026-11-11")
    status, draft = await alice.call("POST", f"/api/v1/filings/{old_id}/renew")
    assert status == 201 and draft["renews_id"] == old_id and draft["status"] == "draft"
    assert draft["vehicle"] == old["vehicle"] and len(draft["drivers"]) == 1
    assert draft["drivers"][0]["id_number"] == old["drivers"][0]["id_number"]  # masked alike
    carried = set(old["documents"]) - set(FRESH)
    assert set(draft["documents"]) == carried  # the photos are asked anew
    status, twice = await alice.call("POST", f"/api/v1/filings/{old_id}/renew")
    assert status == 409 and twice["error"]["code"] == "renewal_in_progress"
    assert str(draft["id"]) in twice["error"]["message"]
    status, missing = await alice.call("POST", f"/api/v1/filings/{draft['id']}/submit")
    assert status == 422
    assert {e["field"] for e in missing["errors"]} == {f"documents.{k}" for k in FRESH}
    driver_id = draft["drivers"][0]["id"]
    renewal = await _renewal_of_draft(alice, draft["id"],
                                      drivers=[{"id": driver_id, "phone": "13900001111"}])
    assert renewal["renewal_changes"] == ["drivers[0].phone"]  # for the reviewer, and rules
    _, queue = await reviewer.call("GET", "/api/v1/review/queue")
    (item,) = queue["items"]
    assert (item["renews_id"], item["renewal_changes"]) == (old_id, ["drivers[0].phone"])
    status, approved = await reviewer.call("POST",
                                           f"/api/v1/review/filings/{renewal['id']}/approve")
    assert status == 200 and approved["renewal_changes"] == ["drivers[0].phone"]
    assert datetime.fromisoformat(approved["starts_at"]) == EXPIRES
    assert approved["expires_at"].startswith("2028-01-10")
    # Before the old expiry, a declaration rests on the old filing, even named by the new one.
    status, before = await _declare(alice, renewal["id"])
    assert status == 201 and before["filing_id"] == old_id
    status, _ = await alice.call("POST", f"/api/v1/declarations/{before['id']}/cancel")
    assert status == 200
    clock.freeze(EXPIRES + timedelta(hours=1))  # the old year is over
    alice, _ = await _again(client, login)
    status, after = await _declare(alice, old_id)
    assert status == 201 and after["filing_id"] == renewal["id"]  # the new year carries it
    status, gate_pass = await alice.call("GET", f"/api/v1/declarations/{after['id']}/pass")
    assert status == 200 and gate_pass["credential"]


async def _renewal_of_draft(alice: Caller, draft_id: int, **patch: Any) -> dict[str, Any]:
    photos = {}
    for kind in FRESH:
        _, doc = await alice.upload(kind)
        photos[kind] = doc["id"]
    status, _ = await alice.call("PATCH", f"/api/v1/filings/{draft_id}",
                                 json={"documents": photos, **patch})
    assert status == 200
    status, submitted = await alice.call("POST", f"/api/v1/filings/{draft_id}/submit")
    assert status == 200, submitted
    return submitted  # type: ignore[no-any-return]


async def test_unchanged_renewal_lists_no_change(client, login, staff_login) -> None:  # R-P2
    alice, _, old_id = await _approved(login, staff_login)
    clock.freeze(EXPIRES - timedelta(days=59))
    alice, _ = await _again(client, login)
    renewal = await submitted_renewal(alice, old_id)
    assert renewal["status"] == "submitted" and renewal["renewal_changes"] == []


async def test_exit_planned_after_expiry_is_refused(client, login, staff_login) -> None:
    """R-F3, R-F7: a crossing planned after the expiry is refused when declared, unless an
    approved renewal carries it; then it rests on the renewal."""
    alice, _, old_id = await _approved(login, staff_login)
    clock.freeze(EXPIRES - timedelta(days=2))
    alice, reviewer = await _again(client, login)
    late = EXPIRES + timedelta(days=1)
    for direction in ("exit", "entry"):
        status, err = await _declare(alice, old_id, late, direction)
        assert status == 422, err
        assert (err["error"]["code"], err["error"]["field"]) == ("filing_expires_before",
                                                                "planned_at")
    status, ok = await _declare(alice, old_id, EXPIRES - timedelta(hours=1))
    assert status == 201 and ok["filing_id"] == old_id
    renewal = await submitted_renewal(alice, old_id)
    status, _ = await reviewer.call("POST", f"/api/v1/review/filings/{renewal['id']}/approve")
    assert status == 200
    status, _ = await alice.call("POST", f"/api/v1/declarations/{ok['id']}/cancel")
    assert status == 200
    status, carried = await _declare(alice, old_id, late)
    assert status == 201 and carried["filing_id"] == renewal["id"]


async def test_open_trip_deadline_follows_the_renewal(client, login, staff_login) -> None:
    """R-F8: abroad when the renewal is approved, the vehicle may stay until the deadline
    the new expiry allows (3 months for a personal vehicle), not the old expiry."""
    alice, _, old_id = await _approved(login, staff_login)
    clock.freeze(EXPIRES - timedelta(days=30))
    alice, reviewer = await _again(client, login)
    status, exit_ = await _declare(alice, old_id)
    assert status == 201
    await crossed(client.app[GATE], await Declaration.get(id=exit_["id"]))  # it left
    _, trips = await alice.call("GET", "/api/v1/trips")
    assert datetime.fromisoformat(trips["items"][0]["deadline"]) == EXPIRES
    renewal = await submitted_renewal(alice, old_id)
    await reviewer.call("POST", f"/api/v1/review/filings/{renewal['id']}/approve")
    _, trips = await alice.call("GET", "/api/v1/trips")
    assert trips["items"][0]["deadline"].startswith("2027-03-11")  # exit + 3 months


async def test_second_live_filing_of_one_vin_is_refused(login, staff_login) -> None:  # R-F3
    alice, bob = await login(), await login("bob")
    reviewer = await staff_login("reviewer")
    await approved_filing_id(alice, reviewer)
    body = personal_body(plate_number="云N99999", vin=personal_body()["vehicle"]["vin"])
    body["documents"] = await attach_documents(bob)
    _, draft = await bob.call("POST", "/api/v1/filings", json=body)
    for locale, word in (("en", "VIN"), ("my", "VIN"), ("zh_CN", "车辆识别代号")):
        status, _ = await bob.call("PATCH", "/api/v1/me", json={"locale": locale})
        assert status == 200
        status, err = await bob.call("POST", f"/api/v1/filings/{draft['id']}/submit")
        assert status == 422
        assert [(e["code"], e["field"]) for e in err["errors"]] == [
            ("vin_already_filed", "vehicle.vin")]
        assert word in err["errors"][0]["message"]
    _, again = await bob.call("GET", f"/api/v1/filings/{draft['id']}")
    assert again["status"] == "draft"


async def test_concurrent_twins_of_one_vin_one_wins(login, staff_login) -> None:  # R-F3
    """Two applicants submit the same VIN at the same moment: the database lets one in
    (index filings_one_live_vin), the other gets vin_already_filed; on PostgreSQL the two
    checks really run side by side."""
    callers = [await login("alice"), await login("bob")]
    vin = personal_body()["vehicle"]["vin"]
    drafts = []
    for caller, plate in zip(callers, ("云N11111", "云N22222"), strict=True):
        body = personal_body(plate_number=plate, vin=vin)
        body["documents"] = await attach_documents(caller)
        _, draft = await caller.call("POST", "/api/v1/filings", json=body)
        drafts.append(draft["id"])
    results = await asyncio.gather(*(
        c.call("POST", f"/api/v1/filings/{d}/submit") for c, d in zip(callers, drafts,
                                                                        strict=True)))
    assert sorted(status for status, _ in results) == [200, 422]
    refused = next(body for status, body in results if status == 422)
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("vin_already_filed", "vehicle.vin")]


async def test_revoked_filing_declares_nothing(client, login, staff_login) -> None:
    alice, reviewer, filing_id = await _approved(login, staff_login)
    status, err = await reviewer.call("POST", f"/api/v1/review/filings/{filing_id}/revoke",
                                      json={"reason": " "})
    assert status == 422 and err["error"]["field"] == "reason"
    status, err = await alice.call("POST", f"/api/v1/review/filings/{filing_id}/revoke",
                                   json={"reason": "forged licence"})
    assert status == 403
    status, revoked = await reviewer.call("POST", f"/api/v1/review/filings/{filing_id}/revoke",
                                          json={"reason": "forged licence"})
    assert status == 200 and revoked["status"] == "revoked"
    status, err = await _declare(alice, filing_id)
    assert status == 409 and err["error"]["code"] == "filing_not_approved"
    clock.freeze(EXPIRES - timedelta(days=10))
    alice, _ = await _again(client, login)
    status, err = await alice.call("POST", f"/api/v1/filings/{filing_id}/renew")
    assert status == 409 and err["error"]["code"] == "filing_not_renewable"
    assert "revoked" in err["error"]["message"]
