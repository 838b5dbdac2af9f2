"""The second-line channel over the lane WebSocket: the credit pass list lets a listed
vehicle through with no declaration (R-G8), a removal or a dishonesty record (R-U6) stops it
at the next scan, a random check holds it (R-G3), and every passage is a crossing and a
ledger entry (R-G2, R-G6)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_helpers import Caller, attach_documents
from factories import OWNER_ID, SECOND_ID, personal_body
from gate_helpers import lane

from borderpass.models import Port, Trip, User
from borderpass.models.gate import Crossing, LedgerEntry
from borderpass.services.crossings import land_ports
from borderpass.services.filings import commitments
from borderpass.services.validators import make_uscc
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")
PLATE = "云N12345"


def consent(kind: str = "personal") -> dict[str, Any]:
    """A commitment payload agreeing to the current text."""
    text = commitments.current(kind, "zh_CN")
    return {"version": text.version, "locale": "zh_CN", "text_sha256": text.sha256,
            "accepted": True}


async def _listed(unit_login: Any, staff_login: Any, approved: bool = False) -> tuple[
        Caller, Caller, dict, dict]:
    """A unit, its admin, the platform admin and one vehicle listed on its credit list."""
    boss, admin, alice = await unit_login("boss"), await staff_login("admin"), \
        await unit_login("alice")
    status, doc = await boss.upload("business_licence")
    assert status == 201
    status, unit = await boss.call("POST", "/api/v1/units", json={
        "unit_name": "瑞丽边贸有限公司", "unit_kind": "enterprise",
        "uscc": make_uscc("MA6K3Q2X"), "contact_name": "岩温",
        "contact_phone": "13812345678", "documents": {"business_licence": doc["id"]}})
    assert status == 201, unit
    status, unit = await admin.call("POST", f"/api/v1/admin/units/{unit['id']}/authenticate",
                                    json={"approve": True})
    assert status == 200, unit
    status, unit = await boss.call("GET", f"/api/v1/units/{unit['id']}")
    if approved:  # a filing in force: its vehicle's trips follow its crossings (R-F8)
        from factories import approved_filing

        row = await approved_filing(alice.client.app[GATE].deps,
                                    await User.get(id=alice.user_id), personal_body())
        status, filing = await alice.call("GET", f"/api/v1/filings/{row.id}")
        assert status == 200, filing
    else:
        body = personal_body()
        body["documents"] = await attach_documents(alice, drivers=len(body["drivers"]))
        status, filing = await alice.call("POST", "/api/v1/filings", json=body)
        assert status == 201, filing
    status, member = await alice.call("POST", "/api/v1/units/join", json={
        "scene": unit["scene"], "filing_id": filing["id"],
        "driver_id": filing["drivers"][0]["id"], "commitment": consent()})
    assert status == 201, member
    status, _ = await boss.call("POST", f"/api/v1/units/{unit['id']}/members/verify",
                                json={"member_ids": [member["id"]]})
    assert status == 200
    status, _ = await boss.call("POST", f"/api/v1/units/{unit['id']}/uploads",
                                json={"commitment": consent("unit")})
    assert status == 201
    return boss, admin, unit, member


async def _rate(percent: int) -> None:
    """The port's random-check rate (R-G8), set as ``borderpass ports check-rate`` does."""
    assert await land_ports.set_check_rate("ruili", percent) == percent
    assert (await Port.get(code="ruili")).second_line_check_pct == percent


async def _lane_socket(client: Any, direction: str = "exit") -> Any:
    gate = client.app[GATE]
    code = "ruili-2l-out" if direction == "exit" else "ruili-2l-in"
    found, token = await lane(gate, code, direction, lane_type="second_line")
    ws = await client.ws_connect("/gate/ws")
    await ws.send_json({"type": "hello", "event_id": "h1", "lane": found.code,
                        "credential": token})
    welcome = await _recv(ws)
    assert welcome["lane"]["lane_type"] == "second_line", welcome
    return ws


async def _recv(ws: Any, kind: str | None = None) -> dict[str, Any]:
    while True:
        frame = json.loads((await ws.receive(timeout=5)).data)
        if kind is None or frame["type"] == kind:
            return frame


async def _scan(ws: Any, event_id: str, plate: str = PLATE, **more: str) -> dict[str, Any]:
    await ws.send_json({"type": "scan", "event_id": event_id, "plate": plate, **more})
    return await _recv(ws, "command")


