"""Lane commands (open / deny / hold) through an outbox: kept until the lane acks them.

A command is stored in the lane's pending hash and published on the lane's channel, so
whichever bridge instance holds the lane's connection sends it, and a lane that
reconnects gets every unacknowledged command again (DESIGN.md: nothing is lost).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from borderpass.models.gate import Lane
from borderpass.services import clock, gate_texts, ledger
from borderpass.services.gate_context import GateDeps
from borderpass.services.ports import KeyValue

ACTIONS = ("open", "deny", "hold")


def pending_key(lane_code: str) -> str:
    """The Redis hash of a lane's unacknowledged commands."""
    return f"gate:pending:{lane_code}"


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


async def send(gate: GateDeps, lane: Lane, frame: dict[str, Any],
               extra_ledger: Sequence[str] = ()) -> dict[str, Any]:
    """Put a command in the outbox, record it and ``extra_ledger`` (R-G6) and announce it,
    in one round trip."""
    text = json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
    pipe = gate.deps.kv.pipeline(transaction=False)
    pipe.hset(pending_key(lane.code), frame["event_id"], text)
    pipe.rpush(ledger.QUEUE, *extra_ledger, ledger_entry(lane, frame))
    pipe.publish(channel(lane.code), text)
    await pipe.execute()
    return frame


async def pending(gate: GateDeps, lane_code: str) -> list[dict[str, Any]]:
    """The lane's unacknowledged commands, oldest first (resent on reconnect)."""
    raw = await gate.deps.kv.hgetall(pending_key(lane_code))
    frames = [json.loads(v) for v in raw.values()]
    return sorted(frames, key=lambda f: str(f.get("at", "")))


# An ack, once, in one round trip: a retried event_id gets its first receipt; else the command
# leaves the lane's outbox, the ledger gets the entry for "known" or for "unknown" (flagged:
# a guard cannot open the pole by acking a command never sent), and the receipt is kept.
# KEYS = seen, outbox, ledger; ARGV = command id, entry if known, entry if not, receipt if
# known, receipt if not, seconds to keep the receipt. Returns {1 if first time, receipt}.
ACK_SCRIPT = """
local seen = redis.call('GET', KEYS[1])
if seen then return {0, seen} end
local receipt = ARGV[5]
if redis.call('HDEL', KEYS[2], ARGV[1]) == 1 then
  redis.call('RPUSH', KEYS[3], ARGV[2])
  receipt = ARGV[4]
else
  redis.call('RPUSH', KEYS[3], ARGV[3])
end
redis.call('SET', KEYS[1], receipt, 'EX', ARGV[6])
return {1, receipt}
"""


@functools.lru_cache(maxsize=8)
def _ack_script(kv: KeyValue) -> Any:
    """The registered script, made once per client (it hashes the script text)."""
    return kv.register_script(ACK_SCRIPT)


def _ack_entry(lane: Lane, ack: dict[str, Any], command_id: str, known: bool) -> str:
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


async def acknowledge_once(gate: GateDeps, lane: Lane, ack: dict[str, Any], seen_key: str,
                           receipts: tuple[str, str], keep: int) -> str:
    """The lane executed (or could not execute) a command: once per ``seen_key``, in one
    round trip; ``receipts`` = (answer if the command was pending, answer if not). Closes a
    manual lift whose open command this was (R-G4); returns the answer to send."""
    command_id = str(ack["command_id"])
    known = _ack_entry(lane, ack, command_id, True)
    first, receipt = await gate.scripts(
        _ack_script(gate.deps.kv),
        keys=[seen_key, pending_key(lane.code), ledger.QUEUE],
        args=[command_id, known, unknown_variant(known), *receipts, keep])
    text = receipt.decode() if isinstance(receipt, bytes) else str(receipt)
    if first and text == receipts[0] and command_id.startswith("lift-"):
        from borderpass.services import gate_lifts

        await gate_lifts.executed(command_id)
    return text
