"""Credit (R-P2) as the API and the console show it: a party's credit as read."""

from __future__ import annotations

from typing import Any

from borderpass.models.credit import FastLaneDecision
from borderpass.services.credit.view import (
    EventReading,
    OwnCredit,
    PartyReading,
    StaffCredit,
)


def event(e: EventReading) -> dict[str, Any]:
    """An event as read: kind and its text, source, reference, when, what it lifts."""
    return {"id": e.id, "kind": e.kind, "text": e.text, "source": e.source, "ref": e.ref,
            "lifts": e.lifts, "occurred_at": e.occurred_at.isoformat(),
            "until": e.until.isoformat() if e.until else None, "filing_id": e.filing_id}


def party(p: PartyReading) -> dict[str, Any]:
    """A party's class, rule and reasons in the reader's language (no key, no number)."""
    return {"party_kind": p.party_kind, "label": p.label, "credit_class": p.credit_class,
            "class_text": p.class_text, "rule": p.rule, "rule_version": p.rule_version,
            "cause_event_id": p.cause_event_id, "reasons": p.reasons,
            "restrictions": p.restrictions,
            "updated_at": p.updated_at.isoformat() if p.updated_at else None,
            "events": [event(e) for e in p.events]}


def own_credit(found: OwnCredit) -> dict[str, Any]:
    """A party the caller files for, with the caller's filings for it."""
    return {"filings": found.filings, **party(found.party)}


def staff_credit(found: StaffCredit) -> dict[str, Any]:
    """A party's credit as staff reached it (by a filing, or by its record)."""
    reached: dict[str, Any] = {} if found.filing_id is None else {"filing_id": found.filing_id}
    return {**reached, "record_id": found.record_id, **party(found.party)}



def fast_lane(decision: FastLaneDecision) -> dict[str, Any]:
    """A fast-lane decision (R-P2.6) as the API and the review desk show it (no party key)."""
    ev = decision.evidence
    return {"outcome": decision.outcome, "rule": decision.rule,
            "rule_version": decision.rule_version, "decided_at": decision.created_at.isoformat(),
            "credit_class": ev.get("credit_class"), "class_rule": ev.get("class_rule"),
            "cause_event_id": ev.get("cause_event_id"),
            "sample_share": ev.get("sample_share")}
