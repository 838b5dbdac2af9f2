"""Seed rules the audit found unkept (issue 26), through the API, the console and the lane:
an official letter covers only what it names (R-F2), a self-use vehicle's drivers include
its owner (R-U5), who asks for a manual lift never approves it (R-G4)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from api_helpers import Caller, attach_documents
from factories import OWNER_ID, business_body, personal_body, vin_for

from borderpass.models import FilingDriver, OfficialLetter
from borderpass.models.gate import LiftStatus, ManualLift
from borderpass.services.gate import lanes
from borderpass.services.identity import users
from borderpass.services.validators import make_id_number
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")
OTHER_ID = make_id_number("533102", date(1990, 6, 1), 33)  # fictitious
NAMED = [{"plate": "云N12345"}, {"plate": "云N23456", "vin": None}]


def _errors(body: dict[str, Any]) -> dict[str, str]:
    return {e["field"]: e["code"] for e in body.get("errors") or [body["error"]]}


async def _letter(alice: Caller, reviewer: Caller, **named: Any) -> int:
    """An official letter naming vehicles and people, approved by the reviewer."""
    _, doc = await alice.upload("official_letter")
    status, letter = await alice.call("POST", "/api/v1/official-letters", json={
        "unit_name": "沧源县交通运输局", "document_id": doc["id"], **named})
    assert status == 201, letter
    status, decided = await reviewer.call(
        "POST", f"/api/v1/review/official-letters/{letter['id']}/decide", json={"approve": True})
    assert status == 200 and decided["status"] == "approved", decided
    return int(letter["id"])


async def _official(alice: Caller, letter_id: int, plate: str,
                    driver_id: str = OWNER_ID) -> tuple[int, dict[str, Any]]:
    """File an official vehicle under the letter and submit it: the submit's answer."""
    body = business_body()
    body.update(category="official", official_letter_id=letter_id)
    del body["organisation"]["activity"]
    body["vehicle"]["plate_number"] = plate
    body["vehicle"]["vin"] = vin_for(plate)  # one live filing per VIN (R-F3)
    body["drivers"][0]["id_number"] = body["drivers"][0]["licence_number"] = driver_id
    body["documents"] = await attach_documents(alice, "official")
    status, filing = await alice.call("POST", "/api/v1/filings", json=body)
    assert status == 201, filing
    return await alice.call("POST", f"/api/v1/filings/{filing['id']}/submit")


async def test_a_letter_must_name_its_vehicles_and_people(login, staff_login) -> None:  # R-F2
    alice = await login()
    _, doc = await alice.upload("official_letter")
    status, err = await alice.call("POST", "/api/v1/official-letters", json={
        "unit_name": "沧源县交通运输局", "document_id": doc["id"]})
    assert status == 422 and _errors(err) == {"named_vehicles": "letter_names_required",
                                              "named_people": "letter_names_required"}
    status, err = await alice.call("POST", "/api/v1/official-letters", json={
        "unit_name": "沧源县交通运输局", "document_id": doc["id"],
        "named_vehicles": [{"plate": "云N12345"}, {"vin": "LSVAM4187C22183O"}, {}],
        "named_people": [{"name": "岩温", "id_number": "533102198503140000"}]},
        headers={"Accept-Language": "en"})
    errors = _errors(err)
    assert status == 422 and errors["named_vehicles[1].vin"].startswith("vin_")
    assert errors["named_vehicles[2].plate"] == "required"
    assert errors["named_people[0].id_number"] == "id_checksum"
    assert not await OfficialLetter.exists()  # nothing stored
    status, letter = await alice.call("POST", "/api/v1/official-letters", json={
        "unit_name": "沧源县交通运输局", "document_id": doc["id"], "named_vehicles": NAMED[:1],
        "named_people": [{"name": "岩温", "id_number": OWNER_ID}]})
    assert status == 201 and letter["named_vehicles"] == [{"plate": "云N12345", "vin": None}]
    assert letter["named_people"][0]["id_number"] != OWNER_ID and "*" in letter[
        "named_people"][0]["id_number"]  # masked (R-U7)
    reviewer = await staff_login("reviewer")
    status, pending = await reviewer.call("GET", "/api/v1/review/official-letters")
    # what the reviewer checks against the letter's photo
    assert pending["items"][0]["named_vehicles"] == letter["named_vehicles"]


async def test_a_letter_files_only_the_vehicles_and_drivers_it_names(
        login, staff_login) -> None:  # R-F2
    alice, reviewer = await login(), await staff_login("reviewer")
    letter_id = await _letter(alice, reviewer, named_vehicles=NAMED,
                              named_people=[{"name": "岩温", "id_number": OWNER_ID}])
    status, filed = await _official(alice, letter_id, "云N12345")
    assert status == 200 and filed["status"] == "submitted", filed
    status, err = await _official(alice, letter_id, "云N54321")  # not on the letter
    assert status == 422 and _errors(err) == {"vehicle.plate_number": "letter_vehicle_not_listed"}
    status, err = await _official(alice, letter_id, "云N23456", driver_id=OTHER_ID)
    assert status == 422 and _errors(err) == {"drivers[0].id_number": "letter_driver_not_listed"}
    message = next(e["message"] for e in err["errors"])
    assert "公函" in message  # localised, naming the letter


