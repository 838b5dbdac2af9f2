"""Offline reconciliation: a lane that decided with the public key alone uploads its buffer.

Each buffered scan is re-checked with everything the lane could not see (rotating code,
declaration state, blacklist) at the time the lane saw it; an opening claims the pass's
one use (R-G2) as a crossing at the scan's time, and a second opening of the same pass —
on this lane or another — is flagged as double use in the ledger (R-G6).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from borderpass.core.errors import FieldError
from borderpass.models.gate import Lane
from borderpass.services import clock
from borderpass.services.crossings import pass_tokens as tokens
from borderpass.services.crossings import trip_record
from borderpass.services.gate import gate_events, gate_record, ledger
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.gate.gate_decisions import HELD_HOME, check_offline, online_state
from borderpass.services.gate.lane_events import OFFLINE_MAX_AGE, OfflineScan, in_offline_window


async def _one(gate: GateDeps, lane: Lane, ev: OfflineScan,
               tx: BaseDBAsyncClient) -> str | None:
    """Reconcile one buffered scan; returns the flag raised, if any."""
    try:
        scanned = tokens.parse(ev.qr)
        public = await gate.keys.public(scanned.credential.kid)
        tokens.verify(scanned, public)
        assert public is not None  # verify refuses an unknown key
        problem = check_offline(scanned, lane, ev.at, ev.plate)
        row: dict[str, Any] = {}
        if problem is None:
            problem, row = await online_state(gate, scanned, public, ev.at)
    except tokens.TokenError as exc:
        return exc.code if ev.action == "open" else None
    cred = scanned.credential
    if ev.action != "open":
        return None
    if problem == HELD_HOME:  # R-F9: a blacklisted vehicle came home, unheld: flag it
        problem = "blacklisted"
    # The lane opened: a crossing at the scan's time, whatever the pass's state, and the
    # vehicle's trip follows it (R-F8); a second one is double use.
    trip = trip_record.facts(row, cred.direction, ev.at) if row else \
        await trip_record.facts_by_declaration(cred.declaration_id, cred.direction, ev.at)
    release = gate_record.Release(cred.declaration_id, cred.direction, "offline", lane.port,
                                  cred.plate, trip.filing_id if trip else None,
                                  if_approved=False, trip=trip)
    if await gate_record.insert_crossings(tx, [(release, lane.code, ev.event_id,
                                                ev.at)]):
        await gate_record.mark_used(tx, [cred.declaration_id])
        return "double_use" if problem == "pass_used" else problem
    return "double_use"  # R-G2: the same pass opened the pole twice


@dataclass(frozen=True, slots=True)
class Reconciled:
    """What an upload did: the events taken now, and those flagged with the flag."""

    accepted: int
    flagged: tuple[tuple[str, str], ...]  # (event id, flag)


async def reconcile(gate: GateDeps, lane: Lane, parsed: Sequence[OfflineScan]) -> Reconciled:
    """Take a lane's offline buffer (checked whole: a bad event changes nothing); answer
    which events were flagged and why. Each event is claimed once by ``(lane, event_id)``
    with its crossing and ledger entry; one taken before is skipped, even if its time has
    since left the window a new one must be in (R-G6)."""
    flagged: list[tuple[str, str]] = []
    accepted = 0
    async with in_transaction() as tx:
        seen = await gate_events.answers(tx, [(lane.code, ev.event_id) for ev in parsed])
        now = clock.now()
        for index, ev in enumerate(parsed):  # a new scan out of the window: nothing taken
            if (lane.code, ev.event_id) not in seen and not in_offline_window(ev.at, now):
                raise FieldError("offline_at_window", f"events[{index}].at",
                                 days=OFFLINE_MAX_AGE.days)
        for ev in parsed:
            if (lane.code, ev.event_id) in seen:
                continue  # uploaded before
            flag = await _one(gate, lane, ev, tx)
            if not await gate_events.claim(tx, [(
                    lane.code, ev.event_id, "offline_scan", ev.at,
                    json.dumps({"offline": True, "flag": flag}))]):
                continue  # the same event in another upload at once
            await ledger.write([ledger.entry(
                "double_use" if flag == "double_use" else "offline_scan", lane.code,
                at=ev.at, event_id=ev.event_id, declaration_id=_declaration_of(ev.qr),
                plate=ev.plate, outcome=ev.action, reason=flag or "",
                flagged=flag is not None, detail={"offline": True})], tx)
            accepted += 1
            if flag:
                flagged.append((ev.event_id, flag))
    return Reconciled(accepted, tuple(flagged))


def _declaration_of(qr: str) -> int | None:
    try:
        return tokens.parse(qr).credential.declaration_id
    except tokens.TokenError:
        return None
