"""The callback protocol: URL check, signatures, safe mode, malformed and oversized XML,
and exactly one effect per MsgId even when WeChat retries at once."""

from __future__ import annotations

import asyncio
import time

import pytest
from bot_helpers import OA_TOKEN, sign

pytestmark = pytest.mark.usefixtures("db")


async def test_url_check(client, bot) -> None:
    ts, nonce = str(int(time.time())), "n1"
    ok = await client.get("/wechat/callback", params={
        "signature": sign(OA_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce,
        "echostr": "hello-123"})
    assert ok.status == 200 and await ok.text() == "hello-123"
    bad = await client.get("/wechat/callback", params={
        "signature": "x" * 40, "timestamp": ts, "nonce": nonce, "echostr": "e"})
    assert bad.status == 403


async def test_safe_mode_answers_encrypted(wechat_user) -> None:
    reply = await wechat_user("oa-mode-safe").say("help")
    assert reply.status == 200, reply.raw
    assert "备案" in reply.text
    assert "<Encrypt>" in reply.raw


async def test_refusals_change_nothing(wechat_user, bot) -> None:
    user = wechat_user("oa-bad")
    assert (await user.post(user.xml("text", Content="申报"), bad_signature=True)).status == 403
    assert (await user.post("<xml><MsgType>text</MsgType")).status == 400
    assert (await user.post("not xml at all")).status == 400
    params, _ = user.signed("x")
    assert (await user.send(params, "not xml at all")).status == 400  # no envelope
    huge = user.xml("text", Content="x" * 70_000)
    assert (await user.post(huge)).status == 413
    assert (await bot.storage.get("oa-bad")).step is None
    assert not await bot.redis.keys("bot:msg:*")


async def test_retries_of_one_msgid_have_one_effect(wechat_user, bot) -> None:
    from borderpass.models import Filing

    user = wechat_user("oa-retry")
    await user.say("English")
    xml = user.xml("text", 555_000_001, Content="file")
    first, *others = await asyncio.gather(*(user.post(xml) for _ in range(4)))
    assert first.status == 200 and "category" in first.text
    assert all(o.text == first.text for o in others)
    one = await user.say("1")
    assert "draft" in one.text
    again = await user.post(user.xml("text", int(one.xml["MsgId"]) if "MsgId" in one.xml
                                     else 555_000_002, Content="1"))
    assert again.status == 200
    assert await Filing.all().count() == 1


async def test_interleaved_users_keep_their_own_state(wechat_user) -> None:
    alice, bob = wechat_user("oa-a"), wechat_user("oa-b")
    await alice.say("English")
    await bob.say("中文")
    a, b = await asyncio.gather(alice.say("file"), bob.say("备案"))
    assert "category" in a.text and "备案类别" in b.text
    a, b = await asyncio.gather(alice.say("back"), bob.say("cancel"))
    assert "first step" in a.text
    assert "已取消" in b.text


async def test_menu_is_published_and_its_clicks_work(client, fake_wechat, bot,
                                                     wechat_user) -> None:
    from borderpass.bot.menu import build_menu, publish_menus

    await publish_menus(bot.client)
    assert fake_wechat.menus["wxtestofficial"] == build_menu("zh_CN")
    user = wechat_user("oa-menu")
    await user.say("English")
    assert "category" in (await user.event("CLICK", "file")).text
    assert (await user.event("unsubscribe")).status == 200
    assert (await bot.storage.get("oa-menu")).step is None
