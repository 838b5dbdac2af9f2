"""The fast lane (R-P2.6): an unchanged renewal by an owner of good class is approved by the
rule at once, except a share sampled to the human review queue.

Sampling is a keyed hash of the filing id (the data key's blind index), so a retry, a
second process or a later look all agree, and an applicant cannot pick a filing id that
escapes the sample. The decision row (one per filing) and the approval commit together;
a crash between the submission and the decision leaves the renewal submitted, in the
human queue as before (never approved without its record).
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from borderpass.models import Filing
from borderpass.models.credit import CreditRecord, FastLaneDecision
from borderpass.models.enums import FilingStatus
from borderpass.services import audit, clock, notify
from borderpass.services.credit import events, rules
from borderpass.services.filings import renewals
from borderpass.services.ports import Deps

RULE = "R-P2.6"
APPROVED, SAMPLED = "approved", "sampled"
_SCALE = 16 ** 13  # 52 bits of the hash: a point in [0, 1)


def sample_point(deps: Deps, filing_id: int) -> float:
    """Where the filing falls in [0, 1): the same answer every time for one filing."""
    return int(deps.cipher.blind_index(str(filing_id), "credit_fast_lane")[:13], 16) / _SCALE


def eligible(filing: Filing, record: CreditRecord | None) -> bool:
    """An unchanged renewal (not a correction) by an owner of good class (R-P2.6)."""
    return (filing.renews_id is not None  # type: ignore[attr-defined]
            and filing.corrects_id is None  # type: ignore[attr-defined]
            and filing.renewal_changes == [] and filing.status is FilingStatus.SUBMITTED
            and record is not None and record.credit_class == rules.GOOD)


async def consider(deps: Deps, filing: Filing) -> FastLaneDecision | None:
    """Decide a just-submitted renewal by the rule, or leave it to review (None)."""
    record = await events.class_of(filing.owner_key)
    if not eligible(filing, record):
        return None
    assert record is not None
    point = sample_point(deps, filing.id)
    share = deps.credit_sample_share
    outcome = SAMPLED if point < share else APPROVED
    evidence: dict[str, Any] = {
        "credit_class": record.credit_class, "class_rule": record.rule,
        "class_rule_version": record.rule_version, "cause_event_id": record.cause_event_id,
        "reasons": record.reasons, "renewal_changes": [], "renews_id": filing.renews_id,  # type: ignore[attr-defined]
        "sample_share": share, "sample_point": round(point, 6)}
    try:
        async with in_transaction():  # the decision and the approval, or neither
            await FastLaneDecision.bulk_create([FastLaneDecision(
                filing_id=filing.id, party_key=record.party_key, outcome=outcome, rule=RULE,
                rule_version=rules.VERSION, evidence=evidence)], ignore_conflicts=True)
            decision = await FastLaneDecision.get(filing_id=filing.id)
            if decision.outcome == APPROVED and not await _approve(filing, decision):
                raise _DecidedMeanwhile
    except _DecidedMeanwhile:
        return None  # a reviewer decided it first: no fast-lane record either
    return decision


class _DecidedMeanwhile(Exception):
    """The renewal left the submitted state before the rule could approve it."""


async def _approve(filing: Filing, decision: FastLaneDecision) -> bool:
    """Approve as a reviewer would, with no reviewer: the rule is named in the audit row."""
    now = clock.now()
    starts, expires = await renewals.validity(filing, now)
    changed = await Filing.filter(id=filing.id, status=FilingStatus.SUBMITTED).update(
        status=FilingStatus.APPROVED, approved_at=now, starts_at=starts, expires_at=expires,
        reviewer_id=None, return_reasons=[])
    if not changed:
        return False  # a reviewer decided it first
    await audit.record(None, "update", "filing", filing.id, ["status"], decision="approved",
                       by_rule=decision.rule, rule_version=decision.rule_version,
                       fast_lane_id=decision.id,
                       cause_event_id=decision.evidence.get("cause_event_id"))
    await filing.refresh_from_db()
    await renewals.on_approved(filing)  # R-F3: list entries and open trip carry over
    await notify.filing_reviewed(filing)
    return True


async def of_filing(filing: Filing) -> FastLaneDecision | None:
    """The fast lane's decision on a renewal (``presenters.credit.fast_lane`` shows it)."""
    if filing.renews_id is None:  # type: ignore[attr-defined]
        return None
    return await FastLaneDecision.get_or_none(filing_id=filing.id)


async def recent(limit: int = 100) -> list[tuple[FastLaneDecision, Filing | None]]:
    """The latest decisions with their filings, newest first (the review desk)."""
    found = await FastLaneDecision.all().order_by("-id").limit(limit)
    filings = {f.id: f for f in await Filing.filter(id__in=[d.filing_id for d in found])}
    return [(d, filings.get(d.filing_id)) for d in found]
