"""One lane frame → one service call → the answer frame; shared by WebSocket and HTTP."""

from __future__ import annotations

from typing import Any

from borderpass.gate_bridge import protocol
from borderpass.models.gate import Lane
from borderpass.services import gate_commands, gate_lifts, gate_offline, ledger
from borderpass.services.gate_context import GateDeps
from borderpass.services.gate_decisions import Scan, decide

SEEN_TTL = 2 * 24 * 3600  # seconds an event's receipt is kept for retries


def _seen_key(lane: str, event_id: str) -> str:
    return f"gate:seen:{lane}:{event_id}"


async def handle(gate: GateDeps, lane: Lane, frame: dict[str, Any]) -> str:
    """Act on one validated frame once; the answer frame as JSON text (both doors send it
    as it is). A retried ``event_id`` gets the same answer."""
    kind, event_id = frame["type"], frame["event_id"]
    if kind == "ping":
        return protocol.dumps({"type": "pong", "in_reply_to": event_id})
    if kind == "scan":  # idempotent inside the decision service
        decision = await decide(gate, lane, Scan(event_id, frame.get("qr") or "",
                                                 frame.get("plate") or "",
                                                 vin=frame.get("vin") or ""))
        return decision.command_text or protocol.dumps(decision.command)
    if kind == "ack":  # the busiest frame after scans: once, in one round trip
        receipts = (protocol.dumps(protocol.receipt(event_id, known=True)),
                    protocol.dumps(protocol.receipt(event_id, known=False)))
        return await gate_commands.acknowledge_once(
            gate, lane, frame, _seen_key(lane.code, event_id), receipts, SEEN_TTL)
    kv = gate.deps.kv
    if (seen := await kv.get(_seen_key(lane.code, event_id))) is not None:
        return seen.decode() if isinstance(seen, bytes) else str(seen)
    answer = protocol.dumps(await _other(gate, lane, frame))
    await kv.set(_seen_key(lane.code, event_id), answer, ex=SEEN_TTL)
    return answer


async def _other(gate: GateDeps, lane: Lane, frame: dict[str, Any]) -> dict[str, Any]:
    kind, event_id = frame["type"], frame["event_id"]
    if kind == "status":
        await ledger.record(gate.deps.kv, ledger.entry(
            "status", lane.code, event_id=event_id, outcome=frame["pole"],
            flagged=frame["pole"] == "stuck", detail={"detail": frame.get("detail") or ""}))
        return protocol.receipt(event_id)
    if kind == "fault":
        ticket = await gate_lifts.report_fault(gate, lane, event_id, frame["symptom"])
        return protocol.receipt(event_id, fault_id=ticket.id)
    if kind == "lift_request":
        who = f"lane:{lane.code}" + (f"/{frame['guard']}" if frame.get("guard") else "")
        lift = await gate_lifts.request_lift(gate, lane, who, frame["reason"],
                                             frame.get("plate"), event_id)
        # R-G4: the lane waits; the open command comes only after customs approves.
        return protocol.receipt(event_id, lift_id=lift.id, status=lift.status.value)
    if kind == "offline_batch":
        result = await gate_offline.reconcile(gate, lane, frame["events"])
        return protocol.receipt(event_id, **result)
    raise AssertionError(kind)  # hello is handled by the connection
