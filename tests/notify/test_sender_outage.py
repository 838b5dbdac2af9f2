"""The push sender survives a database outage: it backs off, logs the outage once, and
delivers what is owed when the database is back (issue 17)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from factories import driver_user
from outages import CLOSED_DB, point_db_at

from borderpass.models.notify import Notification, NotificationStatus, SubscribeGrant
from borderpass.services.notify import kinds, outbox
from borderpass.services.notify.sender import run_worker

pytestmark = pytest.mark.usefixtures("db")


async def test_sender_waits_out_a_database_outage(fake_wechat, push, config, db,
                                                  caplog) -> None:
    caplog.set_level(logging.WARNING, "borderpass.notify")
    user = await driver_user("alice")
    fake_wechat.add_user(user.openid)
    await SubscribeGrant.create(user=user, template_id="sub-filing", remaining=2)
    fake_wechat.grant_subscription(user.openid, "sub-filing", 1)
    await outbox.enqueue([outbox.Intent("k1", user.id, kinds.FILING_APPROVED, "zh_CN",
                                        {"filing_id": 7, "plate": "云N12345",
                                         "expires_at": "2027-11-26T03:00:00+00:00"})])
    await point_db_at(CLOSED_DB)
    stop = asyncio.Event()
    sender = asyncio.create_task(run_worker(config, push, 0.05, stop))
    try:
        for _ in range(400):  # several failed turns, one log line
            if "push sender failing" in caplog.text:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        assert caplog.text.count("push sender failing") == 1
        assert not sender.done()
    finally:
        await point_db_at(db)
    try:
        for _ in range(400):
            row = await Notification.get(dedupe_key="k1")
            if row.status is NotificationStatus.SENT:
                break
            await asyncio.sleep(0.05)
        assert row.status is NotificationStatus.SENT  # delivered once the database is back
        for _ in range(100):
            if "push sender resumed" in caplog.text:
                break
            await asyncio.sleep(0.05)
        assert caplog.text.count("push sender resumed") == 1
    finally:
        stop.set()
        await sender
