"""Delivery through the fake WeChat: channels in order, failures, retries, exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from factories import driver_user
from notify_helpers import TIMEOUT

from borderpass.models.notify import (
    DeliveryAttempt,
    Notification,
    NotificationStatus,
    Recipient,
    SubscribeGrant,
)
from borderpass.services import clock
from borderpass.services.notify import events, kinds, outbox
from borderpass.services.notify.sender import GATHER, deliver_due, rest_after

pytestmark = pytest.mark.usefixtures("db")
LATE = TIMEOUT + 0.5  # WeChat answers after the client gave up
T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, daytime
SUB_PATH = "cgi-bin/message/subscribe/send"
CUSTOM_PATH = "cgi-bin/message/custom/send"
TEMPLATE_PATH = "cgi-bin/message/template/send"


async def _user(fake, name: str = "alice", *, grant: int = 0, oa: bool = False,
                contact: bool = False, locale: str = "zh_CN"):
    user = await driver_user(name)
    fake.add_user(user.openid)
    user.locale = locale
    await user.save()
    if grant:
        await SubscribeGrant.create(user=user, template_id="sub-filing", remaining=grant)
    if oa:
        fake.add_user(f"oa-{name}")
        await Recipient.create(user=user, oa_openid=f"oa-{name}",
                               last_contact_at=T0 - timedelta(hours=1) if contact else None)
    return user


async def _queue(user, key: str = "k1") -> Notification:
    await outbox.enqueue([outbox.Intent(key, user.id, kinds.FILING_APPROVED, user.locale,
                                        {"filing_id": 7, "plate": "云N12345",
                                         "expires_at": "2027-11-26T03:00:00+00:00"})])
    return await Notification.get(dedupe_key=key)


async def _row(row: Notification) -> Notification:
    await row.refresh_from_db()
    return row


async def test_subscribe_message_uses_one_grant(fake_wechat, push, config) -> None:
    clock.freeze(T0)
    user = await _user(fake_wechat, grant=2)
    fake_wechat.grant_subscription(user.openid, "sub-filing", 1)
    row = await _queue(user)
    assert await deliver_due(config, push) == 1
    row = await _row(row)
    assert row.status is NotificationStatus.SENT and row.channel == "subscribe"
    [attempt] = await DeliveryAttempt.filter(notification=row)
    assert attempt.outcome == "sent" and attempt.msgid
    [sent] = fake_wechat.messages("subscribe")
    assert sent.template_id == "sub-filing"
    assert sent.body["data"]["thing2"]["value"] == "审核通过"
    assert all(len(v["value"]) <= 20 for k, v in sent.body["data"].items() if "thing" in k)
    assert sent.body["page"] == "pages/filing/detail?id=7"
    assert (await SubscribeGrant.get(user=user)).remaining == 1
    assert await deliver_due(config, push) == 0  # nothing twice


async def test_no_grant_falls_through_to_the_next_channel(fake_wechat, push, config) -> None:
    """43101 → the customer-service window; 45015 → the OA template message."""
    clock.freeze(T0)
    # we think both channels are open: WeChat knows better
    user = await _user(fake_wechat, grant=1, oa=True, contact=True)
    row = await _queue(user)
    await deliver_due(config, push)
    row = await _row(row)
    assert row.status is NotificationStatus.SENT and row.channel == "template"
    outcomes = await DeliveryAttempt.filter(notification=row).order_by("id") \
        .values_list("channel", "outcome", "errcode")
    assert outcomes == [("subscribe", "refused:no_grant", 43101),
                        ("custom", "refused:window_closed", 45015), ("template", "sent", None)]
    assert (await SubscribeGrant.get(user=user)).remaining == 0
    assert (await Recipient.get(user=user)).last_contact_at is None
    [sent] = fake_wechat.messages("template")
    assert sent.body["miniprogram"]["pagepath"] == "pages/filing/detail?id=7"
    assert sent.body["client_msg_id"]


async def test_closed_window_keeps_the_message_for_the_next_contact(fake_wechat, push, config
                                                                     ) -> None:
    clock.freeze(T0)
    user = await _user(fake_wechat, oa=True, contact=True)
    row = await _queue(user)
    no_template = type(config)(subscribe_templates=config.subscribe_templates,
                               official_account=True)
    await deliver_due(no_template, push)
    assert (await _row(row)).status is NotificationStatus.WAITING
    assert fake_wechat.messages("custom") == []
    fake_wechat.touch_user("oa-alice")  # the user writes to the Official Account
    assert await events.record_contact("oa-alice")
    await deliver_due(no_template, push)
    row = await _row(row)
    assert row.status is NotificationStatus.SENT and row.channel == "custom"
    [sent] = fake_wechat.messages("custom")
    text = sent.body["text"]["content"]
    assert "云N12345" in text and 'data-miniprogram-path="pages/filing/detail?id=7"' in text


async def test_server_error_is_retried_with_backoff_and_sent_once(fake_wechat, push, config
                                                                  ) -> None:
    clock.freeze(T0)
    user = await _user(fake_wechat, grant=1)
    fake_wechat.grant_subscription(user.openid, "sub-filing", 1)
    row = await _queue(user)
    fake_wechat.fail_next(SUB_PATH, status=502, times=2)
    await deliver_due(config, push)
    row = await _row(row)
    assert row.status is NotificationStatus.PENDING and row.attempts == 1
    assert row.next_at == T0 + timedelta(seconds=30)
    assert (await SubscribeGrant.get(user=user)).remaining == 1  # given back
    assert await deliver_due(config, push) == 0  # not yet due
    clock.freeze(T0 + timedelta(seconds=30))
    await deliver_due(config, push)
    assert (await _row(row)).next_at == T0 + timedelta(seconds=90)  # 30 s, then 60 s
    clock.freeze(T0 + timedelta(seconds=90))
    await deliver_due(config, push)
    row = await _row(row)
    assert row.status is NotificationStatus.SENT and row.attempts == 3
    assert len(fake_wechat.messages("subscribe")) == 1


async def test_persistent_failure_is_left_visibly_failed(fake_wechat, push, config) -> None:
    clock.freeze(T0)
    user = await _user(fake_wechat, grant=1)
    row = await _queue(user)
    fake_wechat.fail_next(SUB_PATH, status=503, times=outbox.MAX_ATTEMPTS)
    for _ in range(outbox.MAX_ATTEMPTS):
        clock.freeze(clock.now() + outbox.BACKOFF_CAP)
        await deliver_due(config, push)
    row = await _row(row)
    assert row.status is NotificationStatus.FAILED and row.attempts == outbox.MAX_ATTEMPTS
    assert "gave up" in row.last_error
    assert fake_wechat.messages("subscribe") == []


async def test_expired_token_is_refreshed_and_the_message_sent_once(fake_wechat, push, config
                                                                    ) -> None:
    clock.freeze(T0)
    user = await _user(fake_wechat, grant=2)
    fake_wechat.grant_subscription(user.openid, "sub-filing", 2)
    await _queue(user, "k1")
    await deliver_due(config, push)
    fake_wechat.revoke_tokens()  # another process force-refreshed: our token answers 40001
    row = await _queue(user, "k2")
    await deliver_due(config, push)
    row = await _row(row)
    assert row.status is NotificationStatus.SENT and row.attempts == 1
    assert len(fake_wechat.messages("subscribe")) == 2


async def test_timeout_on_subscribe_fails_visibly_never_twice(fake_wechat, push, config) -> None:
    """No idempotency key on subscribe sends: an unanswered call is not repeated blindly."""
    clock.freeze(T0)
    user = await _user(fake_wechat, grant=1)
    fake_wechat.grant_subscription(user.openid, "sub-filing", 1)
    row = await _queue(user)
    fake_wechat.fail_next(SUB_PATH, delay=LATE)  # WeChat takes it, answers too late
    await deliver_due(config, push)
    row = await _row(row)
    assert row.status is NotificationStatus.FAILED and row.maybe_delivered
    clock.freeze(T0 + timedelta(hours=2))
    assert await deliver_due(config, push) == 0
    await asyncio.sleep(LATE - TIMEOUT + 0.3)  # let the fake finish the late request
    assert len(fake_wechat.messages("subscribe")) == 1


async def test_timeout_on_template_is_retried_with_the_same_key(fake_wechat, push, config
                                                                ) -> None:
    clock.freeze(T0)
    user = await _user(fake_wechat, oa=True)
    row = await _queue(user)
    fake_wechat.fail_next(TEMPLATE_PATH, delay=LATE)
    await deliver_due(config, push)
    row = await _row(row)
    assert row.status is NotificationStatus.PENDING and row.pinned_channel == "template"
    await asyncio.sleep(LATE - TIMEOUT + 0.3)  # the fake delivers the first call late
    clock.freeze(T0 + timedelta(seconds=30))
    await deliver_due(config, push)
    row = await _row(row)
    assert row.status is NotificationStatus.SENT and row.attempts == 2
    assert len(fake_wechat.messages("template")) == 1  # WeChat deduped on client_msg_id


async def _kill_mid_send(fake_wechat, push, config, path: str) -> None:
    """Start a worker, let its request reach WeChat, then kill it before the answer."""
    fake_wechat.fail_next(path, delay=0.6)
    worker = asyncio.create_task(deliver_due(config, push))
    for _ in range(100):
        if fake_wechat.calls(path):
            break
        await asyncio.sleep(0.01)
    worker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await worker
    await asyncio.sleep(0.7)  # the fake completes the request the dead worker made


async def test_worker_killed_mid_send_on_template_delivers_exactly_once(fake_wechat, push, config
                                                                        ) -> None:
    clock.freeze(T0)
    user = await _user(fake_wechat, oa=True)
    row = await _queue(user)
    await _kill_mid_send(fake_wechat, push, config, TEMPLATE_PATH)
    assert (await _row(row)).status is NotificationStatus.SENDING
    assert await deliver_due(config, push) == 0  # leased to the dead worker
    clock.freeze(T0 + timedelta(seconds=config.lease_seconds))
    assert await deliver_due(config, push) == 1
    row = await _row(row)
    assert row.status is NotificationStatus.SENT
    assert len(fake_wechat.messages("template")) == 1
    outcomes = await DeliveryAttempt.filter(notification=row).values_list("outcome", flat=True)
    assert sorted(outcomes) == ["sent", "unknown"]


async def test_worker_killed_mid_send_on_subscribe_is_not_resent(fake_wechat, push, config
                                                                 ) -> None:
    clock.freeze(T0)
    user = await _user(fake_wechat, grant=1)
    fake_wechat.grant_subscription(user.openid, "sub-filing", 1)
    row = await _queue(user)
    await _kill_mid_send(fake_wechat, push, config, SUB_PATH)
    clock.freeze(T0 + timedelta(seconds=config.lease_seconds))
    await deliver_due(config, push)
    row = await _row(row)
    assert row.status is NotificationStatus.FAILED and row.maybe_delivered
    assert len(fake_wechat.messages("subscribe")) == 1


async def test_two_workers_never_send_one_message_twice(fake_wechat, push, config) -> None:
    clock.freeze(T0)
    user = await _user(fake_wechat, oa=True)
    for i in range(30):
        await _queue(user, f"k{i}")
    await asyncio.gather(deliver_due(config, push), deliver_due(config, push))
    assert await Notification.filter(status=NotificationStatus.SENT).count() == 30
    assert len(fake_wechat.messages("template")) == 30


async def test_user_without_any_channel_waits_for_a_grant(fake_wechat, push, config) -> None:
    clock.freeze(T0)
    user = await _user(fake_wechat)
    row = await _queue(user)
    await deliver_due(config, push)
    assert (await _row(row)).status is NotificationStatus.WAITING
    fake_wechat.grant_subscription(user.openid, "sub-filing", 1)
    await events.record_grants(user, {"sub-filing": "accept"}, frozenset({"sub-filing"}))
    await deliver_due(config, push)
    assert (await _row(row)).status is NotificationStatus.SENT


def test_worker_lets_a_stream_gather_but_not_a_backlog() -> None:
    assert rest_after(200, 200, 1.0) == 0.0  # a full batch: more are waiting
    assert rest_after(37, 200, 1.0) == GATHER  # a partial batch: let the next one fill
    assert rest_after(37, 200, 0.1) == 0.1  # never longer than the poll interval
    assert rest_after(0, 200, 1.0) == 1.0  # nothing due: the poll interval
