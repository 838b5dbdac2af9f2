"""Correction of a filing in force (R-D6) over HTTP: a change request reviewed like a
filing, which keeps the old expiry and supersedes the old filing, kept as history.

The clock is the only thing moved by hand; every other change goes through the API.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_helpers import Caller, approved_filing_id, attach_documents
from factories import personal_body

from borderpass.services import clock

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)  # the first approval
EXPIRES = datetime(2027, 1, 10, 2, 0, tzinfo=UTC)  # one year later (R-F3)
LATER = T0 + timedelta(days=100)  # the correction is asked for and approved


async def _reviewer(client: Any) -> Caller:
    """The reviewer logged in again after the clock moved (sessions lapse)."""
    resp = await client.post("/api/v1/auth/staff-login",
                             json={"username": "reviewer", "password": "correct-horse-1"})
    body = await resp.json()
    return Caller(client, body["token"], body["user"]["id"])


async def _approved(login: Any, staff_login: Any) -> tuple[Caller, Caller, int]:
    clock.freeze(T0)
    alice, reviewer = await login(), await staff_login("reviewer")
    return alice, reviewer, await approved_filing_id(alice, reviewer)


async def _submitted(alice: Caller, filing_id: int, **patch: Any) -> tuple[int, Any]:
    """Open the correction, apply ``patch``, submit; the submit's status and answer."""
    status, draft = await alice.call("POST", f"/api/v1/filings/{filing_id}/correct")
    assert status == 201, draft
    if patch:
        status, body = await alice.call("PATCH", f"/api/v1/filings/{draft['id']}", json=patch)
        assert status == 200, body
    return await alice.call("POST", f"/api/v1/filings/{draft['id']}/submit")


async def _phone(alice: Caller, draft_id: int, phone: str) -> dict[str, Any]:
    _, draft = await alice.call("GET", f"/api/v1/filings/{draft_id}")
    return {"drivers": [{"id": draft["drivers"][0]["id"], "phone": phone}]}


async def test_phone_correction_supersedes_and_keeps_the_expiry(client, login,
                                                                staff_login) -> None:
    """R-D6: prefilled with every document, the changed field shown to the reviewer,
    approved: in force from now to the old expiry; the old one superseded, as history."""
    alice, reviewer, old_id = await _approved(login, staff_login)
    clock.freeze(LATER)
    alice, reviewer = await login(), await _reviewer(client)
    _, old = await alice.call("GET", f"/api/v1/filings/{old_id}")
    status, draft = await alice.call("POST", f"/api/v1/filings/{old_id}/correct")
    assert status == 201 and draft["status"] == "draft"
    assert (draft["corrects_id"], draft["renews_id"]) == (old_id, None)
    assert draft["vehicle"] == old["vehicle"]
    assert set(draft["documents"]) == set(old["documents"])  # none asked anew
    status, _ = await alice.call("PATCH", f"/api/v1/filings/{draft['id']}",
                                 json=await _phone(alice, draft["id"], "13900001111"))
    assert status == 200
    status, submitted = await alice.call("POST", f"/api/v1/filings/{draft['id']}/submit")
    assert status == 200, submitted
    assert submitted["renewal_changes"] == ["drivers[0].phone"]
    _, queue = await reviewer.call("GET", "/api/v1/review/queue")
    (item,) = queue["items"]
    assert (item["id"], item["corrects_id"], item["renewal_changes"]) == (
        draft["id"], old_id, ["drivers[0].phone"])
    _, seen = await reviewer.call("GET", f"/api/v1/filings/{draft['id']}")
    assert seen["corrects_id"] == old_id and seen["renewal_changes"] == ["drivers[0].phone"]
    status, approved = await reviewer.call("POST",
                                           f"/api/v1/review/filings/{draft['id']}/approve")
    assert status == 200 and approved["status"] == "approved"
    assert datetime.fromisoformat(approved["starts_at"]) == LATER
    assert datetime.fromisoformat(approved["expires_at"]) == EXPIRES  # no longer, no shorter
    _, history = await alice.call("GET", f"/api/v1/filings/{old_id}")
    assert (history["status"], history["corrected_by_id"]) == ("superseded", draft["id"])
    assert history["drivers"][0]["phone"] == old["drivers"][0]["phone"]  # kept as it was
    _, staff_view = await reviewer.call("GET", f"/api/v1/filings/{old_id}")
    assert staff_view["status"] == "superseded"
    _, listing = await alice.call("GET", "/api/v1/filings")
    assert [(f["id"], f["status"]) for f in listing["items"]] == [
        (draft["id"], "approved"), (old_id, "superseded")]
    # The superseded filing is no longer live: no new crossing rests on it (R-F7) ...
    status, err = await alice.call("POST", "/api/v1/declarations", json={
        "filing_id": old_id, "driver_id": old["drivers"][0]["id"], "direction": "exit",
        "port": "ruili"})
    assert status == 409 and err["error"]["code"] == "filing_not_approved"
    # ... and it cannot be corrected or renewed again; the correction itself can.
    status, err = await alice.call("POST", f"/api/v1/filings/{old_id}/correct")
    assert status == 409 and err["error"]["code"] == "filing_not_correctable"
    assert "superseded" in err["error"]["message"]
    status, again = await alice.call("POST", f"/api/v1/filings/{draft['id']}/correct")
    assert status == 201 and again["corrects_id"] == draft["id"]


