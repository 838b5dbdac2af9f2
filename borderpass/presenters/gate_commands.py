"""A lane command as the API shows the officer who issued it (an emergency release)."""

from __future__ import annotations

from typing import Any

from borderpass.services.gate.lane_events import Command


def describe(command: Command) -> dict[str, Any]:
    """The command sent: its lane, id, action, reason, time and further fields (the lane
    receives it as a ``command`` frame, gate_bridge/PROTOCOL.md)."""
    return {"lane": command.lane, "event_id": command.event_id, "action": command.action,
            "reason": command.reason, "at": command.at, **command.extras}
