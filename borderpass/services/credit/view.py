"""A party's credit as people read it (R-P2): the party's own (``GET /api/v1/me/credit``)
and staff's (the console), with class, rule and reasons in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from borderpass.core.errors import NotFound
from borderpass.core.i18n import N_, translate
from borderpass.models import Filing, User
from borderpass.models.credit import CreditEvent, CreditRecord
from borderpass.models.enums import Role
from borderpass.services.credit import rules
from borderpass.services.credit.restrictions import BARRED
from borderpass.services.identity.access import require_role

STAFF_ROLES = (Role.REVIEWER, Role.CUSTOMS, Role.ADMIN)
RESTRICTION_TEXTS = {
    "no_exit": N_("不能申报出境"),
    "no_fast_lane": N_("续期和变更均须人工审核"),
    "fast_lane": N_("未变更的续期可按规则即时通过（部分抽样人工复核）"),
}


def reason_text(reason: dict[str, Any], locale: str) -> str:
    """One reason: the rule's text, and the event it names."""
    text = translate(rules.RULE_TEXTS.get(reason["rule"], reason["rule"]), locale,
                     count=reason.get("count", 0), needed=reason.get("needed", 0))
    if kind := reason.get("kind"):
        text += f" — {translate(rules.KINDS[kind], locale)} ({reason['at'][:10]})"
    return text


def _restrictions(credit_class: str) -> list[str]:
    if credit_class in BARRED:
        return ["no_exit", "no_fast_lane"]
    return ["fast_lane"] if credit_class == rules.GOOD else []


@dataclass(frozen=True)
class EventReading:
    """An event as read: its kind in the reader's language, source, reference, when, what
    it lifts, and the filing it concerns."""

    id: int
    kind: str
    text: str
    source: str
    ref: str
    lifts: str | None
    occurred_at: datetime
    until: datetime | None
    filing_id: int | None


@dataclass(frozen=True)
class PartyReading:
    """A party's credit as read (R-P2): class, rule and reasons in the reader's language,
    restrictions, latest events; no key, no number."""

    party_kind: str
    label: str
    credit_class: str
    class_text: str
    rule: str
    rule_version: int
    cause_event_id: int | None
    reasons: list[dict[str, Any]]
    restrictions: list[dict[str, str]]
    updated_at: datetime | None
    events: list[EventReading]


@dataclass(frozen=True)
class OwnCredit:
    """A party the user files for: their filings for it, and its credit."""

    filings: list[int]
    party: PartyReading


@dataclass(frozen=True)
class StaffCredit:
    """A party's credit as staff reached it: by its record, or by a filing of its own."""

    record_id: int | None
    party: PartyReading
    filing_id: int | None = None


def _event(event: CreditEvent, locale: str) -> EventReading:
    return EventReading(event.id, event.kind, translate(rules.KINDS[event.kind], locale),
                        event.source, event.ref, event.lifts, event.occurred_at, event.until,
                        event.detail.get("filing_id"))


def reading(record: CreditRecord | None, party_kind: str, locale: str,
            events: list[CreditEvent]) -> PartyReading:
    """A record with its class, rule and reasons localised (no key, no number)."""
    credit_class = record.credit_class if record and record.rule else rules.NORMAL
    reasons = record.reasons if record and record.rule else [
        {"rule": "R-P2.5", "count": 0, "needed": rules.GOOD_MIN_ON_TIME}]
    return PartyReading(
        party_kind=party_kind, label=record.label if record else "",
        credit_class=credit_class,
        class_text=translate(rules.CLASSES[credit_class], locale),
        rule=record.rule if record and record.rule else "R-P2.5",
        rule_version=record.rule_version if record and record.rule else rules.VERSION,
        cause_event_id=record.cause_event_id if record else None,
        reasons=[{**r, "text": reason_text(r, locale)} for r in reasons],
        restrictions=[{"code": c, "text": translate(RESTRICTION_TEXTS[c], locale)}
                      for c in _restrictions(credit_class)],
        updated_at=record.updated_at if record else None,
        events=[_event(e, locale) for e in events])


async def _party(key: str, kind: str, locale: str) -> PartyReading:
    record = await CreditRecord.get_or_none(party_key=key)
    found = await CreditEvent.filter(party_key=key).order_by("-occurred_at", "-id").limit(200)
    return reading(record, record.party_kind if record else kind, locale, found)


async def own(user: User) -> list[OwnCredit]:
    """The credit of every party the user files for (their own identity, their unit)."""
    rows = await Filing.filter(applicant_id=user.id, owner_key__not_isnull=True) \
        .order_by("id").values_list("id", "owner_key", "category")
    parties: dict[str, tuple[str, list[int]]] = {}
    for filing_id, key, category in rows:
        kind = "person" if str(category) == "personal" else "organisation"
        parties.setdefault(str(key), (kind, []))[1].append(int(filing_id))
    return [OwnCredit(ids, await _party(key, kind, user.locale))
            for key, (kind, ids) in parties.items()]


async def of_filing(staff: User, filing_id: int) -> StaffCredit:
    """Staff: the credit of a filing's owner (reviewers, customs, admins)."""
    require_role(staff, *STAFF_ROLES)
    filing = await Filing.get_or_none(id=filing_id)
    if filing is None or not filing.owner_key:
        raise NotFound("filing_not_found", "id")
    kind = "person" if filing.category.value == "personal" else "organisation"
    record = await CreditRecord.get_or_none(party_key=filing.owner_key)
    return StaffCredit(record.id if record else None,
                       await _party(filing.owner_key, kind, staff.locale), filing.id)


async def of_record(staff: User, record_id: int) -> StaffCredit:
    """Staff: a party's credit by its record id."""
    require_role(staff, *STAFF_ROLES)
    record = await CreditRecord.get_or_none(id=record_id)
    if record is None:
        raise NotFound("credit_not_found", "id")
    return StaffCredit(record.id, await _party(record.party_key, record.party_kind,
                                               staff.locale))


async def listing(staff: User, credit_class: str | None = None,
                  limit: int = 200) -> list[CreditRecord]:
    """Staff: records, the barred first, then the latest changed."""
    require_role(staff, *STAFF_ROLES)
    query = CreditRecord.all()
    if credit_class in rules.CLASSES:
        query = query.filter(credit_class=credit_class)
    return await query.order_by("-updated_at").limit(limit)
