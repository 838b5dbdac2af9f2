"""One lane frame → one service call → the answer frame; shared by WebSocket and HTTP.

Every event is claimed once by ``(lane, event_id)`` in the database with the answer it got
(:mod:`borderpass.services.gate.gate_events`, the one mechanism), so a retry, or a twin sent at
once to another process, is answered the same and acts once: one fault ticket, one lift
for customs to approve, one ledger entry (issue 17; issue 24 item 3).
"""

from __future__ import annotations

import time
from typing import Any

from borderpass.core import metrics
from borderpass.gate_bridge import protocol
from borderpass.models.gate import Lane
from borderpass.services import clock
from borderpass.services.gate import (
    gate_commands,
    gate_events,
    gate_lifts,
    gate_offline,
    gate_record,
    ledger,
    second_line,
)
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.gate.gate_decisions import Scan, decide


async def handle(gate: GateDeps, lane: Lane, frame: dict[str, Any]) -> str:
    """Act on one validated frame once; the answer frame as JSON text (both doors send it
    as it is). A retried ``event_id`` gets the same answer."""
    kind, event_id = frame["type"], frame["event_id"]
    if kind == "ping":
        return protocol.dumps({"type": "pong", "in_reply_to": event_id})
    if kind == "scan":  # recorded with the loop turn's other scans and acks
        started = time.perf_counter()
        driver = frame.get("id_number")  # second line: the driver's ID card (R-G8)
        decision = await decide(gate, lane, Scan(
            event_id, frame.get("qr") or "", frame.get("plate") or "",
            vin=frame.get("vin") or "",
            driver_key=second_line.person_key(gate, driver) if driver else None))
        metrics.decision(decision.action, decision.reason, lane.code,
                         time.perf_counter() - started)
        return decision.command_text or protocol.dumps(decision.command)
    if kind == "ack":  # the busiest frame after scans: batched like them
        return await _ack(gate, lane, frame)
    return await gate_events.once(lane.code, event_id, kind,
                                  lambda tx: _other(gate, lane, frame))


async def _ack(gate: GateDeps, lane: Lane, frame: dict[str, Any]) -> str:
    """The lane executed (or could not execute) a command: the command leaves the outbox
    once; an ack of a command never sent (or acked already) is flagged (R-G6). Closes a
    manual lift whose open command this was (R-G4), in the same transaction."""
    event_id, command_id = frame["event_id"], str(frame["command_id"])
    known = gate_commands.ack_entry(lane, frame, command_id, True)
    recorded = await gate.coalescer(gate_record.record_batch)(gate_record.Event(
        lane.code, event_id, "ack", clock.now(),
        gate_record.Variant(protocol.dumps(protocol.receipt(event_id, known=True)), [known]),
        gate_record.Variant(protocol.dumps(protocol.receipt(event_id, known=False)),
                            [gate_commands.unknown_variant(known)]),
        acks=command_id))
    return str(recorded.answer)


async def _other(gate: GateDeps, lane: Lane, frame: dict[str, Any]) -> str:
    """A rarer event, inside its claim's transaction."""
    kind, event_id = frame["type"], frame["event_id"]
    if kind == "status":
        await ledger.record(ledger.entry(
            "status", lane.code, event_id=event_id, outcome=frame["pole"],
            flagged=frame["pole"] == "stuck", detail={"detail": frame.get("detail") or ""}))
        return protocol.dumps(protocol.receipt(event_id))
    if kind == "fault":
        ticket = await gate_lifts.report_fault(gate, lane, event_id, frame["symptom"])
        return protocol.dumps(protocol.receipt(event_id, fault_id=ticket.id))
    if kind == "lift_request":
        who = f"lane:{lane.code}" + (f"/{frame['guard']}" if frame.get("guard") else "")
        lift = await gate_lifts.request_lift(gate, lane, who, frame["reason"],
                                             frame.get("plate"), event_id)
        # R-G4: the lane waits; the open command comes only after customs approves.
        return protocol.dumps(protocol.receipt(event_id, lift_id=lift.id,
                                               status=lift.status.value))
    if kind == "offline_batch":
        result = await gate_offline.reconcile(gate, lane, frame["events"])
        return protocol.dumps(protocol.receipt(event_id, **result))
    raise AssertionError(kind)  # hello is handled by the connection
