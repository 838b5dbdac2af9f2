"""Manual lifts (R-G4), emergency releases (R-G5), faults (R-G7) and shift handovers (R-G6)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from borderpass.core.errors import Conflict, FieldError, Forbidden, NotFound
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.gate import FaultTicket, Lane, LiftStatus, ManualLift
from borderpass.services import clock
from borderpass.services.crossings import trip_record
from borderpass.services.gate import gate_commands, gate_record, ledger
from borderpass.services.gate.gate_context import GateDeps, normalize_plate
from borderpass.services.gate.lane_events import Command
from borderpass.services.identity.access import require_role

APPROVE_ROLES = (Role.CUSTOMS,)  # R-G4: customs approves, guards never release on their own
SUPERVISOR_ROLES = (Role.GATE_SUPERVISOR, Role.ADMIN)
NOTICES = "gate:notices"  # channel customs consoles listen on for new lift requests
EMERGENCY_KINDS = ("police", "fire", "ambulance")
log = logging.getLogger("borderpass.gate")


def text(value: object, name: str, required: bool = True, limit: int = 500) -> str:
    """A trimmed free-text field, required unless told otherwise, at most ``limit`` chars."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise FieldError("required", name)
    if len(value) > limit:
        raise FieldError("length", name, max=limit)
    return value.strip()


async def _lane(code: object) -> Lane:
    lane = await Lane.get_or_none(code=code) if isinstance(code, str) else None
    if lane is None:
        raise FieldError("lane_not_found", "lane")
    return lane


async def request_lift(gate: GateDeps, lane: Lane, requested_by: str, reason: object,
                       plate: object = None, event_id: str = "") -> ManualLift:
    """Record a manual-lift request and notify customs; nothing opens yet (R-G4)."""
    why = text(reason, "reason")
    plate_text = text(plate, "plate", required=False, limit=16)
    lift = await ManualLift.create(lane=lane, event_id=event_id, requested_by=requested_by[:64],
                                   reason=why, plate=plate_text, requested_at=clock.now())
    await ledger.record(ledger.entry(
        "manual_lift", lane.code, event_id=event_id or f"lift-{lift.id}", outcome="requested",
        plate=plate_text, actor=requested_by, detail={"lift_id": lift.id, "reason": why}))
    await _notify(gate, json.dumps({"type": "lift_requested", "lift": _notice(lift, lane.code)},
                                   ensure_ascii=False))
    return lift


def _notice(lift: ManualLift, lane_code: str) -> dict[str, Any]:
    """The lift in a ``gate:notices`` message. The message is this service's (it publishes
    it, no door is on the path); its fields are those of the API's lift (presenters/gate.py)
    so that a console shows it as it shows the pending list."""
    return {"id": lift.id, "lane": lane_code, "status": lift.status.value,
            "requested_by": lift.requested_by, "reason": lift.reason, "plate": lift.plate,
            "approver_id": lift.approver_id,  # type: ignore[attr-defined]
            "decision_note": lift.decision_note,
            "requested_at": lift.requested_at.isoformat(), "decided_at": None,
            "executed_at": None}  # a new request: never decided or executed yet


async def _notify(gate: GateDeps, text: str) -> None:
    """Tell customs consoles; best effort (they also poll the pending list)."""
    try:
        await gate.deps.kv.publish(NOTICES, text)
    except Exception:  # Redis down: the request is committed, the consoles' poll shows it
        log.warning("lift notice not published (Redis)")


async def request_by_guard(gate: GateDeps, user: User, body: dict[str, Any]) -> ManualLift:
    """A guard (gate supervisor) asks for a manual lift at a lane (R-G4)."""
    require_role(user, *SUPERVISOR_ROLES)
    lane = await _lane(body.get("lane"))
    return await request_lift(gate, lane, f"user:{user.username}", body.get("reason"),
                              body.get("plate"))


def requested_by_user(requested_by: str, user: User) -> bool:
    """True when ``user`` asked for the lift, at the console or API (``user:NAME``) or as the
    guard named at the lane (``lane:CODE/NAME``): then another officer approves it (R-G4)."""
    return requested_by in (f"user:{user.username}"[:64],) or (
        requested_by.startswith("lane:") and requested_by.partition("/")[2] == user.username)


async def decide_lift(gate: GateDeps, user: User, lift_id: int, approve: bool,
                      note: object = None) -> ManualLift:
    """Customs approves (the lane is told to open) or refuses a manual lift (R-G4)."""
    require_role(user, *APPROVE_ROLES)
    note_text = text(note, "note", required=not approve)
    lift = await ManualLift.get_or_none(id=lift_id).prefetch_related("lane")
    if lift is None:
        raise NotFound("lift_not_found", "id")
    status = LiftStatus.APPROVED if approve else LiftStatus.REFUSED
    actor = f"user:{user.username}"
    if approve and requested_by_user(lift.requested_by, user):  # R-G4: who asks never approves
        raise Forbidden("lift_own_request", "id")
    entry = ledger.entry("manual_lift", lift.lane.code, event_id=f"lift-{lift.id}:decision",
                         outcome=status.value, plate=lift.plate, actor=actor,
                         detail={"lift_id": lift.id, "requested_by": lift.requested_by,
                                 "reason": lift.reason, "note": note_text})
    command = gate_commands.build(lift.lane, f"lift-{lift.id}", "open", "manual_lift",
                                  plate=lift.plate, actor=actor, lift_id=lift.id)
    sent = None
    async with in_transaction() as tx:  # the decision, its ledger entry and command at once
        changed = await ManualLift.filter(id=lift_id, status=LiftStatus.REQUESTED) \
            .using_db(tx).update(status=status, approver_id=user.id,
                                 decision_note=note_text, decided_at=clock.now())
        if not changed:
            raise Conflict("lift_decided", "id")
        if approve:  # a lift naming a plate is that vehicle's crossing (R-G2, R-F8)
            sent = await gate_commands.store(tx, lift.lane, command, [entry],
                                             await _crossing(lift.lane, "manual_lift",
                                                             lift.plate))
        else:
            await ledger.write([entry], tx)
    if sent is not None:
        await gate_commands.announce(gate, lift.lane.code, sent)
    await lift.refresh_from_db()
    return lift


