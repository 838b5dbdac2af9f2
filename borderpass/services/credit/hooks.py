"""The one place a party's class change passes through (R-P2): wire outbound "credit
changed" notifications here. Called inside the transaction that changed the class, so a
hook that writes (an outbox row) commits or rolls back with it; it must not call out."""

from __future__ import annotations

import logging
from dataclasses import dataclass

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


async def class_changed(change: ClassChange) -> None:
    """Hook point: a party's credit class changed. Today it logs (key shortened)."""
    log.info("credit class changed", extra={
        "party": change.party_key[:8], "kind": change.party_kind, "before": change.before,
        "after": change.after, "rule": change.rule, "rule_version": change.rule_version,
        "cause_event_id": change.cause_event_id})
