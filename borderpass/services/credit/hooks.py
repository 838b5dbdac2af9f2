"""The one place a party's class change passes through (R-P2): it logs the change and tells
the agencies entitled to credit changes (R-P7). Called inside the transaction that changed
the class, so the event it writes commits or rolls back with it; it must not call out."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from borderpass.services.exchange import kinds
from borderpass.services.exchange import log as exchange_log

log = logging.getLogger("borderpass.credit")


@dataclass(frozen=True)
class ClassChange:
    """A class moved: whose (the party's blind-index key, never a number), from, to, by
    which rule and version, caused by which event (None: no event, e.g. a window ended)."""

    party_key: str
    party_kind: str
    before: str
    after: str
    rule: str
    rule_version: int
    cause_event_id: int | None
    record_id: int = 0
    label: str = ""


async def class_changed(change: ClassChange) -> None:
    """A party's credit class changed: log it (key shortened) and write the agencies' event."""
    log.info("credit class changed", extra={
        "party": change.party_key[:8], "kind": change.party_kind, "before": change.before,
        "after": change.after, "rule": change.rule, "rule_version": change.rule_version,
        "cause_event_id": change.cause_event_id})
    await exchange_log.append(kinds.CREDIT_CHANGED, f"credit/{change.record_id}", {
        # R-P7: the masked label kept on the record, never the blind-index key
        "credit_record_id": change.record_id, "party_kind": change.party_kind,
        "label": change.label, "before": change.before, "after": change.after,
        "rule": change.rule, "rule_version": change.rule_version,
        "cause_event_id": change.cause_event_id})
