"""A review decision and the message it owes are one transaction (issue #18 item 12)."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from api_helpers import outbox_broken
from console_helpers import add_staff, console_login, csrf
from factories import driver_user, submitted_filing

from borderpass.models import AuditEvent, Filing
from borderpass.models.enums import FilingStatus
from borderpass.models.notify import Notification
from borderpass.services.notify import kinds
from borderpass.web.appkeys import DEPS

pytestmark = pytest.mark.usefixtures("db")


async def _decide(client: TestClient, filing: Filing, action: str, **form: str) -> int:
    path = f"/console/review/filings/{filing.id}"
    token = await csrf(client, path)
    resp = await client.post(f"{path}/{action}", data={"csrf": token, **form})
    return resp.status


async def _reviewing(client: TestClient, locale: str = "zh_CN") -> Filing:
    await add_staff("reviewer")
    driver = await driver_user()
    driver.locale = locale
    await driver.save()
    filing = await submitted_filing(client.server.app[DEPS], driver)
    await console_login(client, "reviewer")
    return filing


@pytest.mark.parametrize("locale", ["zh_CN", "my", "en"])
async def test_an_approval_always_has_its_message(client: TestClient, locale: str) -> None:
    filing = await _reviewing(client, locale)
    assert await _decide(client, filing, "approve") == 200
    await filing.refresh_from_db()
    [row] = await Notification.filter(user_id=filing.applicant_id)  # type: ignore[attr-defined]
    assert row.kind == kinds.FILING_APPROVED and row.locale == locale
    assert row.payload["approved_at"] == filing.approved_at.isoformat()  # type: ignore[union-attr]


async def test_a_return_always_has_its_message_with_every_reason(client: TestClient) -> None:
    filing = await _reviewing(client)
    assert await _decide(client, filing, "return", field_0="vehicle.vin", code_0="invalid",
                         message_0="", field_1="general", code_1="other",
                         message_1="照片太暗") == 200
    [row] = await Notification.filter(kind=kinds.FILING_RETURNED)
    assert [r["field"] for r in row.payload["reasons"]] == ["vehicle.vin", "general"]


@pytest.mark.parametrize("action", ["approve", "return"])
async def test_outbox_failure_rolls_the_decision_back(client: TestClient, action: str) -> None:
    filing = await _reviewing(client)
    form = {"field_0": "general", "code_0": "other", "message_0": "照片太暗"} \
        if action == "return" else {}
    async with outbox_broken():
        status = await _decide(client, filing, action, **form)
    assert status >= 500  # the reviewer is told it failed (no table is not an outage)
    await filing.refresh_from_db()
    assert filing.status is FilingStatus.SUBMITTED  # nothing half done
    assert filing.approved_at is None and filing.return_reasons == []
    assert not await AuditEvent.filter(subject_type="filing", subject_id=filing.id).exists()
    assert not await Notification.exists()
    # the reviewer simply decides again once the database is whole
    assert await _decide(client, filing, action, **form) == 200
    assert await Notification.filter(user_id=filing.applicant_id).count() == 1  # type: ignore[attr-defined]
