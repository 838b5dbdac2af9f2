"""Subscribe grants through the HTTP API and the fake WeChat: one accept is one message,
never below zero, retries of an accept count once, the oldest waiting message goes first,
and a superseded review result is not sent (issue #18 item 9)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import staff

from borderpass.core.i18n import translate
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.notify import (
    DeliveryAttempt,
    Notification,
    NotificationStatus,
    SubscribeGrant,
)
from borderpass.services.filings import filings, review
from borderpass.services.notify import kinds, outbox
from borderpass.services.notify.sender import deliver_due
from borderpass.web.appkeys import DEPS

S = NotificationStatus
SUB_PATH = "cgi-bin/message/subscribe/send"


async def _driver(client: TestClient, fake: Any, locale: str = "zh_CN") -> tuple[dict, User]:
    code = fake.issue_login_code("o-alice")
    body = await (await client.post("/api/v1/auth/wx-login", json={"code": code})).json()
    headers = {"Authorization": f"Bearer {body['token']}"}
    await client.patch("/api/v1/me", json={"locale": locale}, headers=headers)
    return headers, await User.get(id=body["user"]["id"])


async def _accept(client: TestClient, fake: Any, headers: dict, template: str,
                  key: str | None = None) -> Any:
    """The user taps "allow" once: WeChat holds one more send, the app posts the answer."""
    fake.grant_subscription("o-alice", template, 1)
    extra = {"Idempotency-Key": key} if key else {}
    resp = await client.post("/api/v1/notify/subscriptions", json={"results": {template:
                                                                              "accept"}},
                             headers={**headers, **extra})
    assert resp.status == 200, await resp.text()
    return resp


async def _unit_notices(user: User, count: int) -> list[Notification]:
    await outbox.enqueue([outbox.Intent(f"unit:{i}", user.id, kinds.UNIT_LIST_CHANGED,
                                        user.locale, {"unit": "瑞丽某公司", "subject": f"人员{i}",
                                                      "change": "added", "reason": ""})
                          for i in range(count)])
    return await Notification.filter(user_id=user.id).order_by("id")


async def _statuses(rows: list[Notification]) -> list[S]:
    return [(await Notification.get(id=r.id)).status for r in rows]


async def _remaining(user: User, template: str) -> int:
    return (await SubscribeGrant.get(user_id=user.id, template_id=template)).remaining


async def test_one_accept_releases_one_message_oldest_first(notify_client, fake_wechat, push,
                                                            config) -> None:
    headers, user = await _driver(notify_client, fake_wechat)
    rows = await _unit_notices(user, 3)
    await deliver_due(config, push)
    assert await _statuses(rows) == [S.WAITING] * 3  # no channel yet
    for step in range(3):
        await _accept(notify_client, fake_wechat, headers, "sub-unit")
        await deliver_due(config, push)
        assert await _statuses(rows) == [S.SENT] * (step + 1) + [S.WAITING] * (2 - step)
        assert await _remaining(user, "sub-unit") == 0  # never negative
    subjects = [m.body["data"]["thing1"]["value"] for m in fake_wechat.messages("subscribe")]
    assert subjects == ["人员0", "人员1", "人员2"]  # in the order they were queued
    assert fake_wechat.calls(SUB_PATH) == 3  # no send WeChat had to refuse (43101)
    assert not await DeliveryAttempt.filter(errcode=43101).exists()


async def test_two_workers_spend_one_grant_once(notify_client, fake_wechat, push, config
                                                ) -> None:
    headers, user = await _driver(notify_client, fake_wechat)
    rows = await _unit_notices(user, 3)
    await _accept(notify_client, fake_wechat, headers, "sub-unit")
    await asyncio.gather(deliver_due(config, push), deliver_due(config, push))
    assert await _statuses(rows) == [S.SENT, S.WAITING, S.WAITING]
    assert await _remaining(user, "sub-unit") == 0
    assert fake_wechat.calls(SUB_PATH) == 1
    # the next accept is honoured (not swallowed by a negative count)
    await _accept(notify_client, fake_wechat, headers, "sub-unit")
    await deliver_due(config, push)
    assert await _statuses(rows) == [S.SENT, S.SENT, S.WAITING]


async def test_a_retried_accept_counts_once(notify_client, fake_wechat) -> None:
    headers, user = await _driver(notify_client, fake_wechat)
    first = await _accept(notify_client, fake_wechat, headers, "sub-unit", key="tap-1")
    fake_wechat.grant_subscription("o-alice", "sub-unit", -1)  # the retry is one tap
    again = await _accept(notify_client, fake_wechat, headers, "sub-unit", key="tap-1")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert await first.json() == await again.json() == {"grants": {"sub-unit": 1}}
    assert await _remaining(user, "sub-unit") == 1
    twins = await asyncio.gather(*(
        notify_client.post("/api/v1/notify/subscriptions",
                           json={"results": {"sub-unit": "accept"}},
                           headers={**headers, "Idempotency-Key": "tap-2"}) for _ in range(2)))
    assert sorted(r.status for r in twins) in ([200, 200], [200, 409])
    assert await _remaining(user, "sub-unit") == 2  # one more, not two


async def test_a_reject_keeps_earlier_accepts(notify_client, fake_wechat) -> None:
    headers, _ = await _driver(notify_client, fake_wechat)
    await _accept(notify_client, fake_wechat, headers, "sub-unit")
    resp = await notify_client.post("/api/v1/notify/subscriptions",
                                    json={"results": {"sub-unit": "reject"}}, headers=headers)
    assert (await resp.json())["grants"] == {"sub-unit": 1}
    resp = await notify_client.post("/api/v1/notify/subscriptions",
                                    json={"results": {"sub-unit": "ban"}}, headers=headers)
    assert (await resp.json())["grants"] == {"sub-unit": 0}


@pytest.mark.parametrize("locale", ["zh_CN", "my", "en"])
async def test_returned_then_approved_sends_only_the_approval(notify_client, fake_wechat, push,
                                                              config, locale: str) -> None:
    from factories import personal_body, submitted_filing

    headers, user = await _driver(notify_client, fake_wechat, locale)
    deps = notify_client.server.app[DEPS]
    filing = await submitted_filing(deps, user, personal_body())
    reviewer = await staff(Role.REVIEWER)
    await review.return_filing(reviewer, filing.id, [{"field": "general", "code": "other",
                                                      "message": "照片太暗"}])
    await filings.submit(deps, user, filing.id)
    await review.approve(reviewer, filing.id)
    await deliver_due(config, push)  # no grant yet: both wait
    for _ in range(2):
        await _accept(notify_client, fake_wechat, headers, "sub-filing")
    await deliver_due(config, push)
    returned = await Notification.get(kind=kinds.FILING_RETURNED)
    approved = await Notification.get(kind=kinds.FILING_APPROVED)
    assert returned.status is S.SKIPPED and "superseded" in returned.last_error
    assert approved.status is S.SENT
    [sent] = fake_wechat.messages("subscribe")
    assert sent.body["data"]["thing2"]["value"] == translate("审核通过", locale)
    assert await _remaining(user, "sub-filing") == 1  # the skipped one spent nothing
