"""Credit events and records (R-P2.7): :func:`record_event` is the one way an event enters,
from this code or from outside (an agency's feed), and the class is derived again at once.

Call it inside the transaction of the change it records, so the event and the change
commit together. ``(source, ref)`` is unique: a retry or a duplicate is answered with the
event already stored, and counts once. The party's record row is locked first (on
PostgreSQL), so two events of one party never derive its class from a stale view.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from borderpass.core.errors import Conflict, FieldError
from borderpass.models.credit import CreditEvent, CreditRecord
from borderpass.models.enums import SubjectKind
from borderpass.services import clock
from borderpass.services.credit import rules
from borderpass.services.credit.hooks import ClassChange, class_changed

PARTY_KINDS = frozenset(k.value for k in SubjectKind)


def _check(party_kind: str, party_key: str, kind: str, source: str, ref: str) -> None:
    if party_kind not in PARTY_KINDS:
        raise FieldError("choice", "party_kind", choices=", ".join(sorted(PARTY_KINDS)))
    if not party_key or len(party_key) > 64:
        raise FieldError("required", "party_key")
    if kind not in rules.KINDS:
        raise FieldError("choice", "kind", choices=", ".join(rules.KINDS))
    if not source or len(source) > 40:
        raise FieldError("length", "source", max=40)
    if not ref or len(ref) > 100:
        raise FieldError("length", "ref", max=100)


async def record_event(*, party_kind: str, party_key: str, kind: str, source: str, ref: str,
                       occurred_at: datetime | None = None, lifts: str | None = None,
                       until: datetime | None = None, label: str = "",
                       detail: dict[str, Any] | None = None) -> CreditEvent:
    """Add one event to a party's credit and derive its class again (R-P2.7).

    - ``party_kind``: ``person`` or ``organisation``; ``party_key``: the blind index of the
      identity number (``cipher.blind_index(number, "id_number")``) or of the USCC
      (``cipher.blind_index(uscc, "uscc")``), as ``filings.owner_key`` holds it.
    - ``kind``: one of ``rules.KINDS``; a lift or release (``rules.ENDS``) names in
      ``lifts`` the ``ref`` of the event it ends, from the same ``source``.
    - ``source`` and ``ref``: where it comes from and its reference there, unique together:
      a repeat returns the stored event and changes nothing. External feeds use their own
      source name (e.g. ``agency:customs``).
    - ``until``: when a lasting event ends by itself; ``label``: the party's masked name or
      enterprise name, for staff pages; ``detail``: ids only, no personal data.
    """
    _check(party_kind, party_key, kind, source, ref)
    if kind in rules.ENDS and not lifts:
        raise FieldError("required", "lifts")
    async with in_transaction():
        record = await _locked_record(party_kind, party_key, label)
        found = await CreditEvent.get_or_none(source=source, ref=ref)
        if found is not None:
            if found.party_key != party_key or found.kind != kind:
                raise Conflict("credit_event_ref_taken", "ref")
            return found
        event = await CreditEvent.create(
            party_key=party_key, party_kind=party_kind, kind=kind, source=source, ref=ref,
            lifts=lifts, occurred_at=occurred_at or clock.now(), until=until,
            detail=detail or {})
        await derive(record)
    return event


async def _locked_record(party_kind: str, party_key: str, label: str) -> CreditRecord:
    """The party's record, created if new, locked for this transaction (PostgreSQL)."""
    await CreditRecord.bulk_create(
        [CreditRecord(party_key=party_key, party_kind=party_kind, label=label[:100])],
        ignore_conflicts=True)
    record = await CreditRecord.filter(party_key=party_key).select_for_update().get()
    if label and record.label != label[:100]:
        record.label = label[:100]
    return record


async def derive(record: CreditRecord) -> bool:
    """Derive the record's class again from all its events, save it, and pass a change to
    the hook. Call with the record locked (in the caller's transaction). True if changed."""
    events = await CreditEvent.filter(party_key=record.party_key).order_by("occurred_at", "id")
    verdict = rules.classify(events, clock.now())
    before = record.credit_class if record.rule else rules.NORMAL  # a new party: normal
    record.credit_class, record.rule, record.rule_version = (
        verdict.credit_class, verdict.rule, rules.VERSION)
    record.cause_event_id = verdict.cause.id if verdict.cause else None
    record.reasons, record.recheck_at = verdict.reasons, verdict.recheck_at
    await record.save()
    if before == verdict.credit_class:
        return False
    await class_changed(ClassChange(
        record.party_key, record.party_kind, before, verdict.credit_class,
        verdict.rule, rules.VERSION, record.cause_event_id, record.id, record.label))
    return True


async def rederive_due(batch: int = 200) -> int:
    """Derive again the records whose class time alone may have changed (a term or the
    window ended): the background loop's share of R-P2. Returns how many it derived."""
    derived = 0
    for key in await CreditRecord.filter(recheck_at__lte=clock.now()).order_by("recheck_at") \
            .limit(batch).values_list("party_key", flat=True):
        async with in_transaction():
            record = await CreditRecord.filter(party_key=key).select_for_update().get()
            await derive(record)
            derived += 1
    return derived


async def class_of(party_key: str | None) -> CreditRecord | None:
    """The party's record, or None (no events yet: the rules' default, normal)."""
    if not party_key:
        return None
    return await CreditRecord.get_or_none(party_key=party_key)
