"""The lane WebSocket and HTTP fallback over a real socket (R-G2, R-G3, R-G4, R-G6, R-G7)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gate_helpers import connect, declared, issued, lane, qr, recv

from borderpass.gate_bridge import protocol
from borderpass.gate_bridge.dispatch import handle
from borderpass.models.gate import (
    Crossing,
    FaultTicket,
    LaneCommand,
    LaneEvent,
    LedgerEntry,
    LiftStatus,
    ManualLift,
)
from borderpass.services import clock
from borderpass.services.gate.gate_context import GateDeps
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


async def test_scan_over_websocket_opens_then_refuses_replay(client) -> None:  # R-G2, R-G3
    clock.freeze(T0)
    gate = client.app[GATE]
    gate_pass = await issued(gate, await declared(gate))
    out, token = await lane(gate)
    ws = await connect(client, out.code, token)
    text = qr(gate_pass)
    await ws.send_json({"type": "scan", "event_id": "s1", "qr": text})
    command = await recv(ws, "command")
    assert (command["action"], command["in_reply_to"]) == ("open", "s1")
    await ws.send_json({"type": "ack", "event_id": "a1", "command_id": command["event_id"]})
    assert (await recv(ws, "receipt"))["known"] is True
    await ws.send_json({"type": "scan", "event_id": "s2", "qr": text})
    refused = await recv(ws, "command")
    assert (refused["action"], refused["reason"]) == ("deny", "pass_used")
    assert "inspection area" in refused["display"]["en"]
    assert "စစ်ဆေးရေးဧရိယာ" in refused["display"]["my"]
    await ws.send_json({"type": "ping", "event_id": "p1"})
    assert (await recv(ws))["type"] == "pong"
    await ws.close()


async def test_bad_lane_credentials_are_refused(client) -> None:
    gate = client.app[GATE]
    out, token = await lane(gate)
    flipped = token[:-1] + ("1" if token[-1] == "0" else "0")
    for code, cred in ((out.code, flipped), ("nowhere", token), (out.code, "")):
        ws = await client.ws_connect("/gate/ws")
        await ws.send_json({"type": "hello", "event_id": "h", "lane": code, "credential": cred})
        error = await recv(ws)
        assert error["type"] == "error" and error["code"] in ("lane_credentials", "required")
        msg = await ws.receive(timeout=5)
        assert msg.type.name in ("CLOSE", "CLOSED") and ws.close_code in (4401, 4400)
    resp = await client.post(f"/gate/lanes/{out.code}/scans", json={"event_id": "x", "qr": "x"},
                             headers={"Authorization": "Bearer wrong"})
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "lane_credentials"


async def test_first_frame_must_be_hello(client) -> None:
    ws = await client.ws_connect("/gate/ws")
    await ws.send_json({"type": "scan", "event_id": "s", "qr": "BP1"})
    error = await recv(ws)
    assert error["code"] == "frame_hello_first"
    msg = await ws.receive(timeout=5)
    assert msg.type.name in ("CLOSE", "CLOSED") and ws.close_code == 4400
    await ws.close()


async def test_malformed_frames_get_errors_and_change_nothing(client) -> None:
    gate = client.app[GATE]
    out, token = await lane(gate, languages=["my", "en"])
    ws = await connect(client, out.code, token)
    bad: list[tuple[Any, str, str | None]] = [
        ("not json", "frame_json", "frame"),
        ([1, 2], "frame_json", "frame"),
        ({"type": "launch", "event_id": "e"}, "frame_type", "type"),
        ({"type": "scan", "qr": "BP1"}, "required", "event_id"),
        ({"type": "scan", "event_id": "e"}, "required", "qr"),
        ({"type": "scan", "event_id": "e", "qr": 5}, "type_string", "qr"),
        ({"type": "scan", "event_id": "e", "qr": "x", "extra": 1}, "unknown_field", "extra"),
        ({"type": "status", "event_id": "e", "pole": "sideways"}, "choice", "pole"),
        ({"type": "ack", "event_id": "e", "command_id": "c", "result": "maybe"}, "choice",
         "result"),
        ({"type": "hello", "event_id": "e", "lane": "x", "credential": "y"}, "frame_type", "type"),
        ({"type": "offline_batch", "event_id": "e", "events": {}}, "type_list", "events"),
    ]
    for frame, code, field in bad:
        await ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))
        error = await recv(ws, "error")
        assert (error["code"], error["field"]) == (code, field), frame
        assert set(error["message"]) == {"my", "en"}
    await ws.send_bytes(b"\x00\x01")
    assert (await recv(ws, "error"))["code"] == "frame_json"
    assert not await LedgerEntry.filter(kind__in=["scan", "command"]).exists()


async def test_reconnect_resends_unacknowledged_commands(client) -> None:
    clock.freeze(T0)
    gate = client.app[GATE]
    gate_pass = await issued(gate, await declared(gate))
    out, token = await lane(gate)
    ws = await connect(client, out.code, token)
    await ws.send_json({"type": "scan", "event_id": "s1", "qr": qr(gate_pass)})
    command = await recv(ws, "command")
    await ws.close()  # the link drops before the lane could ack
    ws = await connect(client, out.code, token)
    resent = await recv(ws, "command")
    assert resent["event_id"] == command["event_id"] and resent["action"] == "open"
    await ws.send_json({"type": "ack", "event_id": "a1", "command_id": command["event_id"]})
    await recv(ws, "receipt")
    await ws.send_json({"type": "ack", "event_id": "a1", "command_id": command["event_id"]})
    assert (await recv(ws, "receipt"))["known"] is True  # same event: same receipt
    await ws.close()
    ws = await connect(client, out.code, token)
    await ws.send_json({"type": "ping", "event_id": "p"})
    assert (await recv(ws))["type"] == "pong"  # nothing pending any more


async def test_http_fallback_scan_and_events(client) -> None:
    clock.freeze(T0)
    gate = client.app[GATE]
    gate_pass = await issued(gate, await declared(gate))
    out, token = await lane(gate)
    auth = {"Authorization": f"Bearer {token}"}
    url = f"/gate/lanes/{out.code}"
    resp = await client.post(f"{url}/scans", json={"event_id": "h1", "qr": qr(gate_pass)},
                             headers=auth)
    command = await resp.json()
    assert resp.status == 200 and command["action"] == "open"
    pending = await (await client.get(f"{url}/commands", headers=auth)).json()
    assert [c["event_id"] for c in pending["items"]] == [command["event_id"]]
    resp = await client.post(f"{url}/events", headers=auth, json={
        "type": "ack", "event_id": "h2", "command_id": command["event_id"]})
    assert (await resp.json())["known"] is True
    resp = await client.post(f"{url}/scans", data=b"{oops", headers=auth)
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "body"
    resp = await client.post(f"{url}/events", headers=auth | {"Accept-Language": "en"},
                             json={"type": "fault", "event_id": "f1", "symptom": ""})
    body = await resp.json()
    assert resp.status == 422 and body["error"]["field"] == "symptom"
    assert not await FaultTicket.exists()
    resp = await client.post(f"{url}/events", headers=auth, json={
        "type": "fault", "event_id": "f1", "symptom": "barrier motor overheats"})
    assert (await resp.json())["fault_id"]


async def test_concurrent_scans_on_two_lanes_open_exactly_one(client) -> None:  # R-G2
    clock.freeze(T0)
    gate = client.app[GATE]
    gate_pass = await issued(gate, await declared(gate))
    (a, ta), (b, tb) = await lane(gate, "ruili-out-a"), await lane(gate, "ruili-out-b")
    wa, wb = await connect(client, a.code, ta), await connect(client, b.code, tb)
    text = qr(gate_pass)
    await asyncio.gather(wa.send_json({"type": "scan", "event_id": "x", "qr": text}),
                         wb.send_json({"type": "scan", "event_id": "y", "qr": text}))
    results = [await recv(wa, "command"), await recv(wb, "command")]
    assert sorted(r["action"] for r in results) == ["deny", "open"]


async def test_manual_lift_needs_customs_approval(client, staff_login) -> None:  # R-G4
    gate = client.app[GATE]
    out, token = await lane(gate)
    ws = await connect(client, out.code, token)
    await ws.send_json({"type": "lift_request", "event_id": "l1", "reason": "scanner broken",
                        "guard": "guard-7"})
    receipt = await recv(ws, "receipt")
    assert receipt["status"] == "requested"
    lift_id = receipt["lift_id"]
    pending = await (await client.get(f"/gate/lanes/{out.code}/commands",
                                      headers={"Authorization": f"Bearer {token}"})).json()
    assert pending["items"] == []  # nothing opens before approval
    supervisor = await staff_login("gate_supervisor")
    status, body = await supervisor.call("POST", f"/api/v1/gate/manual-lifts/{lift_id}/approve")
    assert status == 403 and body["error"]["code"] == "role_required"
    customs = await staff_login("customs")
    status, listed = await customs.call("GET", "/api/v1/gate/manual-lifts?status=requested")
    assert [x["id"] for x in listed["items"]] == [lift_id]
    status, body = await customs.call("POST", f"/api/v1/gate/manual-lifts/{lift_id}/refuse")
    assert status == 422 and body["error"]["field"] == "note"
    status, body = await customs.call("POST", f"/api/v1/gate/manual-lifts/{lift_id}/approve",
                                      json={"note": "checked by phone"})
    assert status == 200 and body["status"] == "approved"
    command = await recv(ws, "command")
    assert (command["action"], command["reason"]) == ("open", "manual_lift")
    await ws.send_json({"type": "ack", "event_id": "a1", "command_id": command["event_id"]})
    await recv(ws, "receipt")
    lift = await ManualLift.get(id=lift_id)
    assert lift.status is LiftStatus.EXECUTED and lift.requested_by == "lane:ruili-out-1/guard-7"
    status, body = await customs.call("POST", f"/api/v1/gate/manual-lifts/{lift_id}/approve")
    assert status == 409 and body["error"]["code"] == "lift_decided"
    outcomes = await LedgerEntry.filter(kind="manual_lift").values_list("outcome", "actor")
    assert ("requested", "lane:ruili-out-1/guard-7") in outcomes
    assert ("approved", "user:customs") in outcomes


async def test_unapproved_open_ack_is_flagged(client) -> None:  # R-G4
    gate = client.app[GATE]
    out, token = await lane(gate)
    ws = await connect(client, out.code, token)
    await ws.send_json({"type": "ack", "event_id": "a9", "command_id": "lift-999"})
    assert (await recv(ws, "receipt"))["known"] is False
    entry = await LedgerEntry.get(kind="ack", flagged=True)
    assert entry.detail == {"command_id": "lift-999", "known": False}


async def test_emergency_release_by_supervisor(client, staff_login) -> None:  # R-G5
    gate = client.app[GATE]
    out, token = await lane(gate)
    ws = await connect(client, out.code, token)
    supervisor = await staff_login("gate_supervisor")
    status, body = await supervisor.call("POST", "/api/v1/gate/emergency", json={
        "lane": out.code, "plate": "云A12345", "kind": "tank"})
    assert status == 422 and body["error"]["field"] == "kind"
    status, _ = await supervisor.call("POST", "/api/v1/gate/emergency", json={
        "lane": out.code, "plate": "云A12345", "kind": "fire"})
    assert status == 201
    command = await recv(ws, "command")
    assert (command["action"], command["reason"]) == ("open", "emergency")
    assert await LedgerEntry.filter(kind="emergency", actor="user:gate_supervisor").exists()
    crossing = await Crossing.get(kind="emergency", lane_code=out.code)  # R-F8, issue 26
    assert (crossing.plate, crossing.declaration_id, crossing.direction) == ("云A12345", None,
                                                                             "exit")


async def _twin_frame(client: Any, kind: str, out: Any, token: str,
                     staff_login: Any) -> tuple[dict[str, Any], Callable[[], Awaitable[None]]]:
    """A frame of ``kind`` (event id ``twin-1``) and the check that it acted once."""
    gate = client.app[GATE]
    if kind in ("scan", "offline_batch"):
        text = qr(await issued(gate, await declared(gate)))

        async def one_crossing() -> None:
            assert await Crossing.all().count() == 1
            assert await LedgerEntry.filter(event_id="twin-1:cmd").count() == (
                1 if kind == "scan" else 0)
        if kind == "scan":
            return {"type": "scan", "qr": text}, one_crossing
        return {"type": "offline_batch", "events": [
            {"event_id": "o1", "qr": text, "action": "open", "at": T0.isoformat()}]}, \
            one_crossing
    if kind == "ack":  # of an approved manual lift's open command: executed once (R-G4)
        guard, customs = await staff_login("gate_supervisor"), await staff_login("customs")
        _, lift = await guard.call("POST", "/api/v1/gate/manual-lifts", json={
            "lane": out.code, "reason": "reader down"})
        status, _ = await customs.call("POST", f"/api/v1/gate/manual-lifts/{lift['id']}/approve",
                                       json={"note": "checked"})
        assert status == 200

        async def executed_once() -> None:
            found = await ManualLift.get(id=lift["id"])
            assert found.status is LiftStatus.EXECUTED
            assert await LaneCommand.filter(acked_at__isnull=False).count() == 1
            assert not await LedgerEntry.filter(event_id="twin-1", flagged=True).exists()
        return {"type": "ack", "command_id": f"lift-{lift['id']}"}, executed_once
    model = {"lift_request": ManualLift, "fault": FaultTicket}.get(kind)

    async def one_row() -> None:
        if model is not None:
            assert await model.all().count() == 1
    frames = {"lift_request": {"reason": "camera down", "plate": "云N12345"},
              "fault": {"symptom": "barrier motor overheats"}, "status": {"pole": "stuck"}}
    return {"type": kind, **frames[kind]}, one_row


@pytest.mark.parametrize("kind", ["scan", "ack", "status", "fault", "lift_request",
                                  "offline_batch"])
async def test_twin_lane_events_sent_at_once_act_once(client, staff_login, kind) -> None:
    # Issue 17, issue 24 item 3: every kind of lane event sent four times at once (HTTP
    # and WebSocket, as a lane retrying over both) acts once and gets one answer; customs
    # sees one lift to approve (R-G4), the ledger one entry (R-G6), a pass one use (R-G2).
    clock.freeze(T0)
    gate = client.app[GATE]
    out, token = await lane(gate)
    auth = {"Authorization": f"Bearer {token}"}
    frame, acted_once = await _twin_frame(client, kind, out, token, staff_login)
    body = {**frame, "event_id": "twin-1"}
    ws = await connect(client, out.code, token)

    async def send() -> tuple[int, dict[str, Any]]:
        resp = await client.post(f"/gate/lanes/{out.code}/events", json=body, headers=auth)
        return resp.status, await resp.json()

    async def over_ws() -> tuple[int, dict[str, Any]]:
        await ws.send_json(body)
        return 200, await recv(ws, "command" if kind == "scan" else "receipt")

    answers = await asyncio.gather(send(), over_ws(), send(), send())
    assert {status for status, _ in answers} == {200}, answers
    assert all(answer == answers[0][1] for _, answer in answers)
    await acted_once()
    kept = 0 if kind == "offline_batch" else 1
    assert await LedgerEntry.filter(event_id="twin-1").count() == kept
    assert await LaneEvent.filter(lane_code=out.code, event_id="twin-1").count() == 1
    again = await send()  # a retry later: the first answer again
    assert again == (200, answers[0][1])
    await acted_once()


async def test_an_offline_upload_retried_after_its_window_gets_its_first_receipt(
        client) -> None:  # R-G6, issue 17 item 7
    # A scan taken from an offline upload is answered as it was when the upload (or one
    # carrying it again) is retried after the scan's time left the 15-day window; a new
    # scan that old is refused, naming it, and nothing of its upload is taken.
    clock.freeze(T0)
    gate = client.app[GATE]
    out, token = await lane(gate)
    auth = {"Authorization": f"Bearer {token}"}
    text = qr(await issued(gate, await declared(gate)))

    async def upload(event_id: str, *events: tuple[str, datetime]) -> tuple[int, Any]:
        resp = await client.post(f"/gate/lanes/{out.code}/events", headers=auth, json={
            "type": "offline_batch", "event_id": event_id, "events": [
                {"event_id": e, "qr": text, "action": "open", "at": at.isoformat()}
                for e, at in events]})
        return resp.status, await resp.json()

    first = await upload("up-1", ("o1", T0 - timedelta(hours=1)))
    assert first[0] == 200 and first[1]["accepted"] == 1
    clock.freeze(T0 + timedelta(days=16))
    assert await upload("up-1", ("o1", T0 - timedelta(hours=1))) == first  # the same batch
    status, body = await upload("up-2", ("o1", T0 - timedelta(hours=1)))  # carried again
    assert status == 200 and (body["accepted"], body["flagged"]) == (0, [])
    status, body = await upload("up-3", ("o1", T0 - timedelta(hours=1)),
                                ("o2", T0 - timedelta(hours=2)))  # a new one that old
    assert status == 422 and body["error"]["field"] == "events[1].at"
    assert body["error"]["code"] == "offline_at_window"
    status, body = await upload("up-3", ("o1", T0 - timedelta(hours=1)),
                                ("o3", T0 + timedelta(days=16, minutes=-5)))  # fixed: taken
    assert status == 200 and body["accepted"] == 1
    assert await Crossing.all().count() == 1
    assert await LaneEvent.filter(lane_code=out.code, event_id="o2").count() == 0
    assert await LedgerEntry.filter(event_id="o1").count() == 1


@pytest.mark.parametrize("kind", ["scan", "ack"])
async def test_twins_in_two_bridge_processes_act_once(client, kind) -> None:  # R-G2
    # Each bridge process batches its own scans and acks; twins sent to two processes at
    # once meet on the claim in the database: one crossing, one ack, one answer.
    clock.freeze(T0)
    gate = client.app[GATE]
    other = GateDeps.build(gate.deps)  # a second process's gate (its own batches)
    out, _ = await lane(gate)
    if kind == "scan":
        text = qr(await issued(gate, await declared(gate)))
        frame = {"type": "scan", "event_id": "twin-1", "qr": text}
    else:
        first = await handle(gate, out, protocol.check({
            "type": "scan", "event_id": "s0",
            "qr": qr(await issued(gate, await declared(gate)))}))
        frame = {"type": "ack", "event_id": "twin-1",
                 "command_id": json.loads(first)["event_id"]}
    answers = await asyncio.gather(*(handle(g, out, protocol.check(dict(frame)))
                                     for g in (gate, other, gate, other)))
    assert len(set(answers)) == 1
    assert await LaneEvent.filter(event_id="twin-1").count() == 1
    assert await LedgerEntry.filter(event_id="twin-1").count() == 1
    if kind == "scan":
        assert json.loads(answers[0])["action"] == "open"
        assert await Crossing.all().count() == 1
    else:
        assert json.loads(answers[0])["known"] is True


async def test_approved_manual_lift_naming_a_plate_is_a_crossing(client, staff_login) -> None:
    # R-G4, issue 26: customs' manual lift naming a plate is recorded as that vehicle's
    # crossing, in the commit that sends the lane its open command.
    gate = client.app[GATE]
    out, _ = await lane(gate)
    guard = await staff_login("gate_supervisor", "guard")
    status, lift = await guard.call("POST", "/api/v1/gate/manual-lifts", json={
        "lane": out.code, "reason": "reader down", "plate": "云N 12345"})
    assert status == 201, lift
    customs = await staff_login("customs")
    status, _ = await customs.call("POST", f"/api/v1/gate/manual-lifts/{lift['id']}/approve",
                                   json={"note": "checked papers"})
    assert status == 200
    crossing = await Crossing.get(kind="manual_lift")
    assert (crossing.lane_code, crossing.plate, crossing.event_id) == (out.code, "云N12345",
                                                                       f"lift-{lift['id']}")
    assert await LaneCommand.filter(lane_code=out.code, command_id=f"lift-{lift['id']}",
                                    acked_at=None).exists()
