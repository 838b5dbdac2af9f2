"""The lane-controller wire format (PROTOCOL.md): JSON frames, checked field by field.

Knows nothing of the application: it turns text into a validated frame dict or raises a
FieldError naming the offending field, and builds the bridge's own frames.
"""

from __future__ import annotations

import json
from typing import Any

from borderpass.core.errors import BorderPassError, FieldError
from borderpass.core.messages import error_message

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
ACK_RESULTS = ("done", "failed")
POLE_STATES = ("up", "down", "stuck")


def parse(text: str | bytes) -> dict[str, Any]:
    """One lane frame, validated; FieldError names the first wrong field."""
    if len(text) > MAX_FRAME_BYTES:
        raise FieldError("too_large", "frame", max=MAX_FRAME_BYTES)
    try:
        frame = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FieldError("frame_json", "frame") from exc
    if not isinstance(frame, dict):
        raise FieldError("frame_json", "frame")
    kind = frame.get("type")
    if kind not in LANE_TYPES:
        raise FieldError("frame_type", "type", type=str(kind)[:40])
    return check(frame)


def _string(frame: dict[str, Any], name: str, limit: int, required: bool) -> None:
    value = frame.get(name)
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()):
        raise FieldError("required" if value in (None, "") else "type_string", name)
    if len(value) > limit:
        raise FieldError("length", name, max=limit)


def check(frame: dict[str, Any]) -> dict[str, Any]:
    """Validate a decoded frame of a known type (the HTTP door skips :func:`parse`)."""
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
    return frame


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
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
