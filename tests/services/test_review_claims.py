"""Review claims (R-F11): one reviewer holds a filing, others see who and cannot decide it
without taking it over; claims lapse after 15 minutes; a decision ends the claim; the next
filing skips what others hold; the queue has a total and pages."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from factories import driver_user, personal_body, staff, submitted_filing

from borderpass.core.errors import Conflict
from borderpass.models import AuditEvent, Filing
from borderpass.models.claims import ReviewClaim
from borderpass.models.enums import FilingStatus, Role
from borderpass.services import clock
from borderpass.services.filings import review, review_claims

pytestmark = pytest.mark.usefixtures("db")


async def _two_reviewers() -> tuple:
    return await staff(Role.REVIEWER, "rev-a"), await staff(Role.REVIEWER, "rev-b")


async def test_a_held_filing_cannot_be_decided_by_another(deps) -> None:  # R-F11
    a, b = await _two_reviewers()
    filing = await submitted_filing(deps, await driver_user())
    held = await review_claims.claim(a, filing)
    assert held is not None and held.mine and held.name == "rev-a"
    seen = await review_claims.claim(b, filing)  # b opens it: sees a, takes nothing
    assert seen is not None and not seen.mine and seen.user_id == a.id
    with pytest.raises(Conflict) as err:
        await review.approve(b, filing.id)
    assert err.value.code == "filing_claimed" and err.value.params["holder"] == "rev-a"
    with pytest.raises(Conflict):
        await review.return_filing(b, filing.id, [{"field": "vehicle.vin", "code": "invalid"}])
    await filing.refresh_from_db()
    assert filing.status is FilingStatus.SUBMITTED  # nothing changed
    assert (await ReviewClaim.get(filing_id=filing.id)).user_id == a.id


async def test_take_over_is_explicit_and_audited(deps) -> None:  # R-F11
    a, b = await _two_reviewers()
    filing = await submitted_filing(deps, await driver_user())
    await review_claims.claim(a, filing)
    taken = await review_claims.claim(b, filing, take_over=True)
    assert taken is not None and taken.mine
    audit = await AuditEvent.get(action="claim_takeover", subject_id=filing.id)
    assert audit.detail["from_user_id"] == a.id
    with pytest.raises(Conflict):  # now a is the one who must take over
        await review.approve(a, filing.id)
    await review.approve(b, filing.id)
    assert not await ReviewClaim.exists(filing_id=filing.id)  # the decision ends the claim


async def test_a_claim_lapses_after_fifteen_minutes(deps) -> None:  # R-F11
    a, b = await _two_reviewers()
    filing = await submitted_filing(deps, await driver_user())
    start = clock.now()
    clock.freeze(start)
    await review_claims.claim(a, filing)
    clock.freeze(start + timedelta(minutes=14, seconds=59))
    assert not (await review_claims.claim(b, filing)).mine  # still a's
    clock.freeze(start + timedelta(minutes=15, seconds=1))
    assert await review_claims.holders(b, [filing.id]) == {}
    held = await review_claims.claim(b, filing)  # lapsed: free, no take-over needed
    assert held is not None and held.mine
    assert not await AuditEvent.exists(action="claim_takeover")
    await review.return_filing(b, filing.id, [{"field": "vehicle.vin", "code": "invalid"}])


async def test_renewal_keeps_the_claim_alive(deps) -> None:
    a, b = await _two_reviewers()
    filing = await submitted_filing(deps, await driver_user())
    start = clock.now()
    clock.freeze(start)
    await review_claims.claim(a, filing)
    clock.freeze(start + timedelta(minutes=10))
    await review_claims.claim(a, filing)  # a reopens it: 15 more minutes
    clock.freeze(start + timedelta(minutes=20))
    assert not (await review_claims.claim(b, filing)).mine


async def test_concurrent_claims_leave_one_holder(deps) -> None:  # R-F11
    a, b = await _two_reviewers()
    filing = await submitted_filing(deps, await driver_user())
    got = await asyncio.gather(review_claims.claim(a, filing), review_claims.claim(b, filing))
    assert sum(1 for h in got if h is not None and h.mine) == 1
    assert await ReviewClaim.filter(filing_id=filing.id).count() == 1


async def test_filings_not_awaiting_review_are_never_claimed(deps) -> None:
    a, _b = await _two_reviewers()
    filing = await submitted_filing(deps, await driver_user())
    await review.approve(a, filing.id)
    assert await review_claims.claim(a, await Filing.get(id=filing.id)) is None
    assert not await ReviewClaim.exists()


async def test_next_in_queue_skips_the_decided_and_the_held(deps) -> None:
    a, b = await _two_reviewers()
    first = await submitted_filing(deps, await driver_user("a"))
    second = await submitted_filing(deps, await driver_user("b"),
                                    personal_body(plate_number="云N22222"))
    third = await submitted_filing(deps, await driver_user("c"),
                                   personal_body(plate_number="云N33333"))
    await review_claims.claim(b, second)
    assert await review.next_in_queue(a, first.id) == third.id  # second is b's
    assert await review.next_in_queue(b, first.id) == second.id  # b's own is fine
    await review.approve(a, third.id)
    assert await review.next_in_queue(a, first.id) is None


async def test_queue_total_and_pages(deps) -> None:
    a, _b = await _two_reviewers()
    made = [await submitted_filing(deps, await driver_user(f"d{i}"),
                                   personal_body(plate_number=f"云N1000{i}")) for i in range(3)]
    assert await review.queue_total(a) == 3
    page_two = await review.queue(deps, a, limit=2, offset=2)
    assert [x["id"] for x in page_two] == [made[2].id]
