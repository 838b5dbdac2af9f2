"""The chat bot during an outage: WeChat must send the message again (issue 17).

WeChat retries a message only when it got no answer within 5 s; an error status makes it
tell the user the account cannot serve them and never retry. So during an outage the answer
is held past the reply deadline (WeChat has given up and will retry), then a 503.
"""

from __future__ import annotations

import pytest
from outages import CLOSED_DB, point_db_at

pytestmark = pytest.mark.usefixtures("db")


async def test_outage_answers_nothing_and_the_retry_runs(bot, wechat_user, db) -> None:
    bot.reply_deadline = 0.3  # WeChat's 5 s, shortened for the test
    alice = wechat_user()
    message = alice.xml("text", 424242, Content="你好")
    await point_db_at(CLOSED_DB)
    try:
        reply = await alice.post(message)
    finally:
        await point_db_at(db)
    assert reply.status == 503 and reply.raw == ""  # no "success": the message is not lost
    again = await alice.post(message)  # WeChat's retry, same MsgId: the turn runs now
    assert again.status == 200 and again.text
