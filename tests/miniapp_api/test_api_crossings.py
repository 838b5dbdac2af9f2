"""Declarations, trips, blacklist and idempotency over HTTP (R-F7, R-F8, R-F9)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from api_helpers import approved_filing_id
from gate_helpers import lane, qr

from borderpass.models import Declaration, User
from borderpass.models.gate import Lane
from borderpass.services import clock
from borderpass.services.crossings import blacklist
from borderpass.services.gate import lanes
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")


async def _declaration_body(caller, filing_id: int, direction: str = "exit") -> dict:
    _, filing = await caller.call("GET", f"/api/v1/filings/{filing_id}")
    return {"filing_id": filing_id, "driver_id": filing["drivers"][0]["id"],
            "direction": direction, "port": "ruili"}


async def _cross(client, caller, declaration_id: int, direction: str, event_id: str) -> str:
    """The driver's pass scanned at a Ruili lane of ``direction`` (the lane's HTTP door)."""
    gate = client.app[GATE]
    code = f"ruili-{direction}-api"
    found = await Lane.get_or_none(code=code)
    token = await lanes.reset_credential(gate.deps, code) if found else \
        (await lane(gate, code, direction))[1]
    gate.lanes.forget()
    _, gate_pass = await caller.call("GET", f"/api/v1/declarations/{declaration_id}/pass")
    resp = await client.post(f"/gate/lanes/{code}/scans", headers={
        "Authorization": f"Bearer {token}"}, json={"event_id": event_id, "qr": qr(gate_pass)})
    return str((await resp.json())["action"])


async def test_declare_exit_and_entry_with_trip(client, login, staff_login) -> None:  # R-F7, R-F8
    # Changed for issue 26: the trip opens when the exit pass is scanned at the lane and
    # closes when the entry pass is; declaring opens and closes nothing.
    clock.freeze(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    alice, reviewer = await login(), await staff_login("reviewer")
    filing_id = await approved_filing_id(alice, reviewer)
    status, exit_ = await alice.call("POST", "/api/v1/declarations",
                                     json=await _declaration_body(alice, filing_id))
    assert status == 201 and exit_["status"] == "approved"
    assert (await alice.call("GET", "/api/v1/trips"))[1]["items"] == []
    assert await _cross(client, alice, exit_["id"], "exit", "s1") == "open"
    status, trips = await alice.call("GET", "/api/v1/trips")
    (trip,) = trips["items"]
    assert trip["deadline"].startswith("2027-02-26") and trip["days_left"] == 92
    status, body = await alice.call("POST", "/api/v1/declarations",
                                    json=await _declaration_body(alice, filing_id))
    assert status == 409 and body["error"]["code"] == "trip_open"
    status, entry = await alice.call("POST", "/api/v1/declarations",
                                     json=await _declaration_body(alice, filing_id, "entry"))
    assert status == 201
    assert (await alice.call("GET", "/api/v1/trips"))[1]["items"][0]["status"] == "open"
    assert await _cross(client, alice, entry["id"], "entry", "s2") == "open"
    status, trips = await alice.call("GET", "/api/v1/trips")
    assert trips["items"][0]["status"] == "closed"
    status, listing = await alice.call("GET", "/api/v1/declarations")
    assert len(listing["items"]) == 2
    status, one = await alice.call("GET", f"/api/v1/declarations/{exit_['id']}")
    assert status == 200 and one["direction"] == "exit" and one["status"] == "used"


async def test_idempotency_key_replays_and_creates_once(login, staff_login) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")
    filing_id = await approved_filing_id(alice, reviewer)
    body = await _declaration_body(alice, filing_id)
    headers = {"Idempotency-Key": "retry-123"}
    results = await asyncio.gather(*(alice.call("POST", "/api/v1/declarations", json=body,
                                                headers=headers) for _ in range(3)))
    created = [b for s, b in results if s == 201]
    assert len(created) >= 1 and all(c["id"] == created[0]["id"] for c in created)
    assert all(s in (201, 409) for s, _ in results)
    status, again = await alice.call("POST", "/api/v1/declarations", json=body, headers=headers)
    assert status == 201 and again["id"] == created[0]["id"]
    assert await Declaration.all().count() == 1
    status, err = await alice.call("POST", "/api/v1/declarations", headers=headers,
                                   json=body | {"port": "wanding"})
    assert status == 422 and err["error"]["code"] == "idempotency_key_reused"


async def test_idempotency_key_needs_a_live_session(login) -> None:
    alice, bob = await login("alice"), await login("bob")
    headers = {"Idempotency-Key": "same-key"}
    for auth in ("", "Bearer not-a-session"):  # no session: refused, and nothing claimed
        status, err = await alice.call("POST", "/api/v1/filings", json={"category": "personal"},
                                       headers=headers | {"Authorization": auth})
        assert status == 401, err
    # each user's keys are their own: the same key creates once for each
    first = await alice.call("POST", "/api/v1/filings", json={"category": "personal"},
                             headers=headers)
    other = await bob.call("POST", "/api/v1/filings", json={"category": "personal"},
                           headers=headers)
    assert first[0] == other[0] == 201 and first[1]["id"] != other[1]["id"]
    await User.filter(id=bob.user_id).update(is_active=False)
    status, err = await bob.call("POST", "/api/v1/filings", json={"category": "personal"},
                                 headers={"Idempotency-Key": "after-deactivation"})
    assert status == 401 and err["error"]["code"] == "session_invalid"
    await User.filter(id=bob.user_id).update(is_active=True)  # the refused key was released
    status, _ = await bob.call("POST", "/api/v1/filings", json={"category": "personal"},
                               headers={"Idempotency-Key": "after-deactivation"})
    assert status == 201


async def test_idempotent_filing_create(login) -> None:
    alice = await login()
    headers = {"Idempotency-Key": "f-1"}
    first = await alice.call("POST", "/api/v1/filings", json={"category": "personal"},
                             headers=headers)
    second = await alice.call("POST", "/api/v1/filings", json={"category": "personal"},
                              headers=headers)
    assert first == second and first[0] == 201
    assert len((await alice.call("GET", "/api/v1/filings"))[1]["items"]) == 1


async def test_failed_request_releases_its_key(login) -> None:
    alice = await login()
    headers = {"Idempotency-Key": "k"}
    status, _ = await alice.call("POST", "/api/v1/filings", json={"category": "car"},
                                 headers=headers)
    assert status == 422
    status, _ = await alice.call("POST", "/api/v1/filings", json={"category": "car"},
                                 headers=headers)
    assert status == 422


@pytest.mark.parametrize(("change", "field"), [
    ({"direction": "up"}, "direction"), ({"port": "paris"}, "port"),
    ({"filing_id": "1"}, "filing_id"), ({"driver_id": None}, "driver_id"),
    ({"planned_at": "soon"}, "planned_at"), ({"extra": True}, "extra"),
])
async def test_bad_declarations(login, staff_login, change, field) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")
    filing_id = await approved_filing_id(alice, reviewer)
    body = await _declaration_body(alice, filing_id) | change
    status, err = await alice.call("POST", "/api/v1/declarations", json=body)
    assert status == 422 and err["error"]["field"] == field
    assert await Declaration.all().count() == 0


async def test_other_drivers_cannot_declare_or_see(login, staff_login) -> None:  # R-F7
    alice, bob, reviewer = await login("alice"), await login("bob"), await staff_login("reviewer")
    filing_id = await approved_filing_id(alice, reviewer)
    body = await _declaration_body(alice, filing_id)
    status, err = await bob.call("POST", "/api/v1/declarations", json=body)
    assert status == 422 and err["error"]["field"] == "filing_id"
    _, mine = await alice.call("POST", "/api/v1/declarations", json=body)
    assert (await bob.call("GET", f"/api/v1/declarations/{mine['id']}"))[0] == 404
    assert (await bob.call("POST", f"/api/v1/declarations/{mine['id']}/cancel"))[0] == 404
    assert (await alice.call("POST", f"/api/v1/declarations/{mine['id']}/cancel"))[0] == 200


async def test_blacklist_list_and_lift_by_role(client, login, staff_login) -> None:  # R-F9
    t0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    clock.freeze(t0)
    alice, reviewer = await login(), await staff_login("reviewer")
    filing_id = await approved_filing_id(alice, reviewer)
    _, exit_ = await alice.call("POST", "/api/v1/declarations",
                                json=await _declaration_body(alice, filing_id))
    await _cross(client, alice, exit_["id"], "exit", "s1")
    clock.freeze(t0 + timedelta(days=100))
    assert await blacklist.sweep_overstays() == 1
    status, err = await alice.call("POST", "/api/v1/declarations",
                                   json=await _declaration_body(alice, filing_id))
    assert status == 403 and err["error"]["code"] == "blacklisted"
    # Changed for issue 26: the way home stays open to a blacklisted owner (R-F9)
    status, _ = await alice.call("POST", "/api/v1/declarations",
                                 json=await _declaration_body(alice, filing_id, "entry"))
    assert status == 201
    status, listing = await reviewer.call("GET", "/api/v1/admin/blacklist")
    (entry,) = listing["items"]
    assert entry["suspected_smuggling"] is False
    status, _ = await reviewer.call("POST", f"/api/v1/admin/blacklist/{entry['id']}/lift",
                                    json={"reason": "ok"})
    assert status == 403  # a reviewer cannot lift
    status, _ = await reviewer.call("POST", f"/api/v1/admin/blacklist/{entry['id']}/smuggling",
                                    json={"reason": "ok"})
    assert status == 403  # nor refer
    assert (await alice.call("GET", "/api/v1/admin/blacklist"))[0] == 403
    admin = await staff_login("admin")
    status, err = await admin.call("POST", f"/api/v1/admin/blacklist/{entry['id']}/lift",
                                   json={})
    assert status == 422 and err["error"]["field"] == "reason"
    status, lifted = await admin.call("POST", f"/api/v1/admin/blacklist/{entry['id']}/lift",
                                      json={"reason": "已返回，核实无误"})
    assert status == 200 and lifted["lifted_at"]
    status, body = await alice.call("POST", "/api/v1/declarations",
                                    json=await _declaration_body(alice, filing_id))
    assert status == 409 and body["error"]["code"] == "trip_open"  # lifted, still abroad


async def test_openapi_lists_every_route(client) -> None:
    resp = await client.get("/api/v1/openapi.json")
    spec = await resp.json()
    assert resp.status == 200 and spec["openapi"].startswith("3.1")
    for path in ("/api/v1/auth/wx-login", "/api/v1/filings/{id}/submit",
                 "/api/v1/review/filings/{id}/return", "/api/v1/declarations/{id}/cancel",
                 "/api/v1/trips", "/api/v1/admin/blacklist/{id}/lift", "/api/v1/documents"):
        assert path in spec["paths"], path
    assert spec["paths"]["/api/v1/declarations"]["post"]["requestBody"]


async def test_unknown_api_path_is_json_404(client) -> None:
    resp = await client.get("/api/v1/nothing-here")
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"
