"""The lane-controller wire format (PROTOCOL.md): JSON frames, checked field by field.

Each frame is parsed once, here, into a typed message
(:mod:`borderpass.services.gate.lane_events`), or refused with a FieldError naming the
offending field; the services never see the JSON. Also builds the bridge's own frames
(the command frame is in :mod:`borderpass.gate_bridge.frames`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from borderpass.core.errors import BorderPassError, FieldError
from borderpass.core.messages import error_message
from borderpass.services.gate import lane_events as ev

MAX_FRAME_BYTES = 1024 * 1024  # an offline batch of a few thousand scans
HEARTBEAT = 15.0  # seconds between the bridge's WebSocket pings
LANE_TYPES = ("hello", "scan", "ack", "status", "fault", "lift_request", "offline_batch",
              "ping")
# Required string fields per frame type, with their maximum length.
_REQUIRED: dict[str, dict[str, int]] = {
    "hello": {"lane": 40, "credential": 200},
    "scan": {},  # qr, vin (export vehicle) or plate (second line, R-G8): at least one
    "ack": {"command_id": 120},
    "status": {"pole": 10},
    "fault": {"symptom": 500},
    "lift_request": {"reason": 500},
    "offline_batch": {},
    "ping": {},
}
_OPTIONAL: dict[str, dict[str, int]] = {
    "hello": {"software": 80},
    "scan": {"qr": 600, "plate": 16, "vin": 17, "id_number": 40},
    "ack": {"result": 10},
    "status": {"detail": 500},
    "lift_request": {"plate": 16, "guard": 64},
}
ACK_RESULTS, POLE_STATES = ev.ACK_RESULTS, ev.POLE_STATES
OFFLINE_ACTIONS = ("open", "deny", "hold")


def parse(text: str | bytes) -> ev.LaneMessage:
    """One lane frame, validated; FieldError names the first wrong field."""
    if len(text) > MAX_FRAME_BYTES:
        raise FieldError("too_large", "frame", max=MAX_FRAME_BYTES)
    frame = json_object(text, "frame")
    kind = frame.get("type")
    if kind not in LANE_TYPES:
        raise FieldError("frame_type", "type", type=str(kind)[:40])
    return check(frame)


def json_object(text: str | bytes, field: str) -> dict[str, Any]:
    """A frame's JSON object (WebSocket message or HTTP body); else ``frame_json`` on
    ``field``."""
    try:
        frame = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FieldError("frame_json", field) from exc
    if not isinstance(frame, dict):
        raise FieldError("frame_json", field)
    return frame


def _string(frame: dict[str, Any], name: str, limit: int, required: bool) -> None:
    value = frame.get(name)
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()):
        raise FieldError("required" if value in (None, "") else "type_string", name)
    if len(value) > limit:
        raise FieldError("length", name, max=limit)


def check(frame: dict[str, Any]) -> ev.LaneMessage:
    """Validate a decoded frame of a known type (the HTTP door skips :func:`parse`) and
    make it a typed message."""
    kind = str(frame.get("type"))
    _string(frame, "event_id", 64, required=True)
    known = {"type", "event_id", *_REQUIRED[kind], *_OPTIONAL.get(kind, {})}
    if kind == "offline_batch":
        known.add("events")
    for key in frame:
        if key not in known:
            raise FieldError("unknown_field", key)
    for name, limit in _REQUIRED[kind].items():
        _string(frame, name, limit, required=True)
    for name, limit in _OPTIONAL.get(kind, {}).items():
        _string(frame, name, limit, required=False)
    if kind == "scan" and not (frame.get("qr") or frame.get("vin") or frame.get("plate")):
        raise FieldError("required", "qr")
    if kind == "ack" and frame.get("result", "done") not in ACK_RESULTS:
        raise FieldError("choice", "result", choices=", ".join(ACK_RESULTS))
    if kind == "status" and frame["pole"] not in POLE_STATES:
        raise FieldError("choice", "pole", choices=", ".join(POLE_STATES))
    if kind == "offline_batch" and not isinstance(frame.get("events"), list):
        raise FieldError("type_list", "events")
    return _MESSAGES[kind](frame)


_MESSAGES: dict[str, Callable[[dict[str, Any]], ev.LaneMessage]] = {
    "hello": lambda f: ev.Hello(f["event_id"], f["lane"], f["credential"], f.get("software")),
    "scan": lambda f: ev.Scan(f["event_id"], f.get("qr") or "", f.get("plate") or "",
                              f.get("vin") or "", f.get("id_number") or ""),
    "ack": lambda f: ev.Ack(f["event_id"], f["command_id"], f.get("result", "done")),
    "status": lambda f: ev.Status(f["event_id"], f["pole"], f.get("detail") or ""),
    "fault": lambda f: ev.Fault(f["event_id"], f["symptom"]),
    "lift_request": lambda f: ev.LiftRequest(f["event_id"], f["reason"], f.get("plate"),
                                             f.get("guard")),
    "offline_batch": lambda f: ev.OfflineBatch(f["event_id"], offline_events(f["events"])),
    "ping": lambda f: ev.Ping(f["event_id"]),
}


def offline_events(events: object) -> tuple[ev.OfflineScan, ...]:
    """The scans of an offline upload, all checked before any is taken (a bad one changes
    nothing); the field is named by its index, e.g. ``events[3].at``."""
    if not isinstance(events, list):
        raise FieldError("type_list", "events")
    if len(events) > ev.OFFLINE_MAX_EVENTS:
        raise FieldError("too_many", "events", max=ev.OFFLINE_MAX_EVENTS)
    return tuple(_offline_event(raw, i) for i, raw in enumerate(events))


def _offline_event(raw: object, index: int) -> ev.OfflineScan:
    where = f"events[{index}]"
    if not isinstance(raw, dict):
        raise FieldError("type_object", where)
    event_id, qr, action = raw.get("event_id"), raw.get("qr", ""), raw.get("action")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 64:
        raise FieldError("required", f"{where}.event_id")
    if not isinstance(qr, str):
        raise FieldError("type_string", f"{where}.qr")
    if action not in OFFLINE_ACTIONS:
        raise FieldError("choice", f"{where}.action", choices=", ".join(OFFLINE_ACTIONS))
    try:
        at = datetime.fromisoformat(str(raw.get("at")))
    except ValueError as exc:
        raise FieldError("type_datetime", f"{where}.at") from exc
    if at.tzinfo is None:
        raise FieldError("datetime_tz", f"{where}.at")
    # The time window is checked where the scan is claimed (gate_offline.reconcile): a scan
    # taken before is answered as it was, however old it has grown since.
    plate = raw.get("plate") or ""
    if not isinstance(plate, str) or len(plate) > 16:
        raise FieldError("length", f"{where}.plate", max=16)
    return ev.OfflineScan(event_id, qr, str(action), at, plate)


def error_frame(err: BorderPassError, languages: list[str], in_reply_to: str | None) -> dict[
        str, Any]:
    """An error answer, its message in each of the lane's languages."""
    return {"type": "error", "in_reply_to": in_reply_to, "code": err.code, "field": err.field,
            "message": {loc: error_message(err.code, loc, err.params) for loc in languages}}


def receipt(event_id: str, **result: Any) -> dict[str, Any]:
    """The bridge's receipt of a lane event that needs no command."""
    return {"type": "receipt", "in_reply_to": event_id, **result}


def dumps(frame: dict[str, Any]) -> str:
    """A frame as compact JSON, UTF-8 text kept readable."""
    return ev.COMPACT_JSON(frame)
