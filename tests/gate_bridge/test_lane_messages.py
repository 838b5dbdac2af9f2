"""Typed lane messages (issue #24): frames parsed once at the bridge, commands rendered there.

The services take typed messages and return a Command; the bridge renders the frame the
lane receives. The wire stays as PROTOCOL.md says, byte for byte: on the answer, on a retry,
on a resend after a reconnect, and for commands an older bridge stored as frames.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gate_helpers import connect, declared, issued, lane, qr

from borderpass.core.errors import FieldError
from borderpass.gate_bridge import frames, protocol
from borderpass.models.gate import LaneCommand
from borderpass.services import clock
from borderpass.services.gate import gate_texts
from borderpass.services.gate import lane_events as ev
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
LANGUAGES = ["zh_CN", "my", "en"]


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def _text(ws: Any, kind: str) -> str:
    """The next frame of ``kind`` as the lane received it (the raw text)."""
    while True:
        text = (await ws.receive(timeout=5)).data
        if json.loads(text)["type"] == kind:
            return str(text)


async def test_a_command_frame_is_the_same_bytes_on_answer_retry_and_resend(client) -> None:
    clock.freeze(T0)
    gate = client.app[GATE]
    gate_pass = await issued(gate, await declared(gate))
    out, token = await lane(gate)
    ws = await connect(client, out.code, token)
    await ws.send_json({"type": "scan", "event_id": "s1", "qr": qr(gate_pass)})
    answer = await _text(ws, "command")
    expected = ('{"type":"command","event_id":"s1:cmd","action":"open","reason":"pass_valid",'
                f'"display":{_compact(gate_texts.display("open", "pass_valid", LANGUAGES))},'
                f'"at":"2026-11-26T02:00:00+00:00","in_reply_to":"s1",'
                f'"declaration_id":{gate_pass["declaration_id"]},'
                f'"plate":{_compact(json.loads(answer)["plate"])}}}')
    assert answer == expected
    clock.freeze(T0 + timedelta(seconds=3))  # a retry later: the first answer, its time too
    await ws.send_json({"type": "scan", "event_id": "s1", "qr": qr(gate_pass)})
    assert await _text(ws, "command") == expected
    await ws.close()
    again = await connect(client, out.code, token)  # not acked: resent on reconnect
    assert await _text(again, "command") == expected
    resp = await client.get(f"/gate/lanes/{out.code}/commands",
                            headers={"Authorization": f"Bearer {token}"})
    assert (await resp.json())["items"] == [json.loads(expected)]
    await again.close()


async def test_a_command_an_older_bridge_stored_as_a_frame_is_resent_unchanged(client) -> None:
    clock.freeze(T0)
    gate = client.app[GATE]
    out, token = await lane(gate)
    frame = _compact({"type": "command", "event_id": "old-1:cmd", "action": "deny",
                      "reason": "pass_used",
                      "display": gate_texts.display("deny", "pass_used", LANGUAGES),
                      "at": "2026-11-26T01:59:00+00:00", "in_reply_to": "old-1",
                      "declaration_id": 8812, "plate": "云N12345"})
    await LaneCommand.create(lane_code=out.code, command_id="old-1:cmd", frame=frame, at=T0)
    ws = await connect(client, out.code, token)
    assert await _text(ws, "command") == frame
    await ws.send_json({"type": "ack", "event_id": "a1", "command_id": "old-1:cmd"})
    assert json.loads(await _text(ws, "receipt"))["known"] is True
    await ws.close()


def test_a_command_keeps_its_own_format_between_bridges() -> None:
    command = ev.Command("ruili-out-1", "lift-3", "open", "manual_lift",
                         "2026-11-26T02:00:00+00:00",
                         {"plate": "云A1", "actor": "user:c", "lift_id": 3})
    stored = command.dumps()
    assert json.loads(stored)["v"] == 1 and "display" not in stored
    assert ev.Command.loads(stored) == command
    assert (command.actor, command.plate, command.declaration_id) == ("user:c", "云A1", None)


@pytest.mark.parametrize("extras", [
    {}, {"in_reply_to": 's"1\\', "declaration_id": None, "plate": "云N\u2028\x01"},
    {"plate": "", "actor": "user:c", "lift_id": 3}])
def test_commands_written_field_by_field_are_the_json_of_their_fields(
        extras: dict[str, Any]) -> None:
    command = ev.Command("门-1", 'e"\\1', "deny", "pass_used", "2026-11-26T02:00:00+00:00",
                         extras)
    assert command.dumps() == _compact({"v": 1, "lane": command.lane,
                                        "event_id": command.event_id, "action": "deny",
                                        "reason": "pass_used", "at": command.at,
                                        "extras": extras})
    assert frames.command_text(command, LANGUAGES) == _compact(
        frames.command(command, LANGUAGES))
    assert json.loads(frames.command_text(command, ["en"]))["display"] == {
        "en": gate_texts.display("deny", "pass_used", ["en"])["en"]}


def test_frames_are_parsed_once_into_typed_messages() -> None:
    clock.freeze(T0)
    assert protocol.parse('{"type":"scan","event_id":"e","vin":"LSVAU2180N2183456",'
                          '"id_number":"53"}') == ev.Scan("e", vin="LSVAU2180N2183456",
                                                          id_number="53")
    assert protocol.parse('{"type":"ack","event_id":"a","command_id":"c"}') == ev.Ack("a", "c")
    assert protocol.parse('{"type":"status","event_id":"s","pole":"stuck"}') == ev.Status(
        "s", "stuck")
    assert protocol.parse('{"type":"lift_request","event_id":"l","reason":"r","guard":"g"}') \
        == ev.LiftRequest("l", "r", None, "g")
    batch = protocol.parse(_compact({"type": "offline_batch", "event_id": "b", "events": [
        {"event_id": "o1", "qr": "BP1", "action": "open", "at": "2026-11-26T09:50:00+08:00"}]}))
    assert batch == ev.OfflineBatch("b", (ev.OfflineScan(
        "o1", "BP1", "open", datetime(2026, 11, 26, 1, 50, tzinfo=UTC)),))
    assert protocol.parse('{"type":"ping","event_id":"p"}') == ev.Ping("p")


@pytest.mark.parametrize(("frame", "code", "field"), [
    ({"type": "scan", "event_id": "e", "qr": "x", "colour": "red"}, "unknown_field", "colour"),
    ({"type": "scan", "event_id": "e"}, "required", "qr"),
    ({"type": "scan", "qr": "x"}, "required", "event_id"),
    ({"type": "scan", "event_id": "e", "qr": 7}, "type_string", "qr"),
    ({"type": "ack", "event_id": "e", "command_id": "c", "result": "maybe"}, "choice", "result"),
    ({"type": "status", "event_id": "e", "pole": "sideways"}, "choice", "pole"),
    ({"type": "fault", "event_id": "e", "symptom": "x" * 501}, "length", "symptom"),
    ({"type": "offline_batch", "event_id": "e", "events": {}}, "type_list", "events"),
    ({"type": "offline_batch", "event_id": "e", "events": [
        {"event_id": "o", "qr": "", "action": "open", "at": "2026-11-26T02:00:00"}]},
     "datetime_tz", "events[0].at"),
    ({"type": "teleport", "event_id": "e"}, "frame_type", "type"),
])
def test_a_wrong_frame_names_its_field(frame: dict[str, Any], code: str, field: str) -> None:
    clock.freeze(T0)
    with pytest.raises(FieldError) as err:
        protocol.parse(_compact(frame))
    assert (err.value.code, err.value.field) == (code, field)


async def test_an_emergency_release_answers_the_supervisor_with_the_command(
        client, staff_login) -> None:  # R-G5
    clock.freeze(T0)
    out, token = await lane(client.app[GATE])
    ws = await connect(client, out.code, token)
    supervisor = await staff_login("gate_supervisor")
    status, body = await supervisor.call("POST", "/api/v1/gate/emergency", json={
        "lane": out.code, "plate": "云A12345", "kind": "fire"})
    assert status == 201
    sent = json.loads(await _text(ws, "command"))
    assert body == sent  # the answer is the frame the lane received
    assert (body["action"], body["reason"], body["actor"]) == ("open", "emergency",
                                                               "user:gate_supervisor")
    await ws.close()