async def test_a_letter_naming_nobody_cannot_be_approved(login, staff_login) -> None:  # R-F2
    alice, reviewer = await login(), await staff_login("reviewer")
    _, doc = await alice.upload("official_letter")
    # A letter submitted before letters named their scope (migration 0012): empty lists.
    legacy = await OfficialLetter.create(applicant_id=alice.user_id, unit_name="县政府",
                                         document_id=doc["id"])
    status, err = await reviewer.call(
        "POST", f"/api/v1/review/official-letters/{legacy.id}/decide", json={"approve": True})
    assert status == 409 and err["error"]["code"] == "letter_names_nothing"
    await legacy.refresh_from_db()
    assert legacy.status.value == "pending"


async def test_a_self_use_vehicle_is_driven_by_its_owner(login) -> None:  # R-U5
    alice = await login()
    body = personal_body()
    body["drivers"] = [{"name": "玉香", "id_number": OTHER_ID, "licence_number": OTHER_ID,
                        "permit_number": "C22345678", "phone": "13812345679"}]
    body["documents"] = await attach_documents(alice, drivers=1)
    status, filing = await alice.call("POST", "/api/v1/filings", json=body)
    assert status == 201, filing
    status, err = await alice.call("POST", f"/api/v1/filings/{filing['id']}/submit")
    assert status == 422 and _errors(err).get("drivers") == "personal_owner_driver"
    message = next(e["message"] for e in err["errors"] if e["field"] == "drivers")
    assert message.startswith("驾驶人：") and "车主" in message  # localised, naming the field
    owner = personal_body()["drivers"][0]
    documents = await attach_documents(alice, drivers=2)
    _, proof = await alice.upload("relationship_proof")
    status, fixed = await alice.call("PATCH", f"/api/v1/filings/{filing['id']}", json={
        "drivers": [body["drivers"][0], owner],
        "documents": documents | {"relationship_proof": proof["id"]}})
    assert status == 200, fixed
    status, done = await alice.call("POST", f"/api/v1/filings/{filing['id']}/submit")
    assert status == 200 and done["status"] == "submitted", done
    assert await FilingDriver.filter(filing_id=filing["id"], is_owner=True).count() == 1


async def _both_roles(client, name: str) -> Caller:
    """A customs officer who is also a gate supervisor (R-G4: still one person)."""
    await users.add_staff(name, "correct-horse-1", ["customs", "gate_supervisor"])
    resp = await client.post("/api/v1/auth/staff-login",
                             json={"username": name, "password": "correct-horse-1"})
    body = await resp.json()
    return Caller(client, body["token"], body["user"]["id"])


async def test_who_asks_for_a_manual_lift_cannot_approve_it(client, staff_login) -> None:  # R-G4
    gate = client.app[GATE]
    await lanes.create(gate.deps, {"code": "yh-out-1", "port": "yonghe",
                                   "lane_type": "people", "direction": "exit"})
    zhao = await _both_roles(client, "zhao")
    status, lift = await zhao.call("POST", "/api/v1/gate/manual-lifts",
                                   json={"lane": "yh-out-1", "reason": "扫码器故障"})
    assert status == 201, lift
    await zhao.call("PATCH", "/api/v1/me", json={"locale": "en"})
    status, err = await zhao.call("POST", f"/api/v1/gate/manual-lifts/{lift['id']}/approve")
    assert status == 403 and err["error"]["code"] == "lift_own_request"
    assert "another customs officer" in err["error"]["message"]
    assert (await ManualLift.get(id=lift["id"])).status is LiftStatus.REQUESTED
    customs = await staff_login("customs")
    status, done = await customs.call("POST", f"/api/v1/gate/manual-lifts/{lift['id']}/approve")
    assert status == 200 and done["status"] == "approved"


async def test_the_guard_named_at_the_lane_cannot_approve_either(client) -> None:  # R-G4
    from borderpass.services.gate import gate_lifts

    gate = client.app[GATE]
    lane, _ = await lanes.create(gate.deps, {"code": "yh-out-2", "port": "yonghe",
                                             "lane_type": "people", "direction": "exit"})
    lift = await gate_lifts.request_lift(gate, lane, "lane:yh-out-2/qian", "网络中断")
    qian = await _both_roles(client, "qian")
    status, err = await qian.call("POST", f"/api/v1/gate/manual-lifts/{lift.id}/approve")
    assert status == 403 and err["error"]["code"] == "lift_own_request"
