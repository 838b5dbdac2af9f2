"""Replays and stale callbacks (issue 16 item 3): a signature triple is good once, within
five minutes; with an EncodingAESKey only safe mode is taken. Every refusal is a 403 that
changes nothing: no dialog state, no dedupe claim, no reply, nothing queued."""

from __future__ import annotations

import asyncio
import time

import pytest
from bot_helpers import OA_TOKEN, sign

pytestmark = pytest.mark.usefixtures("db")
DAYS_3 = 3 * 24 * 3600


async def _nothing_done(bot, openid: str, claimed: int = 0) -> None:
    from borderpass.models.notify import Notification

    await bot.drain()
    assert (await bot.storage.get(openid)).step is None
    assert len(await bot.redis.keys("bot:msg:*")) == claimed  # no MsgId claimed by a refusal
    assert await Notification.all().count() == 0


async def test_old_signed_callback_is_refused(wechat_user, bot) -> None:
    user = wechat_user("oa-victim")
    old = int(time.time()) - DAYS_3
    params, data = user.signed(user.xml("text", Content="file", created=old), timestamp=old)
    reply = await user.send(params, data)
    assert reply.status == 403 and "<xml>" not in reply.raw
    await _nothing_done(bot, "oa-victim")


async def test_future_timestamp_is_refused(wechat_user, bot) -> None:
    user = wechat_user("oa-future")
    params, data = user.signed(user.xml("text", Content="file"), timestamp=int(time.time()) + 600)
    assert (await user.send(params, data)).status == 403
    await _nothing_done(bot, "oa-future")


async def test_fresh_triple_on_an_old_message_is_refused(wechat_user, bot) -> None:
    user = wechat_user("oa-2023")
    xml = user.xml("text", Content="file", created=1_690_000_000)  # CreateTime in 2023
    assert (await user.post(xml)).status == 403
    await _nothing_done(bot, "oa-2023")


async def test_same_nonce_with_another_body_is_refused(wechat_user, bot) -> None:
    from borderpass.models import Filing

    user = wechat_user("oa-replay")
    await user.say("English")
    await user.say("file")
    params, data = user.signed(user.xml("text", 556_000_002, Content="1"))
    first = await user.send(params, data)
    assert first.status == 200 and "draft" in first.text
    # The very same request again (WeChat re-sending it) gets the first answer, no new effect.
    again = await user.send(params, data)
    assert again.status == 200 and again.text == first.text
    assert await Filing.all().count() == 1
    # The same triple with another body: the same sender's other message is refused…
    other = user.signed(user.xml("text", 556_000_003, Content="help"),
                        timestamp=int(params["timestamp"]), nonce=params["nonce"])
    assert (await user.send(*other)).status == 403
    # …and so is another sender's (another MsgId).
    mallory = wechat_user("oa-mallory")
    forged = mallory.signed(mallory.xml("text", Content="file"), timestamp=int(params[
        "timestamp"]), nonce=params["nonce"])
    assert (await mallory.send(*forged)).status == 403
    await _nothing_done(bot, "oa-mallory", claimed=3)


async def test_plain_message_refused_when_aes_key_configured(wechat_user, bot) -> None:
    user = wechat_user("oa-plain", safe=False)
    reply = await user.say("file")
    assert reply.status == 403 and "<xml>" not in reply.raw
    await _nothing_done(bot, "oa-plain")


async def test_compatible_mode_needs_the_setting(wechat_user, bot) -> None:
    user = wechat_user("oa-compat")
    reply = await user.send(*user.signed(user.xml("text", Content="file"), compatible=True))
    assert reply.status == 403
    await _nothing_done(bot, "oa-compat")
    bot.callback.compatible = True  # BORDERPASS_OA_COMPATIBLE_MODE=1
    reply = await user.send(*user.signed(user.xml("text", Content="help"), compatible=True))
    assert reply.status == 200 and "备案" in reply.text


async def test_compatible_body_answers_the_encrypted_message(wechat_user, bot) -> None:
    bot.callback.compatible = True
    user = wechat_user("oa-compat-b")
    # A plaintext copy claiming another sender and text is ignored: only Encrypt counts.
    forged_plain = wechat_user("oa-other").xml("text", Content="file")
    params, data = user.signed(user.xml("text", Content="help"))
    data = data.replace("<Encrypt>", forged_plain.removeprefix("<xml>").removesuffix(
        "</xml>") + "<Encrypt>")
    reply = await user.send(params, data)
    assert reply.status == 200 and "备案" in reply.text
    assert (await bot.storage.get("oa-other")).step is None


async def test_wechat_retries_are_re_signed_and_deduped_by_msgid(wechat_user, bot) -> None:
    from borderpass.models import Filing

    user = wechat_user("oa-retry-nonce")
    await user.say("English")
    await user.say("file")
    xml = user.xml("text", 556_000_001, Content="1")
    # WeChat delivers the same MsgId again, each delivery with its own timestamp and nonce.
    first, *retries = await asyncio.gather(*(user.send(*user.signed(xml)) for _ in range(3)))
    assert first.status == 200 and "draft" in first.text
    assert all(r.status == 200 and r.text == first.text for r in retries)
    assert await Filing.all().count() == 1


async def test_url_check_refuses_an_old_timestamp(client, bot) -> None:
    old = str(int(time.time()) - DAYS_3)
    resp = await client.get("/wechat/callback", params={
        "signature": sign(OA_TOKEN, old, "n1"), "timestamp": old, "nonce": "n1",
        "echostr": "hello"})
    assert resp.status == 403 and await resp.text() != "hello"
    resp = await client.get("/wechat/callback", params={
        "signature": sign(OA_TOKEN, "１２３", "n1"), "timestamp": "１２３", "nonce": "n1",
        "echostr": "hello"})
    assert resp.status == 403
