"""An officer's confirmation of an agency's violation racing the agency's lift of it (R-P6,
R-P2.7): both are conditional updates on ``status = 'pending_review'``, so one wins whole.

Either the withdrawal won — the confirmation answers ``agency_event_decided`` (409) and
nothing enters the record — or the confirmation won — the violation is recorded and the lift
then ends it. Never both, never neither; the audit trail holds the entries of that story
and no other.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest
from exchange_helpers import inbound_body, signed_headers
from factories import staff

from borderpass.core.errors import Conflict
from borderpass.models import AuditEvent, InboundEvent, User
from borderpass.models.credit import CreditEvent, CreditRecord
from borderpass.models.enums import Role
from borderpass.services.credit import rules
from borderpass.services.exchange import inbound, kinds, reviews, subscribers
from borderpass.services.ports import Deps
from borderpass.services.validators import make_uscc

pytestmark = pytest.mark.usefixtures("db")
CODE = "customs-ruili"
# A head start, in turns of the event loop, for (the lift, the confirmation): each round
# a new violation, the two interleaving differently at the statements that decide.
STAGGER = [(0, 0), (0, 2), (0, 8), (0, 20), (2, 0), (8, 0), (20, 0), (0, 40), (40, 0)]
ROUNDS = 2 * len(STAGGER)
T = TypeVar("T")


async def _after(turns: int, work: Awaitable[T]) -> T:
    """``work``, started after ``turns`` turns of the event loop."""
    for _ in range(turns):
        await asyncio.sleep(0)
    return await work


async def _agency(deps: Deps) -> str:
    """Register the agency; its secret."""
    admin = await staff(Role.ADMIN)
    _, secret = await subscribers.register(
        admin, {"code": CODE, "name": "Customs", "kind": "customs",
                "url": "http://127.0.0.1:9/in", "event_types": [kinds.CREDIT]},
        deps.cipher, subscribers.Policy(allow_loopback_http=True))
    return secret


async def _send(deps: Deps, secret: str, event_id: str, data: dict[str, Any]) -> InboundEvent:
    """The agency's signed event, taken through the door's service (``inbound.receive``)."""
    body = inbound_body(event_id, kinds.IN_CREDIT, data)
    return await inbound.receive(signed_headers(CODE, secret, event_id, body), body,
                                 deps.cipher)


async def _trail(violation_id: int) -> list[tuple[str, str, int | None, str | None]]:
    """The audit entries of the violation's review: (action, subject, actor, status)."""
    found = await AuditEvent.filter(subject_type__in=("agency_event", "credit_event"),
                                    subject_id=violation_id).order_by("id")
    return [(e.action, e.subject_type, e.actor_id,  # type: ignore[attr-defined]
             e.detail.get("status")) for e in found]


async def _race(deps: Deps, secret: str, officer: User, n: int) -> str:
    """One violation held for review, then its confirmation and its lift at once; which
    won, after checking that the whole story is one of the two allowed."""
    uscc = make_uscc(f"MA6K{n:04d}")
    party = deps.cipher.blind_index(uscc, "uscc")
    held = await _send(deps, secret, f"v-{n}", {
        "party_kind": "organisation", "uscc": uscc, "kind": rules.VIOLATION})
    assert held.status == "pending_review"
    confirm = reviews.decide(officer, held.id, True, "case checked")
    lift = _send(deps, secret, f"l-{n}", {
        "party_kind": "organisation", "uscc": uscc, "kind": rules.VIOLATION_LIFTED,
        "lifts": f"v-{n}"})
    lift_head, confirm_head = STAGGER[n % len(STAGGER)]
    decided, lifted = await asyncio.gather(
        _after(confirm_head, confirm), _after(lift_head, lift), return_exceptions=True)
    assert isinstance(lifted, InboundEvent), lifted  # a lift is always taken
    await held.refresh_from_db()
    events = await CreditEvent.filter(party_key=party).order_by("id")
    record = await CreditRecord.get_or_none(party_key=party)
    trail = await _trail(held.id)

    if isinstance(decided, BaseException):  # the withdrawal won
        assert isinstance(decided, Conflict) and decided.code == "agency_event_decided"
        assert lifted.status == "withdrawal" and held.status == "withdrawn"
        assert held.reviewed_by_id is None  # type: ignore[attr-defined]
        assert events == [] and record is None  # nothing ever entered the record
        assert trail == [("update", "agency_event", None, "withdrawn")]
        return "withdrawn"
    assert decided.status == "confirmed" and held.status == "confirmed"
    assert lifted.status == "recorded"  # the lift ended the recorded violation
    assert [(e.kind, e.ref, e.lifts) for e in events] == [
        (rules.VIOLATION, f"v-{n}", None), (rules.VIOLATION_LIFTED, f"l-{n}", f"v-{n}")]
    assert record is not None and record.credit_class == rules.NORMAL
    assert trail == [("create", "credit_event", officer.id, None)]
    return "confirmed"


async def test_a_confirmation_racing_the_lift_tells_one_story(deps: Deps) -> None:  # R-P6
    secret = await _agency(deps)
    officer = await staff(Role.CUSTOMS)
    outcomes = [await _race(deps, secret, officer, n) for n in range(ROUNDS)]
    assert set(outcomes) <= {"withdrawn", "confirmed"}
    held = await InboundEvent.filter(status="pending_review").count()
    assert held == 0  # never neither: no violation is left waiting
    queue = await reviews.pending(officer)
    assert queue == [], json.dumps(queue)
