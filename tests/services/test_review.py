"""Review: queue order, office-time clock, approve for a year, return with reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from factories import driver_user, personal_body, staff, submitted_filing

from borderpass.core.errors import Conflict, FieldError, Forbidden
from borderpass.models.enums import FilingStatus, Role
from borderpass.services import clock
from borderpass.services.filings import filings, review
from borderpass.services.office_hours import office_seconds

pytestmark = pytest.mark.usefixtures("db")
SH = ZoneInfo("Asia/Shanghai")


def test_office_time_counts_only_office_hours() -> None:  # R-F10
    friday_noon = datetime(2026, 11, 27, 11, 50, tzinfo=SH)
    monday = datetime(2026, 11, 30, 8, 40, tzinfo=SH)
    assert office_seconds(friday_noon, monday, SH) == (10 + 180 + 10) * 60
    evening = datetime(2026, 11, 26, 20, 0, tzinfo=SH)
    assert office_seconds(evening, evening + timedelta(hours=11), SH) == 0
    lunch = datetime(2026, 11, 26, 12, 0, tzinfo=SH)
    assert office_seconds(lunch, lunch + timedelta(hours=2, minutes=45), SH) == 15 * 60
    holiday = frozenset({"2026-11-30"})
    assert office_seconds(friday_noon, monday, SH, holiday) == (10 + 180) * 60


async def test_queue_in_submission_order_with_office_wait(deps) -> None:  # R-F6, R-F10
    reviewer = await staff(Role.REVIEWER)
    clock.freeze(datetime(2026, 11, 26, 9, 0, tzinfo=SH))
    first = await submitted_filing(deps, await driver_user("a"))
    clock.freeze(datetime(2026, 11, 26, 9, 10, tzinfo=SH))
    second = await submitted_filing(deps, await driver_user("b"),
                                    personal_body(plate_number="云N22222"))
    clock.freeze(datetime(2026, 11, 26, 9, 45, tzinfo=SH))
    items = await review.queue(deps, reviewer)
    assert [i["id"] for i in items] == [first.id, second.id]
    assert items[0]["waited_office_seconds"] == 45 * 60 and items[0]["overdue"]
    assert items[1]["waited_office_seconds"] == 35 * 60


async def test_approval_valid_one_year(deps) -> None:  # R-F3
    reviewer = await staff(Role.REVIEWER)
    filing = await submitted_filing(deps, await driver_user())
    clock.freeze(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    approved = await review.approve(reviewer, filing.id)
    assert approved.status is FilingStatus.APPROVED
    assert approved.expires_at == datetime(2027, 11, 26, 2, 0, tzinfo=UTC)
    assert approved.reviewer_id == reviewer.id
    clock.freeze(datetime(2027, 11, 26, 2, 0, 1, tzinfo=UTC))
    assert await review.expire_filings() == 1
    await approved.refresh_from_db()
    assert approved.status is FilingStatus.EXPIRED


async def test_return_with_reasons_then_resubmit(deps) -> None:  # R-F6
    user = await driver_user()
    reviewer = await staff(Role.REVIEWER)
    filing = await submitted_filing(deps, user)
    reasons = [{"field": "documents.photo_side", "code": "image_unclear", "message": "照片模糊"},
               {"field": "vehicle.model", "code": "mismatch", "message": "与行驶证不符"}]
    returned = await review.return_filing(reviewer, filing.id, reasons)
    assert returned.status is FilingStatus.RETURNED
    assert returned.return_reasons == [{**r, "lang": "zh_CN"} for r in reasons]  # typed in
    await filings.update(deps, user, filing.id, {"vehicle": {"model": "大众牌SVW71"}})
    again = await filings.submit(deps, user, filing.id)
    assert again.status is FilingStatus.SUBMITTED
    assert (await review.approve(reviewer, filing.id)).status is FilingStatus.APPROVED


async def test_return_needs_valid_reasons(deps) -> None:
    reviewer = await staff(Role.REVIEWER)
    filing = await submitted_filing(deps, await driver_user())
    for bad, field in (([], "reasons"), ([{"code": "x"}], "reasons[0].field"),
                       ([{"field": "vehicle.colour"}], "reasons[0].field"), ("x", "reasons")):
        with pytest.raises(FieldError) as err:
            await review.return_filing(reviewer, filing.id, bad)
        assert err.value.field == field
    await filing.refresh_from_db()
    assert filing.status is FilingStatus.SUBMITTED


async def test_only_reviewers_review_and_only_submitted(deps) -> None:
    driver = await driver_user()
    filing = await submitted_filing(deps, driver)
    with pytest.raises(Forbidden):
        await review.approve(driver, filing.id)
    with pytest.raises(Forbidden):
        await review.approve(await staff(Role.CUSTOMS), filing.id)
    reviewer = await staff(Role.REVIEWER)
    await review.approve(reviewer, filing.id)
    with pytest.raises(Conflict):
        await review.approve(reviewer, filing.id)