async def test_one_correction_or_renewal_at_a_time(login, staff_login) -> None:  # R-D6
    alice, _, old_id = await _approved(login, staff_login)
    status, draft = await alice.call("POST", f"/api/v1/filings/{old_id}/correct")
    assert status == 201
    status, err = await alice.call("POST", f"/api/v1/filings/{old_id}/correct")
    assert status == 409 and (err["error"]["code"], err["error"]["field"]) == (
        "correction_in_progress", "id")
    assert str(draft["id"]) in err["error"]["message"]
    clock.freeze(EXPIRES - timedelta(days=30))  # in the renewal window: still one at a time
    alice = await login()
    status, err = await alice.call("POST", f"/api/v1/filings/{old_id}/renew")
    assert status == 409 and err["error"]["code"] == "renewal_in_progress"
    _, listing = await alice.call("GET", "/api/v1/filings")
    assert len(listing["items"]) == 2  # nothing more was created


async def test_concurrent_twins_open_one_correction(login, staff_login) -> None:  # R-D6
    alice, _, old_id = await _approved(login, staff_login)
    answers = await asyncio.gather(*(alice.call("POST", f"/api/v1/filings/{old_id}/correct")
                                     for _ in range(2)))
    assert sorted(status for status, _ in answers) == [201, 409]
    _, listing = await alice.call("GET", "/api/v1/filings")
    assert len(listing["items"]) == 2


async def test_correction_of_a_filing_not_in_force_is_refused(login, staff_login) -> None:
    alice, _, old_id = await _approved(login, staff_login)
    body = personal_body(plate_number="云N54321")
    body["documents"] = await attach_documents(alice)
    _, draft = await alice.call("POST", "/api/v1/filings", json=body)
    status, err = await alice.call("POST", f"/api/v1/filings/{draft['id']}/correct")
    assert status == 409 and (err["error"]["code"], err["error"]["field"]) == (
        "filing_not_correctable", "status")
    bob = await login("bob")
    status, _ = await bob.call("POST", f"/api/v1/filings/{old_id}/correct")
    assert status == 404  # only its applicant asks
    clock.freeze(EXPIRES + timedelta(minutes=1))
    alice = await login()
    status, err = await alice.call("POST", f"/api/v1/filings/{old_id}/correct",
                                   headers={"Accept-Language": "en"})
    assert status == 409 and err["error"]["code"] == "filing_not_correctable"
    assert "expired" in err["error"]["message"]


async def test_unchanged_correction_is_refused(login, staff_login) -> None:  # R-D6
    alice, _, old_id = await _approved(login, staff_login)
    status, err = await _submitted(alice, old_id)
    assert status == 422
    (error,) = err["errors"] if "errors" in err else [err["error"]]
    assert (error["code"], error["field"]) == ("correction_unchanged", "corrects_id")
    assert str(old_id) in error["message"]
    _, listing = await alice.call("GET", "/api/v1/filings")
    assert {f["status"] for f in listing["items"]} == {"approved", "draft"}  # nothing sent


async def test_correction_of_a_lapsed_filing_is_not_approved(client, login,
                                                              staff_login) -> None:
    """R-D6: a correction never outlives the filing it corrects: submitted before the old
    expiry, reviewed after it, it is refused and nothing changes."""
    alice, _, old_id = await _approved(login, staff_login)
    clock.freeze(EXPIRES - timedelta(hours=1))
    alice = await login()
    status, draft = await alice.call("POST", f"/api/v1/filings/{old_id}/correct")
    await alice.call("PATCH", f"/api/v1/filings/{draft['id']}",
                     json=await _phone(alice, draft["id"], "13900002222"))
    status, _ = await alice.call("POST", f"/api/v1/filings/{draft['id']}/submit")
    assert status == 200
    clock.freeze(EXPIRES + timedelta(hours=1))
    reviewer = await _reviewer(client)
    status, err = await reviewer.call("POST", f"/api/v1/review/filings/{draft['id']}/approve")
    assert status == 409 and err["error"]["code"] == "filing_not_correctable"
    _, still = await reviewer.call("GET", f"/api/v1/filings/{draft['id']}")
    assert still["status"] == "submitted"
