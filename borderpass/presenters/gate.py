"""Gate resources as the API, the console and the lane bridge show them: lanes, manual
lifts and ledger entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from borderpass.models.gate import Lane, LedgerEntry, ManualLift
from borderpass.services.gate import gate_texts
from borderpass.services.gate.lane_events import Command
from borderpass.services.gate.lanes import LANE_RULES


def lane(row: Lane) -> dict[str, Any]:
    """A lane (never its credential)."""
    return {"code": row.code, "port": row.port, "lane_type": row.lane_type.value,
            "direction": row.direction, "accepts": row.accepts, "languages": row.languages,
            "authority": LANE_RULES[row.lane_type][1], "active": row.active}


def manual_lift(lift: ManualLift, lane_code: str) -> dict[str, Any]:
    """A manual lift (R-G4)."""
    return {"id": lift.id, "lane": lane_code, "status": lift.status.value,
            "requested_by": lift.requested_by, "reason": lift.reason, "plate": lift.plate,
            "approver_id": lift.approver_id,  # type: ignore[attr-defined]
            "decision_note": lift.decision_note,
            "requested_at": lift.requested_at.isoformat(),
            "decided_at": lift.decided_at.isoformat() if lift.decided_at else None,
            "executed_at": lift.executed_at.isoformat() if lift.executed_at else None}


def ledger_entry(e: LedgerEntry) -> dict[str, Any]:
    """A ledger entry (R-G6), with the same keys as a row of the ledger export."""
    return {"id": e.id, "at": e.at.isoformat(), "lane": e.lane_code, "kind": e.kind,
            "event_id": e.event_id, "declaration_id": e.declaration_id, "plate": e.plate,
            "outcome": e.outcome, "reason": e.reason, "actor": e.actor, "flagged": e.flagged,
            "detail": e.detail}


def command(cmd: Command, languages: Sequence[str]) -> dict[str, Any]:
    """A command as the ``command`` frame a lane showing ``languages`` receives
    (gate_bridge/PROTOCOL.md), and as the API shows the officer who issued it."""
    return {"type": "command", "event_id": cmd.event_id, "action": cmd.action,
            "reason": cmd.reason,
            "display": gate_texts.display(cmd.action, cmd.reason, languages),
            "at": cmd.at, **cmd.extras}
