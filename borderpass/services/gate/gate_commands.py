"""Lane commands (open / deny / hold) through an outbox: kept until the lane acks them.

A command is committed in the lane's outbox (``gate_commands``, with its ledger entries)
before it is published on the lane's Redis channel, so whichever bridge instance holds the
lane's connection sends it, a lane that reconnects gets every unacknowledged command again,
and a Redis outage delays a command but never loses it (the relay resends the outbox when
Redis is back; DESIGN.md: nothing is lost).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from borderpass.models.gate import Lane, LaneCommand
from borderpass.services import clock
from borderpass.services.gate import gate_record, gate_texts, ledger
from borderpass.services.gate.gate_context import GateDeps

ACTIONS = ("open", "deny", "hold")
PENDING_LIMIT = 500  # unacknowledged commands resent at most, oldest first
log = logging.getLogger("borderpass.gate")


def channel(lane_code: str) -> str:
    """The pub/sub channel a lane's commands are announced on."""
    return f"gate:lane:{lane_code}"


def build(lane: Lane, event_id: str, action: str, reason: str, **extra: Any) -> dict[str, Any]:
    """One command frame with its display text in the lane's languages (R-G3)."""
    return {"type": "command", "event_id": event_id, "action": action, "reason": reason,
            "display": gate_texts.display(action, reason, lane.languages),
            "at": clock.now().isoformat(), **extra}


def ledger_entry(lane: Lane, frame: dict[str, Any]) -> str:
    """The ledger entry of a command sent to the lane (R-G6)."""
    return ledger.entry(
        "command", lane.code, event_id=frame["event_id"], outcome=frame["action"],
        reason=frame["reason"], declaration_id=frame.get("declaration_id"),
        plate=frame.get("plate") or "", actor=frame.get("actor") or "bridge")


def dumps(frame: dict[str, Any]) -> str:
    """A command frame as sent."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


async def send(gate: GateDeps, lane: Lane, frame: dict[str, Any],
               extra_ledger: Sequence[str] = (),
               release: gate_record.Release | None = None) -> dict[str, Any]:
    """Commit a command in the outbox (see :func:`store`), then announce it."""
    async with in_transaction() as tx:
        text = await store(tx, lane, frame, extra_ledger, release)
    await announce(gate, lane.code, text)
    return frame


async def store(tx: BaseDBAsyncClient, lane: Lane, frame: dict[str, Any],
                extra_ledger: Sequence[str] = (),
                release: gate_record.Release | None = None) -> str:
    """Put a command in the outbox with its ledger entries and ``extra_ledger`` (R-G6) and,
    when it lets a vehicle through, its crossing, inside ``tx``; the frame's text."""
    text = dumps(frame)
    now = clock.now()
    if release is not None:
        await gate_record.insert_crossings(tx, [(release, lane.code, frame["event_id"], now)])
    await gate_record.enqueue(tx, [(lane.code, frame["event_id"], text)], now)
    await ledger.write([*extra_ledger, ledger_entry(lane, frame)], tx)
    return text


async def announce(gate: GateDeps, lane_code: str, text: str) -> None:
    """Publish a committed command to whichever instance holds the lane. Best effort: if
    Redis is down, the relay resends the outbox when it is back."""
    try:
        await gate.deps.kv.publish(channel(lane_code), text)
    except Exception:  # redis errors and a closed pool alike
        log.warning("command not announced (Redis); resent from the outbox when it is back",
                    extra={"lane": lane_code})


async def pending(gate: GateDeps, lane_code: str) -> list[str]:
    """The lane's unacknowledged commands as sent, oldest first (resent on reconnect)."""
    rows = await LaneCommand.filter(lane_code=lane_code, acked_at=None).order_by("id") \
        .limit(PENDING_LIMIT).values_list("frame", flat=True)
    return [str(r) for r in rows]


async def pending_lanes(lane_codes: Sequence[str]) -> dict[str, list[str]]:
    """Unacknowledged commands of these lanes (the relay's resend after an outage)."""
    found: dict[str, list[str]] = {}
    if lane_codes:
        rows = await LaneCommand.filter(lane_code__in=list(lane_codes), acked_at=None) \
            .order_by("id").limit(PENDING_LIMIT).values_list("lane_code", "frame")
        for code, frame in rows:
            found.setdefault(str(code), []).append(str(frame))
    return found


def ack_entry(lane: Lane, ack: dict[str, Any], command_id: str, known: bool) -> str:
    """The ledger entry of an ack; one for a command never sent is flagged (a guard cannot
    open the pole by acking a command never sent)."""
    return ledger.entry(
        "ack", lane.code, event_id=str(ack["event_id"]), outcome=str(ack.get("result", "done")),
        reason=command_id, flagged=not known,
        detail={"command_id": command_id, "known": known})


def unknown_variant(known_entry: str) -> str:
    """The ledger entry of an ack for a command never sent, from the entry for a known one:
    flagged, and ``known`` false. Inside JSON strings every quote is escaped, so the two
    markers can only be the fields themselves."""
    return known_entry.replace('"flagged":false', '"flagged":true', 1) \
        .replace('"known":true', '"known":false', 1)
