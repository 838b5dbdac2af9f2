"""Push attempts are counted by channel, outcome and WeChat error code (issue 22)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import driver_user
from prometheus_client import REGISTRY

from borderpass.models.notify import Recipient, SubscribeGrant
from borderpass.services import clock
from borderpass.services.notify import kinds, outbox
from borderpass.services.notify.sender import deliver_due

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, daytime
SENDS = "borderpass_notify_sends_total"
EXPECTED = [("subscribe", "refused:no_grant", "43101"),
            ("custom", "refused:window_closed", "45015"), ("template", "sent", "")]


def _count(channel: str, outcome: str, errcode: str) -> float:
    return REGISTRY.get_sample_value(SENDS, {"channel": channel, "outcome": outcome,
                                             "errcode": errcode}) or 0.0


async def test_sends_are_counted_with_wechat_error_codes(fake_wechat, push, config) -> None:
    clock.freeze(T0)
    user = await driver_user("mia")
    fake_wechat.add_user(user.openid)
    fake_wechat.add_user("oa-mia")
    await SubscribeGrant.create(user=user, template_id="sub-filing", remaining=1)
    await Recipient.create(user=user, oa_openid="oa-mia",
                           last_contact_at=T0 - timedelta(hours=1))
    await outbox.enqueue([outbox.Intent("m1", user.id, kinds.FILING_APPROVED, user.locale,
                                        {"filing_id": 7, "plate": "云N12345",
                                         "expires_at": "2027-11-26T03:00:00+00:00"})])
    before = [_count(*labels) for labels in EXPECTED]
    assert await deliver_due(config, push) == 1
    after = [_count(*labels) for labels in EXPECTED]
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]
