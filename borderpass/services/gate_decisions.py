"""Scan decisions at the lane: one pole, one release (R-G2); refusals go to inspection (R-G3).

A scan is checked in order of cost: the key, window, port, direction and lane type (R-G1)
and the camera plate need no I/O; then one query reads the issued credential, the pass
secret, the declaration state, the blacklist (R-F9) and the export clearance (R-E3). A
credential equal to the one issued is genuine without its Ed25519 signature being checked
(the costliest step of a scan); any other credential, and any refused on its own claims,
is checked, so a forgery is always named as one. Finally one Redis
script takes the pass's one release (the first valid scan wins, even on two lanes at the
same instant), puts the command in the lane's outbox, queues the ledger entries and keeps
the answer, so a retried ``event_id`` gets the first answer again. The declaration is
marked used in the database when the ledger is written (:func:`ledger.flush`).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from tortoise import connections

from borderpass.models import Declaration, Filing, FilingDriver
from borderpass.models.enums import DeclarationStatus
from borderpass.models.export import LicenceVehicle
from borderpass.models.gate import Lane, Pass
from borderpass.services import (
    blacklist,
    clock,
    gate_commands,
    gate_export,
    ledger,
    pass_claims,
    passes,
)
from borderpass.services import pass_tokens as tokens
from borderpass.services.gate_context import GateDeps, normalize_plate
from borderpass.services.ports import KeyValue

EVENT_TTL = 2 * 24 * 3600  # seconds a scan's answer is kept for retries
HOLD_REASONS = frozenset({"blacklisted", "plate_mismatch", "vin_mismatch",
                          "export_not_cleared"})  # suspicious: hold for inspection


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


@dataclass
class Decision:
    """The bridge's answer to one scan and the command it sent the lane."""

    event_id: str
    lane: str
    action: str
    reason: str
    declaration_id: int | None = None
    plate: str = ""
    command: dict[str, Any] = field(default_factory=dict)
    command_text: str = ""  # the command as sent (JSON); not kept with the answer

    def answer(self) -> str:
        """The decision as kept for a retried event (without the command's text)."""
        return json.dumps({**vars(self), "command_text": ""}, ensure_ascii=False)


def event_key(lane_code: str, event_id: str) -> str:
    """The Redis key holding a scan event's answer, for retries."""
    return f"gate:evt:{lane_code}:{event_id}"


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
    if cred.port != lane.port:
        return "wrong_port"
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
        f"SELECT p.declaration_id, p.credential, p.secret_sealed, p.revoked_at, d.status, "
        f"f.vin, (SELECT lv.state FROM {LicenceVehicle._meta.db_table} lv WHERE lv.live_vin "
        f"= f.vin) AS export_state, {blacklist.listed_sql('f.owner_key', 'fd.id_key')} AS "
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
    if row["listed"]:
        return "blacklisted"
    if status == DeclarationStatus.USED:
        return "pass_used"
    if vin and row["vin"] and vin.strip().upper() != row["vin"]:
        return "vin_mismatch"  # the lane's VIN reader saw another vehicle
    if scanned.credential.direction == "exit" and row["export_state"] in gate_export.NOT_CLEARED:
        return "export_not_cleared"  # R-E3: on an export licence, not cleared by customs
    return None


async def _export_vin(lane: Lane, scan: Scan, at: datetime) -> Decision:
    reason = await gate_export.decide_vin(lane, scan.vin, at)
    if reason == "export_cleared":
        return Decision("", "", "open", reason, None, scan.plate)
    return _refuse(reason, plate=scan.plate)


@dataclass(frozen=True)
class _Claim:
    """The pass's one release, to be taken in the scan's round trip (R-G2)."""

    key: str
    owner: str
    keep: int


