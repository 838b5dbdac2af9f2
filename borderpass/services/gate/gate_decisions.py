"""Scan decisions at the lane: one pole, one release (R-G2); refusals go to inspection (R-G3).

A scan is checked in order of cost: the key, window, port, direction and lane type (R-G1)
and the camera plate need no I/O; then one query reads the issued credential, the pass
secret, the declaration state, the blacklist (R-F9) and the export clearance (R-E3). A
credential equal to the one issued is genuine without its Ed25519 signature being checked
(the costliest step of a scan); any other credential, and any refused on its own claims,
is checked, so a forgery is always named as one. Finally the scan is recorded with the
other lane events of its loop turn in one database transaction
(:mod:`borderpass.services.gate.gate_record`): the pass's one release (a crossing, unique per
declaration and direction: the first valid scan wins, even on two lanes or two processes
at the same instant), the ledger entries, the command in the lane's outbox and the answer
kept for a retried ``event_id``. The pole opens only after that commit; Redis holds
nothing the gate needs to stay correct (R-G2, R-G6).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from tortoise import connections

from borderpass.models import Declaration, Filing, FilingDriver
from borderpass.models.enums import DeclarationStatus
from borderpass.models.export import LicenceVehicle
from borderpass.models.gate import Lane, LaneType, Pass
from borderpass.services import clock
from borderpass.services.crossings import land_ports, passes, trip_record
from borderpass.services.crossings import pass_tokens as tokens
from borderpass.services.filings import filing_validity, subjects
from borderpass.services.gate import (
    gate_commands,
    gate_export,
    gate_record,
    lane_events,
    ledger,
    second_line,
)
from borderpass.services.gate.gate_context import GateDeps, normalize_plate
from borderpass.services.gate.lane_events import Command

# Suspicious: hold for inspection.
HOLD_REASONS = frozenset({"blacklisted", "plate_mismatch", "vin_mismatch",
                          "export_not_cleared", second_line.CHECKED})  # suspicious: inspect
# R-F9: a blacklisted vehicle at an entry lane is home: its crossing is recorded and its
# trip closed, and the lane holds it for inspection (R-G3) with the reason "blacklisted".
HELD_HOME = "blacklisted_home"


@dataclass(frozen=True)
class Scan:
    """A QR read at a lane, with the plate from the lane camera if there is one.

    An export vehicle (goods, no driver's pass) is scanned by its VIN alone: ``qr`` empty.
    """

    event_id: str
    qr: str
    plate: str = ""
    vin: str = ""
    at: datetime | None = None  # when the lane saw it (offline uploads); None means now
    driver_key: str | None = None  # second line: the blind index of the driver's ID (R-G8)


@dataclass
class Decision:
    """The bridge's answer to one scan and the command it sent the lane (the bridge renders
    the command's frame)."""

    event_id: str
    lane: str
    action: str
    reason: str
    declaration_id: int | None = None
    plate: str = ""
    command: Command | None = None


def scan_of(gate: GateDeps, event: lane_events.Scan) -> Scan:
    """The scan to decide from a lane's scan message; the driver's ID number, when read,
    only as its blind index (R-G8; a malformed one is a FieldError naming ``id_number``)."""
    driver = second_line.person_key(gate, event.id_number) if event.id_number else None
    return Scan(event.event_id, event.qr, event.plate, vin=event.vin, driver_key=driver)


def _refuse(reason: str, declaration_id: int | None = None, plate: str = "") -> Decision:
    action = "hold" if reason in HOLD_REASONS else "deny"
    return Decision("", "", action, reason, declaration_id, plate)


def check_offline(scanned: tokens.Scanned, lane: Lane, at: datetime, plate: str) -> str | None:
    """The checks a lane can make with the public key alone; the refusal reason or None."""
    cred = scanned.credential
    if at < cred.valid_from:
        return "pass_not_yet_valid"
    if at > cred.valid_until:
        return "pass_expired"
    if cred.port != lane.port and land_ports.canonical(cred.port) != lane.port:
        return "wrong_port"  # a pass signed with an alias (mengding) fits its port's lanes
    if cred.direction != lane.direction:
        return "wrong_direction"
    if cred.category not in lane.accepts:  # R-G1
        return "wrong_lane_type"
    if plate and normalize_plate(plate) != normalize_plate(cred.plate):
        return "plate_mismatch"
    return None


# A batch of state reads is padded to one of a few sizes, so PostgreSQL keeps one generic
# plan per size; with ``= ANY($1)`` it re-planned every query (its custom plans look cheaper
# than a generic one sized for ten ids), which cost more than the batching saved.
STATE_BATCH_SIZES = (1, 4, 16, 64)


@functools.lru_cache(maxsize=16)
def _states_sql(dialect: str, count: int) -> str:
    """One round trip for the pass secrets, declaration states, blacklist (R-F9) and export
    clearances of ``count`` declarations."""
    marks = ", ".join(f"${n}" if dialect == "postgres" else "?" for n in range(1, count + 1))
    return (
        f"SELECT p.declaration_id, d.filing_id, p.credential, p.secret_sealed, p.revoked_at, "
        f"d.status, {filing_validity.STATE_COLUMNS}, "  # R-F3: the filing still in force
        f"{trip_record.state_columns('f', 'd')}, "
        f"f.vin, (SELECT lv.state FROM {LicenceVehicle._meta.db_table} lv WHERE lv.live_vin "
        f"= f.vin) AS export_state, {subjects.listed_sql('f.owner_key', 'fd.id_key')} AS "
        f"listed FROM {Pass._meta.db_table} p "
        f"JOIN {Declaration._meta.db_table} d ON d.id = p.declaration_id "
        f"JOIN {Filing._meta.db_table} f ON f.id = d.filing_id "
        f"JOIN {FilingDriver._meta.db_table} fd ON fd.id = d.driver_id "
        f"WHERE p.declaration_id IN ({marks})")


async def _read_states(declaration_ids: list[int]) -> list[dict[str, Any] | None]:
    """The state rows of the passes scanned in one loop turn (one per id), in as few
    queries as the padded sizes allow."""
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    found: dict[int, dict[str, Any]] = {}
    wanted = list(dict.fromkeys(declaration_ids))
    for start in range(0, len(wanted), STATE_BATCH_SIZES[-1]):
        chunk = wanted[start: start + STATE_BATCH_SIZES[-1]]
        size = next(n for n in STATE_BATCH_SIZES if n >= len(chunk))
        padded = chunk + [chunk[0]] * (size - len(chunk))
        _, rows = await conn.execute_query(_states_sql(dialect, size), padded)
        found.update((row["declaration_id"], dict(row)) for row in rows)
    return [found.get(i) for i in declaration_ids]


async def online_state(gate: GateDeps, scanned: tokens.Scanned, key: Ed25519PublicKey,
                       at: datetime, vin: str = "") -> tuple[str | None, dict[str, Any]]:
    """The online checks: the credential issued, rotating code, revocation, blacklist
    (R-F9), earlier use (R-G2), export clearance (R-E3); the refusal reason or None, and the
    row read. Raises TokenError for a credential neither issued nor signed by ``key``."""
    row = await gate.coalescer(_read_states)(scanned.credential.declaration_id)
    if row is None or not tokens.is_issued(scanned, row["credential"]):
        tokens.verify(scanned, key)  # pass_forged, unless ours and replaced or withdrawn
        return "pass_revoked", {}
    return _online_reason(gate, scanned, at, vin, row), row


def _online_reason(gate: GateDeps, scanned: tokens.Scanned, at: datetime, vin: str,
                   row: dict[str, Any]) -> str | None:
    decl_id = scanned.credential.declaration_id
    if not tokens.code_matches(passes.secret_of(gate, row["secret_sealed"], decl_id),
                               scanned.code, at):
        return "code_stale"
    status = row["status"]
    if row["revoked_at"] is not None or status == DeclarationStatus.CANCELLED:
        return "pass_revoked"
    entry = scanned.credential.direction == "entry"
    if row["listed"] and not entry:
        return "blacklisted"
    if status == DeclarationStatus.USED:
        return "pass_used"
    if expired := filing_validity.lane_reason(row, at):
        return expired  # R-F3, R-F7: expired or revoked since the pass was issued
    if vin and row["vin"] and vin.strip().upper() != row["vin"]:
        return "vin_mismatch"  # the lane's VIN reader saw another vehicle
    if scanned.credential.direction == "exit" and row["export_state"] in gate_export.NOT_CLEARED:
        return "export_not_cleared"  # R-E3: on an export licence, not cleared by customs
    if row["listed"]:  # R-F9: coming home is never refused; held for inspection (R-G3)
        return HELD_HOME
    return None


async def _export_vin(lane: Lane, scan: Scan, at: datetime) -> Decision:
    reason = await gate_export.decide_vin(lane, scan.vin, at)
    if reason == "export_cleared":
        return Decision("", "", "open", reason, None, scan.plate)
    return _refuse(reason, plate=scan.plate)


async def _second_line(lane: Lane, scan: Scan, at: datetime) -> tuple[
        Decision, gate_record.Release | None, dict[str, Any]]:
    """A plate at a second-line lane: the credit pass list decides, read now (R-G8, R-U6).

    Listed → open with a crossing of kind ``second_line`` (the trip follows, R-F8), unless
    picked for a random check (``secrets``, the port's rate): held, no crossing (R-G3)."""
    plate = normalize_plate(scan.plate)
    found = await second_line.verdict(lane.port, plate, scan.driver_key, at)
    detail: dict[str, Any] = {"channel": "second_line", "rate": found.rate,
                              "driver_checked": scan.driver_key is not None}
    if found.member_id is not None:
        detail |= {"member_id": found.member_id, "unit_id": found.unit_id}
    row = {"ledger_detail": detail}
    if found.reason != second_line.PASSED:
        return _refuse(found.reason, plate=plate), None, row
    if second_line.picked(found.rate):
        detail["random_check"] = True
        return _refuse(second_line.CHECKED, plate=plate), None, row
    release = gate_record.Release(
        None, lane.direction, "second_line", lane.port, plate, if_approved=False,
        trip=await trip_record.facts_by_plate(plate, lane.direction, at))
    return Decision("", "", "open", second_line.PASSED, None, plate), release, row


async def _evaluate(gate: GateDeps, lane: Lane, scan: Scan,
                    at: datetime) -> tuple[Decision, gate_record.Release | None, dict[str, Any]]:
    """The decision before the release is taken; a valid pass comes with its release."""
    if scan.plate and not scan.qr and normalize_plate(scan.plate) in gate.emergency_plates:
        plate = normalize_plate(scan.plate)  # a vehicle on file crosses too (R-F8)
        release = gate_record.Release(
            None, lane.direction, "emergency", lane.port, plate, if_approved=False,
            trip=await trip_record.facts_by_plate(plate, lane.direction, at))
        return Decision("", "", "open", "emergency", None, scan.plate), release, {}  # R-G5
    if lane.lane_type is LaneType.SECOND_LINE and scan.plate and not scan.qr:
        return await _second_line(lane, scan, at)
    if scan.vin and not scan.qr:  # an export vehicle (R-E3)
        return await _export_vin(lane, scan, at), None, {}
    row: dict[str, Any] = {}
    try:
        scanned = tokens.parse(scan.qr)
        key = await gate.keys.public(scanned.credential.kid)
        if key is None:
            raise tokens.TokenError("pass_unknown_key")
        reason = check_offline(scanned, lane, at, scan.plate)
        if reason is None:
            reason, row = await online_state(gate, scanned, key, at, scan.vin)
        else:
            tokens.verify(scanned, key)  # a refusal on the pass's claims names a forgery
    except tokens.TokenError as exc:
        return _refuse(exc.code, plate=scan.plate), None, {}
    cred = scanned.credential
    if reason and reason != HELD_HOME:
        return _refuse(reason, cred.declaration_id, cred.plate), None, row
    leaving = cred.direction == "exit" and row.get("export_state") == "cleared"
    release = gate_record.Release(cred.declaration_id, cred.direction, "pass", lane.port,
                                  cred.plate, row.get("filing_id"),
                                  trip=trip_record.facts(row, cred.direction, at),
                                  export_vin=row["vin"] if leaving else None)  # R-E7
    if reason == HELD_HOME:  # R-F9, R-G3: the crossing is recorded, the vehicle held
        return (Decision("", "", "hold", "blacklisted", cred.declaration_id, cred.plate),
                release, row)
    return Decision("", "", "open", "pass_valid", cred.declaration_id, cred.plate), release, row


def _variant(lane: Lane, scan: Scan, at: datetime, decision: Decision,
             extra: dict[str, Any] | None = None) -> gate_record.Variant:
    """What the decision writes: the scan's and the command's ledger entries (R-G6), the
    command in the lane's outbox, and the command as the answer."""
    decision.event_id, decision.lane = scan.event_id, lane.code
    command = decision.command = gate_commands.build(
        lane, f"{scan.event_id}:cmd", decision.action, decision.reason,
        in_reply_to=scan.event_id, declaration_id=decision.declaration_id, plate=decision.plate)
    kind = "emergency" if decision.reason == "emergency" else "scan"
    scan_entry = ledger.entry(kind, lane.code, at=at, event_id=scan.event_id,
                              declaration_id=decision.declaration_id,
                              plate=decision.plate or scan.plate, outcome=decision.action,
                              reason=decision.reason,
                              detail=({"vin": scan.vin.strip().upper()} if scan.vin else {})
                              | (extra or {}) or None)
    text = command.dumps()
    return gate_record.Variant(text, [scan_entry, gate_commands.ledger_entry(lane, command)],
                               (command.event_id, text))


def _answered(lane: Lane, text: str, *mine: tuple[gate_record.Variant, Decision]) -> Decision:
    """The decision a recorded answer (the command sent) stands for: one of ``mine`` when
    this call recorded it, else read back from the stored command."""
    for variant, decision in mine:
        if variant.answer == text:
            return decision
    command = Command.loads(text)
    return Decision(command.in_reply_to, lane.code, command.action, command.reason,
                    command.declaration_id, command.plate, command)


async def decide(gate: GateDeps, lane: Lane, scan: Scan) -> Decision:
    """Decide one scan, record it and its command, and answer the lane (R-G2, R-G3, R-G6).

    A retried ``event_id`` gets the first answer; a valid pass whose release another scan
    took first is refused ``pass_used``."""
    at = scan.at or clock.now()
    decision, release, row = await _evaluate(gate, lane, scan, at)
    done = _variant(lane, scan, at, decision, row.get("ledger_detail"))
    mine = [(done, decision)]
    refused = None
    if release is not None and release.declaration_id is not None:
        used = _refuse("pass_used", decision.declaration_id, decision.plate)
        refused = _variant(lane, scan, at, used)
        mine.append((refused, used))
    recorded = await gate.coalescer(gate_record.record_batch)(gate_record.Event(
        lane.code, scan.event_id, "scan", at, done, refused, release))
    return _answered(lane, recorded.answer, *mine)
