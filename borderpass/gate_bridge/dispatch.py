"""One lane frame → one service call → the answer frame; shared by WebSocket and HTTP.

Every event is claimed once by ``(lane, event_id)`` in the database with the answer it got
(:mod:`borderpass.services.gate.gate_events`, the one mechanism), so a retry, or a twin sent at
once to another process, is answered the same and acts once: one fault ticket, one lift
for customs to approve, one ledger entry (issue 17; issue 24 item 3).
"""

from __future__ import annotations

import time

from borderpass.core import metrics
from borderpass.gate_bridge import frames, protocol
from borderpass.models.gate import Lane
from borderpass.services import clock
from borderpass.services.gate import (
    gate_commands,
    gate_events,
    gate_lifts,
    gate_offline,
    gate_record,
    ledger,
)
from borderpass.services.gate import lane_events as ev
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.gate.gate_decisions import decide, scan_of


async def handle(gate: GateDeps, lane: Lane, message: ev.LaneMessage) -> str:
    """Act on one parsed message once; the answer frame as JSON text (both doors send it
    as it is). A retried ``event_id`` gets the same answer."""
    if isinstance(message, ev.Scan):  # recorded with the loop turn's other scans and acks
        started = time.perf_counter()
        decision = await decide(gate, lane, scan_of(gate, message))
        metrics.decision(decision.action, decision.reason, lane.code,
                         time.perf_counter() - started)
        assert decision.command is not None  # every decided scan is answered by a command
        return frames.command_text(decision.command, lane.languages)
    if isinstance(message, ev.Ack):  # the busiest frame after scans: batched like them
        return await _ack(gate, lane, message)
    if isinstance(message, ev.Ping):
        return protocol.dumps({"type": "pong", "in_reply_to": message.event_id})
    if isinstance(message, ev.Hello):
        raise AssertionError("hello")  # handled by the connection
    kind = _KINDS[type(message)]
    return await gate_events.once(lane.code, message.event_id, kind,
                                  lambda tx: _other(gate, lane, message))


# How long an ack waits to ride with the next scan's commit before it commits alone: the
# pole has moved already and nothing waits on its receipt, so an ack need not cost a WAL
# flush of its own (at 500 scans/s a scan comes every 2 ms).
ACK_PATIENCE = 0.004

_KINDS = {ev.Status: "status", ev.Fault: "fault", ev.LiftRequest: "lift_request",
          ev.OfflineBatch: "offline_batch"}


async def _ack(gate: GateDeps, lane: Lane, ack: ev.Ack) -> str:
    """The lane executed (or could not execute) a command: the command leaves the outbox
    once; an ack of a command never sent (or acked already) is flagged (R-G6). Closes a
    manual lift whose open command this was (R-G4), in the same transaction."""
    event_id = ack.event_id
    known = gate_commands.ack_entry(lane, ack, True)
    recorded = await gate.coalescer(gate_record.record_batch)(gate_record.Event(
        lane.code, event_id, "ack", clock.now(),
        gate_record.Variant(protocol.dumps(protocol.receipt(event_id, known=True)), [known]),
        gate_record.Variant(protocol.dumps(protocol.receipt(event_id, known=False)),
                            [gate_commands.unknown_variant(known)]),
        acks=ack.command_id), patience=ACK_PATIENCE)
    return str(recorded.answer)


async def _other(gate: GateDeps, lane: Lane, message: ev.LaneMessage) -> str:
    """A rarer event, inside its claim's transaction."""
    event_id = message.event_id
    if isinstance(message, ev.Status):
        await ledger.record(ledger.entry(
            "status", lane.code, event_id=event_id, outcome=message.pole,
            flagged=message.pole == "stuck", detail={"detail": message.detail}))
        return protocol.dumps(protocol.receipt(event_id))
    if isinstance(message, ev.Fault):
        ticket = await gate_lifts.report_fault(gate, lane, event_id, message.symptom)
        return protocol.dumps(protocol.receipt(event_id, fault_id=ticket.id))
    if isinstance(message, ev.LiftRequest):
        who = f"lane:{lane.code}" + (f"/{message.guard}" if message.guard else "")
        lift = await gate_lifts.request_lift(gate, lane, who, message.reason, message.plate,
                                             event_id)
        # R-G4: the lane waits; the open command comes only after customs approves.
        return protocol.dumps(protocol.receipt(event_id, lift_id=lift.id,
                                               status=lift.status.value))
    if isinstance(message, ev.OfflineBatch):
        done = await gate_offline.reconcile(gate, lane, message.events)
        return protocol.dumps(protocol.receipt(
            event_id, accepted=done.accepted,
            flagged=[{"event_id": e, "flag": flag} for e, flag in done.flagged]))
    raise AssertionError(type(message).__name__)