async def _evaluate(gate: GateDeps, lane: Lane, scan: Scan,
                    at: datetime) -> tuple[Decision, _Claim | None, dict[str, Any]]:
    """The decision before the release is taken; a valid pass comes with its claim."""
    if scan.plate and not scan.qr and normalize_plate(scan.plate) in gate.emergency_plates:
        return Decision("", "", "open", "emergency", None, scan.plate), None, {}  # R-G5
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
    if reason:
        return _refuse(reason, cred.declaration_id, cred.plate), None, row
    claim = _Claim(pass_claims.used_key(cred.declaration_id, cred.direction),
                   f"{lane.code}|{scan.event_id}", pass_claims.keep_seconds(cred.valid_until, at))
    return Decision("", "", "open", "pass_valid", cred.declaration_id, cred.plate), claim, row


# A scan's one round trip: a retried event gets its first answer; a valid pass takes its one
# release (R-G2) or, taken already by another scan, nothing is written and the caller asks
# again with the refusal; then the command enters the lane's outbox, the scan and the
# command go to the ledger (R-G6), and the answer is kept for retries.
# KEYS = answer, release, lane outbox, ledger queue.
# ARGV = release owner, seconds the release is kept (0: no release to take), answer, seconds
#        the answer is kept, command id, command, scan entry, command entry.
# Returns {0, first answer} for a retry, {1} when decided, {2} when the release was taken.
DECIDE_SCRIPT = """
local seen = redis.call('GET', KEYS[1])
if seen then return {0, seen} end
if ARGV[2] ~= '0' and not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[2]) then
  if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {2} end
end
redis.call('HSET', KEYS[3], ARGV[5], ARGV[6])
redis.call('RPUSH', KEYS[4], ARGV[7], ARGV[8])
redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
return {1}
"""


@functools.lru_cache(maxsize=8)
def _decide_script(kv: KeyValue) -> Any:
    """The registered script, made once per client."""
    return kv.register_script(DECIDE_SCRIPT)


async def _commit(gate: GateDeps, lane: Lane, scan: Scan, at: datetime, decision: Decision,
                  claim: _Claim | None) -> tuple[int, Any]:
    """Send the decision's command and record it, taking the claim if any, in one round trip."""
    decision.event_id, decision.lane = scan.event_id, lane.code
    decision.command = gate_commands.build(
        lane, f"{scan.event_id}:cmd", decision.action, decision.reason,
        in_reply_to=scan.event_id, declaration_id=decision.declaration_id, plate=decision.plate)
    kind = "emergency" if decision.reason == "emergency" else "scan"
    scan_entry = ledger.entry(kind, lane.code, at=at, event_id=scan.event_id,
                              declaration_id=decision.declaration_id,
                              plate=decision.plate or scan.plate, outcome=decision.action,
                              reason=decision.reason,
                              detail={"vin": scan.vin.strip().upper()} if scan.vin else None)
    command = decision.command
    text = decision.command_text = json.dumps(command, ensure_ascii=False,
                                              separators=(",", ":"))
    result = await gate.scripts(
        _decide_script(gate.deps.kv),
        keys=[event_key(lane.code, scan.event_id), claim.key if claim else "",
              gate_commands.pending_key(lane.code), ledger.QUEUE],
        args=[claim.owner if claim else "", claim.keep if claim else 0,
              decision.answer(), EVENT_TTL,
              command["event_id"], text, scan_entry, gate_commands.ledger_entry(lane, command)])
    return int(result[0]), result[1] if len(result) > 1 else None


async def decide(gate: GateDeps, lane: Lane, scan: Scan) -> Decision:
    """Decide one scan, send the lane its command and record both (R-G2, R-G3, R-G6)."""
    at = scan.at or clock.now()
    decision, claim, row = await _evaluate(gate, lane, scan, at)
    outcome, first = await _commit(gate, lane, scan, at, decision, claim)
    if outcome == 0:
        return Decision(**json.loads(first))  # a retried event gets the first answer
    if outcome == 2:  # R-G2: another scan took the release first
        decision = _refuse("pass_used", decision.declaration_id, decision.plate)
        outcome, first = await _commit(gate, lane, scan, at, decision, None)
        return Decision(**json.loads(first)) if outcome == 0 else decision
    if claim and lane.direction == "exit" and row.get("export_state") == "cleared":
        await gate_export.record_pass_exit(lane, row["vin"], at)  # R-E7: it left
    return decision