async def _crossing(lane: Lane, kind: str, plate: str) -> gate_record.Release | None:
    """The crossing a manual or emergency release records when it names a plate: the live
    filing with that plate gives the vehicle whose trip it opens or closes (R-F8)."""
    if not plate:
        return None
    plate = normalize_plate(plate)
    trip = await trip_record.facts_by_plate(plate, lane.direction, clock.now())
    return gate_record.Release(None, lane.direction, kind, lane.port, plate,
                               trip.filing_id if trip else None, if_approved=False, trip=trip)


async def list_lifts(user: User, status: str | None) -> list[ManualLift]:
    """Manual lifts for customs and supervisors, newest first."""
    require_role(user, *APPROVE_ROLES, *SUPERVISOR_ROLES)
    query = ManualLift.all().prefetch_related("lane")
    if status:
        if status not in {s.value for s in LiftStatus}:
            raise FieldError("choice", "status", choices=", ".join(s.value for s in LiftStatus))
        query = query.filter(status=status)
    return await query.order_by("-id").limit(200)


@dataclass(frozen=True, slots=True)
class Emergency:
    """An emergency release sent: its command and the languages of the lane it went to, so
    that a door can answer with the frame the lane received without loading the lane again."""

    command: Command
    languages: tuple[str, ...]


async def emergency(gate: GateDeps, user: User, body: dict[str, Any]) -> Emergency:
    """A gate supervisor releases a police, fire or ambulance vehicle at once (R-G5)."""
    require_role(user, *SUPERVISOR_ROLES)
    lane = await _lane(body.get("lane"))
    plate = normalize_plate(text(body.get("plate"), "plate", limit=16))
    if body.get("kind") not in EMERGENCY_KINDS:
        raise FieldError("choice", "kind", choices=", ".join(EMERGENCY_KINDS))
    note = text(body.get("note"), "note", required=False)
    actor = f"user:{user.username}"
    command_id = f"emergency-{clock.now().timestamp():.6f}-{lane.code}"
    entry = ledger.entry("emergency", lane.code, event_id=command_id, outcome="open",
                         reason=str(body["kind"]), plate=plate, actor=actor,
                         detail={"note": note})
    command = gate_commands.build(lane, command_id, "open", "emergency", plate=plate, actor=actor)
    sent = await gate_commands.send(gate, lane, command, extra_ledger=[entry],
                                    release=await _crossing(lane, "emergency", plate))  # R-G5
    return Emergency(sent, tuple(lane.languages))


async def report_fault(gate: GateDeps, lane: Lane, event_id: str, symptom: object) -> FaultTicket:
    """A lane or guard reports a fault: lane and time now, cause and fix later (R-G7)."""
    what = text(symptom, "symptom")
    ticket = await FaultTicket.create(lane=lane, event_id=event_id, symptom=what,
                                      reported_at=clock.now())
    await ledger.record(ledger.entry(
        "fault", lane.code, event_id=event_id or f"fault-{ticket.id}", outcome="reported",
        flagged=True, detail={"fault_id": ticket.id, "symptom": what}))
    return ticket


async def resolve_fault(gate: GateDeps, user: User, fault_id: int,
                        body: dict[str, Any]) -> FaultTicket:
    """Close a fault ticket with the cause found and the fix (R-G7)."""
    require_role(user, *SUPERVISOR_ROLES)
    cause, fix = text(body.get("cause"), "cause"), text(body.get("fix"), "fix")
    ticket = await FaultTicket.get_or_none(id=fault_id).prefetch_related("lane")
    if ticket is None:
        raise NotFound("fault_not_found", "id")
    if not await FaultTicket.filter(id=fault_id, resolved_at=None).update(
            cause=cause, fix=fix, resolved_at=clock.now(), resolved_by_id=user.id):
        raise Conflict("fault_resolved", "id")
    await ledger.record(ledger.entry(
        "fault_resolved", ticket.lane.code, event_id=f"fault-{fault_id}:resolved",
        outcome="resolved", actor=f"user:{user.username}",
        detail={"fault_id": fault_id, "cause": cause, "fix": fix}))
    await ticket.refresh_from_db()
    return ticket


async def handover(gate: GateDeps, user: User, body: dict[str, Any]) -> None:
    """Record a shift handover: who hands over to whom, and what is open (R-G6)."""
    require_role(user, *SUPERVISOR_ROLES)
    to = text(body.get("to"), "to", limit=64)
    note = text(body.get("note"), "note", required=False)
    lane_code = ""
    if body.get("lane") is not None:
        lane_code = (await _lane(body.get("lane"))).code
    await ledger.record(ledger.entry(
        "handover", lane_code, event_id=f"handover-{clock.now().timestamp():.6f}",
        outcome="handed_over", actor=f"user:{user.username}", detail={"to": to, "note": note}))
