"""The lane protocol as typed messages: what a lane sends, and the commands it is sent.

The bridge (``gate_bridge/protocol.py``) parses each frame once into one of these, naming
the wrong field on error; the gate's services take them and return :class:`Command`
objects, which the bridge renders as the frames a lane receives (``gate_bridge/frames.py``).
A command travels between bridge instances (the outbox, Redis) in its own stable format
(:meth:`Command.dumps`), never as a frame. Wire format: ``gate_bridge/PROTOCOL.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

OFFLINE_MAX_EVENTS = 5000  # scans in one offline upload
OFFLINE_MAX_AGE = timedelta(days=15)  # one ledger period (R-G6): older scans are refused
OFFLINE_CLOCK_DRIFT = timedelta(minutes=5)  # a lane's clock ahead of the bridge's by this
ACK_RESULTS = ("done", "failed")
# Compact JSON, UTF-8 text kept readable; one encoder for every call (json.dumps with
# options builds a new one each time), the same bytes as json.dumps with these options.
COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
JSON_STRING = json.encoder.encode_basestring  # a str as COMPACT_JSON writes it
POLE_STATES = ("up", "down", "stuck")


@dataclass(frozen=True, slots=True)
class Hello:
    """The first frame of a connection: the lane and its credential."""

    event_id: str
    lane: str
    credential: str
    software: str | None = None


@dataclass(frozen=True, slots=True)
class Scan:
    """A read at a lane: a QR, a VIN (export vehicle) or a plate alone (second line,
    emergency), with the camera plate and the driver's ID number when read."""

    event_id: str
    qr: str = ""
    plate: str = ""
    vin: str = ""
    id_number: str = ""  # second line: the driver's identity card (R-G8)


@dataclass(frozen=True, slots=True)
class Ack:
    """The lane executed (``done``) or could not execute (``failed``) a command."""

    event_id: str
    command_id: str
    result: str = "done"


@dataclass(frozen=True, slots=True)
class Status:
    """The barrier's state: ``up``, ``down`` or ``stuck``."""

    event_id: str
    pole: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault the lane reports (R-G7)."""

    event_id: str
    symptom: str


@dataclass(frozen=True, slots=True)
class LiftRequest:
    """A guard at the lane asks customs for a manual lift (R-G4)."""

    event_id: str
    reason: str
    plate: str | None = None
    guard: str | None = None


@dataclass(frozen=True, slots=True)
class OfflineScan:
    """One scan a lane decided alone while its link was down, and what it did."""

    event_id: str
    qr: str
    action: str
    at: datetime
    plate: str = ""


def in_offline_window(at: datetime, now: datetime) -> bool:
    """Whether an offline scan's time is one the bridge still takes: within the last
    ledger period, and not ahead of the bridge's clock by more than a lane's drift."""
    return now - OFFLINE_MAX_AGE <= at <= now + OFFLINE_CLOCK_DRIFT


@dataclass(frozen=True, slots=True)
class OfflineBatch:
    """A lane's offline buffer, uploaded after it reconnects."""

    event_id: str
    events: tuple[OfflineScan, ...]


@dataclass(frozen=True, slots=True)
class Ping:
    """A lane's own keep-alive."""

    event_id: str


LaneMessage = Hello | Scan | Ack | Status | Fault | LiftRequest | OfflineBatch | Ping


@dataclass(frozen=True, slots=True)
class Command:
    """What a lane is told to do: ``open``, ``deny`` or ``hold`` for ``reason`` (R-G2,
    R-G3), issued ``at``; ``extras`` are the frame's further fields in order (``in_reply_to``,
    ``declaration_id``, ``plate``, ``actor``, ``lift_id``; never a key of the frame's own)."""

    lane: str
    event_id: str
    action: str
    reason: str
    at: str  # ISO 8601, fixed when the command is issued: every resend says the same
    extras: dict[str, Any] = field(default_factory=dict)

    def dumps(self) -> str:
        """The command as the outbox and Redis carry it (not a frame: the bridge renders
        that for the lane): the JSON of ``{"v": 1, "lane", "event_id", "action", "reason",
        "at", "extras"}``, written field by field (twice per scan, on the hot path)."""
        return (f'{{"v":1,"lane":{JSON_STRING(self.lane)},'
                f'"event_id":{JSON_STRING(self.event_id)},"action":{JSON_STRING(self.action)},'
                f'"reason":{JSON_STRING(self.reason)},"at":{JSON_STRING(self.at)},'
                f'"extras":{COMPACT_JSON(self.extras)}}}')

    @classmethod
    def loads(cls, text: str) -> Command:
        """A command from :meth:`dumps`, or from a command frame stored before commands had
        their own format (outbox rows and answers written by an older bridge)."""
        data = json.loads(text)
        if "v" not in data:  # an older row: the frame itself
            extras = {k: v for k, v in data.items() if k not in _FRAME_KEYS}
            return cls("", data["event_id"], data["action"], data["reason"], data["at"],
                       extras)
        return cls(data["lane"], data["event_id"], data["action"], data["reason"],
                   data["at"], data["extras"])

    @property
    def in_reply_to(self) -> str:
        """The scan this command answers ("" for a command sent on its own)."""
        return str(self.extras.get("in_reply_to") or "")

    @property
    def declaration_id(self) -> int | None:
        """The declaration whose pass was scanned, if any."""
        value = self.extras.get("declaration_id")
        return int(value) if value is not None else None

    @property
    def plate(self) -> str:
        """The vehicle's plate, when known."""
        return str(self.extras.get("plate") or "")

    @property
    def actor(self) -> str:
        """Who issued the command: the bridge, or the officer (manual lift, emergency)."""
        return str(self.extras.get("actor") or "bridge")


_FRAME_KEYS = frozenset({"type", "event_id", "action", "reason", "display", "at"})
