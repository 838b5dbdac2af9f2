"""Offline reconciliation: a lane that decided with the public key alone uploads its buffer.

Each buffered scan is re-checked with everything the lane could not see (rotating code,
declaration state, blacklist) at the time the lane saw it; an opening claims the pass's
one release (R-G2) as if online, and a second opening of the same pass — on this lane or
another — is flagged as double use in the ledger (R-G6).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from borderpass.core.errors import FieldError
from borderpass.models.gate import Lane
from borderpass.services import clock, declarations, ledger
from borderpass.services import pass_tokens as tokens
from borderpass.services.gate_context import GateDeps
from borderpass.services.gate_decisions import check_offline, event_key, online_state
from borderpass.services.pass_claims import used_key

MAX_EVENTS = 5000
MAX_AGE = timedelta(days=15)  # one ledger period (R-G6)


def _parse_event(raw: object, index: int) -> dict[str, Any]:
    where = f"events[{index}]"
    if not isinstance(raw, dict):
        raise FieldError("type_object", where)
    event_id, qr, action = raw.get("event_id"), raw.get("qr", ""), raw.get("action")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 64:
        raise FieldError("required", f"{where}.event_id")
    if not isinstance(qr, str):
        raise FieldError("type_string", f"{where}.qr")
    if action not in ("open", "deny", "hold"):
        raise FieldError("choice", f"{where}.action", choices="open, deny, hold")
    try:
        at = datetime.fromisoformat(str(raw.get("at")))
    except ValueError as exc:
        raise FieldError("type_datetime", f"{where}.at") from exc
    if at.tzinfo is None:
        raise FieldError("datetime_tz", f"{where}.at")
    now = clock.now()
    if not now - MAX_AGE <= at <= now + timedelta(minutes=5):
        raise FieldError("offline_at_window", f"{where}.at", days=MAX_AGE.days)
    plate = raw.get("plate") or ""
    if not isinstance(plate, str) or len(plate) > 16:
        raise FieldError("length", f"{where}.plate", max=16)
    return {"event_id": event_id, "qr": qr, "action": action, "at": at, "plate": plate}


def parse_events(events: object) -> list[dict[str, Any]]:
    """Validate the whole upload first, so a bad event changes nothing."""
    if not isinstance(events, list):
        raise FieldError("type_list", "events")
    if len(events) > MAX_EVENTS:
        raise FieldError("too_many", "events", max=MAX_EVENTS)
    return [_parse_event(raw, i) for i, raw in enumerate(events)]


async def _one(gate: GateDeps, lane: Lane, ev: dict[str, Any]) -> str | None:
    """Reconcile one buffered scan; returns the flag raised, if any."""
    try:
        scanned = tokens.parse(ev["qr"])
        public = await gate.keys.public(scanned.credential.kid)
        tokens.verify(scanned, public)
        assert public is not None  # verify refuses an unknown key
        problem = check_offline(scanned, lane, ev["at"], ev["plate"]) \
            or (await online_state(gate, scanned, public, ev["at"]))[0]
    except tokens.TokenError as exc:
        return exc.code if ev["action"] == "open" else None
    cred = scanned.credential
    if ev["action"] != "open":
        return None
    kv, owner = gate.deps.kv, f"{lane.code}|{ev['event_id']}"
    key = used_key(cred.declaration_id, cred.direction)
    if await kv.set(key, owner, ex=int(MAX_AGE.total_seconds()) * 2, nx=True):
        await declarations.mark_used(cred.declaration_id)
        return "double_use" if problem == "pass_used" else problem
    current = await kv.get(key)
    if (current.decode() if isinstance(current, bytes) else current) == owner:
        return None
    return "double_use"  # R-G2: the same pass opened the pole twice


async def reconcile(gate: GateDeps, lane: Lane, events: object) -> dict[str, Any]:
    """Take a lane's offline buffer; answer which events were flagged and why."""
    parsed = parse_events(events)
    flagged: list[dict[str, str]] = []
    accepted = 0
    for ev in parsed:
        seen_key = event_key(lane.code, ev["event_id"])
        if await gate.deps.kv.get(seen_key) is not None:
            continue  # uploaded before
        flag = await _one(gate, lane, ev)
        await gate.deps.kv.set(seen_key, json.dumps({"offline": True, "flag": flag}),
                               ex=int(MAX_AGE.total_seconds()))
        scanned_id = _declaration_of(ev["qr"])
        await ledger.record(gate.deps.kv, ledger.entry(
            "double_use" if flag == "double_use" else "offline_scan", lane.code, at=ev["at"],
            event_id=ev["event_id"], declaration_id=scanned_id, plate=ev["plate"],
            outcome=ev["action"], reason=flag or "", flagged=flag is not None,
            detail={"offline": True}))
        accepted += 1
        if flag:
            flagged.append({"event_id": ev["event_id"], "flag": flag})
    return {"accepted": accepted, "flagged": flagged}


def _declaration_of(qr: str) -> int | None:
    try:
        return tokens.parse(qr).credential.declaration_id
    except tokens.TokenError:
        return None