async def test_listed_vehicle_passes_without_declaration(client, login, staff_login) -> None:
    await _listed(login, staff_login)  # R-G8
    await _rate(0)
    ws = await _lane_socket(client)
    command = await _scan(ws, "s1", "云N 12345")
    assert (command["action"], command["reason"]) == ("open", "credit_list"), command
    assert set(command["display"]) == {"zh_CN", "my", "en"}
    crossing = await Crossing.get(event_id="s1")  # R-G2: the passage is a crossing
    assert (crossing.kind, crossing.plate, crossing.declaration_id) == (
        "second_line", PLATE, None)
    entry = await LedgerEntry.get(event_id="s1", kind="scan")  # R-G6
    assert (entry.outcome, entry.reason, entry.plate) == ("open", "credit_list", PLATE)
    assert entry.detail["channel"] == "second_line" and entry.detail["member_id"]

    again = await _scan(ws, "s1")  # a replay: the same answer, still one crossing
    assert again == command
    assert await Crossing.filter(lane_code="ruili-2l-out").count() == 1

    driver = await _scan(ws, "s2", id_number=OWNER_ID)  # the listed driver's ID card
    assert driver["action"] == "open"
    other = await _scan(ws, "s3", id_number=SECOND_ID)  # someone not on the entry
    assert (other["action"], other["reason"]) == ("deny", "driver_not_listed")
    await ws.send_json({"type": "scan", "event_id": "s4", "plate": PLATE, "id_number": "12"})
    error = await _recv(ws, "error")
    assert error["field"] == "id_number"
    assert await Crossing.filter(lane_code="ruili-2l-out").count() == 2
    await ws.close()


async def test_unlisted_vehicle_is_denied(client, login, staff_login) -> None:  # R-G8
    await _listed(login, staff_login)
    await _rate(0)
    ws = await _lane_socket(client)
    command = await _scan(ws, "u1", "云N54321")
    assert (command["action"], command["reason"]) == ("deny", "not_on_credit_list")
    assert "不在信用通行名单" in command["display"]["zh_CN"]
    assert not await Crossing.filter(event_id="u1").exists()
    entry = await LedgerEntry.get(event_id="u1", kind="scan")
    assert (entry.outcome, entry.reason) == ("deny", "not_on_credit_list")
    await ws.close()

    gate = client.app[GATE]  # R-G1: the list opens second-line lanes only
    people, token = await lane(gate, "ruili-out-9", "exit")
    resp = await client.post(f"/gate/lanes/{people.code}/scans", json={
        "event_id": "p1", "plate": PLATE}, headers={"Authorization": f"Bearer {token}"})
    command = await resp.json()
    assert (command["action"], command["reason"]) == ("deny", "pass_malformed"), command
    assert not await Crossing.filter(event_id="p1").exists()


async def test_removal_takes_effect_at_the_next_scan(client, login, staff_login) -> None:
    boss, _, unit, member = await _listed(login, staff_login)  # R-G8, R-U6
    await _rate(0)
    ws = await _lane_socket(client)
    assert (await _scan(ws, "r1"))["action"] == "open"
    status, _ = await boss.call("POST", f"/api/v1/units/{unit['id']}/members/"
                                f"{member['id']}/remove", json={"reason": "left"})
    assert status == 200
    command = await _scan(ws, "r2")
    assert (command["action"], command["reason"]) == ("deny", "credit_list_removed")
    assert await Crossing.filter(lane_code="ruili-2l-out").count() == 1
    await ws.close()


async def test_dishonesty_record_denies_at_the_next_scan(client, login, staff_login) -> None:
    _, admin, _, _ = await _listed(login, staff_login)  # R-U6
    await _rate(0)
    ws = await _lane_socket(client)
    assert (await _scan(ws, "d1"))["action"] == "open"
    status, done = await admin.call("POST", "/api/v1/admin/credit-list/remove",
                                    json={"id_number": OWNER_ID, "note": "走私"})
    assert status == 200, done
    command = await _scan(ws, "d2")
    assert (command["action"], command["reason"]) == ("deny", "credit_list_dishonest")
    await ws.close()


async def test_random_check_holds_and_is_recorded(client, login, staff_login) -> None:
    await _listed(login, staff_login)  # R-G8, R-G3
    await _rate(100)
    ws = await _lane_socket(client)
    command = await _scan(ws, "c1")
    assert (command["action"], command["reason"]) == ("hold", "second_line_check")
    assert "随机抽中查验" in command["display"]["zh_CN"]
    assert not await Crossing.filter(event_id="c1").exists()  # held: no passage
    entry = await LedgerEntry.get(event_id="c1", kind="scan")
    assert entry.outcome == "hold" and entry.detail["random_check"] is True
    assert entry.detail["rate"] == 100
    await _rate(0)
    assert await _scan(ws, "c1") == command  # a replay keeps the draw it got
    assert (await _scan(ws, "c2"))["action"] == "open"
    await ws.close()


async def test_trip_follows_second_line_crossings(client, login, staff_login) -> None:
    await _listed(login, staff_login, approved=True)  # R-G8, R-F8
    await _rate(0)
    out, back = await _lane_socket(client), await _lane_socket(client, "entry")
    assert (await _scan(out, "t1"))["action"] == "open"
    trip = await Trip.get(status="open")
    assert trip.exit_crossing_id == (await Crossing.get(event_id="t1")).id
    assert (await _scan(back, "t2"))["action"] == "open"
    await trip.refresh_from_db()
    assert trip.status.value == "closed"
    assert trip.entry_crossing_id == (await Crossing.get(event_id="t2")).id
    await out.close()
    await back.close()
