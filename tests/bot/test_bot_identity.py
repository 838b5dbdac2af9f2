"""One person, one user across the mini-program and the Official Account (issue #4): the
unionid from cgi-bin/user/info links the chat to the mini-program's account on first contact,
drafts move both ways, and two accounts with their own data are never merged silently."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api_helpers import Caller
from bot_helpers import OA_APPID

from borderpass.models import Filing, User
from borderpass.models.notify import Recipient
from borderpass.services.identity import chat_users

pytestmark = pytest.mark.usefixtures("db")


async def miniapp_login(client: Any, fake_wechat: Any, openid: str, unionid: str) -> Caller:
    """wx-login through code2Session, which answers the unionid as WeChat does."""
    code = fake_wechat.issue_login_code(openid, unionid)
    resp = await client.post("/api/v1/auth/wx-login", json={"code": code})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    return Caller(client, body["token"], body["user"]["id"])


async def chat_user_id(openid: str) -> int:
    user = await chat_users.linked_user(openid)
    assert user is not None
    return user.id


async def test_draft_begun_in_chat_is_finished_in_the_miniprogram(
        client, fake_wechat, wechat_user) -> None:
    fake_wechat.add_user("oa-lin", unionid="union-lin")
    lin = wechat_user("oa-lin")
    await lin.say("English")
    await lin.say("file")
    started = await lin.say("1")
    draft = await Filing.get(applicant_id=await chat_user_id("oa-lin"))
    assert f"draft {draft.id} is open" in started.text
    assert fake_wechat.calls("cgi-bin/user/info") == 1  # first contact only
    assert (await User.get(id=draft.applicant_id)).unionid == "union-lin"  # type: ignore[attr-defined]

    phone = await miniapp_login(client, fake_wechat, "o-lin", "union-lin")
    assert phone.user_id == draft.applicant_id  # type: ignore[attr-defined]
    status, listed = await phone.call("GET", "/api/v1/filings")
    assert status == 200 and [f["id"] for f in listed["items"]] == [draft.id]
    status, body = await phone.call("PATCH", f"/api/v1/filings/{draft.id}",
                                    json={"vehicle": {"plate_number": "云N88888"}})
    assert status == 200, body
    assert (await User.get(id=phone.user_id)).openid == "o-lin"
    assert "云N88888" in (await lin.say("status")).text


async def test_draft_begun_in_the_miniprogram_continues_in_chat(
        client, fake_wechat, wechat_user) -> None:
    phone = await miniapp_login(client, fake_wechat, "o-mei", "union-mei")
    status, draft = await phone.call("POST", "/api/v1/filings", json={"category": "personal"})
    assert status == 201, draft
    fake_wechat.add_user("oa-mei", unionid="union-mei")
    mei = wechat_user("oa-mei")
    await mei.say("English")
    resumed = await mei.say("file")
    assert f"draft {draft['id']} is open" in resumed.text
    assert await chat_user_id("oa-mei") == phone.user_id
    assert await Filing.all().count() == 1
    assert await User.filter(is_active=True).count() == 1


async def test_accounts_with_their_own_data_stay_apart(
        client, fake_wechat, wechat_user, bot, caplog: pytest.LogCaptureFixture) -> None:
    fake_wechat.unbound_apps.add(OA_APPID)  # not yet bound on the open platform
    fake_wechat.add_user("oa-kyaw", unionid="union-kyaw-123456")
    kyaw = wechat_user("oa-kyaw")
    await kyaw.say("English")
    await kyaw.say("file")
    await kyaw.say("1")
    chat_id = await chat_user_id("oa-kyaw")
    phone = await miniapp_login(client, fake_wechat, "o-kyaw", "union-kyaw-123456")
    assert phone.user_id != chat_id
    assert (await phone.call("POST", "/api/v1/filings", json={"category": "business"}))[0] == 201

    fake_wechat.unbound_apps.discard(OA_APPID)
    await bot.storage.clear("oa-kyaw")  # a later first contact (the state expired)
    with caplog.at_level(logging.WARNING, logger="borderpass.identities"):
        await kyaw.say("status")
    assert await chat_user_id("oa-kyaw") == chat_id
    assert (await User.get(id=phone.user_id)).is_active
    assert await Filing.filter(applicant_id=chat_id).count() == 1
    assert await Filing.filter(applicant_id=phone.user_id).count() == 1
    warning = next(r for r in caplog.records if "not merged" in r.getMessage())
    assert warning.user_ids == [chat_id, phone.user_id]  # type: ignore[attr-defined]
    assert "union-kyaw-123456" not in str(warning.__dict__)
    assert (await User.get(id=chat_id)).unionid is None  # the unionid stays with one account


async def test_an_empty_miniprogram_account_is_absorbed_by_the_chat_account(
        client, fake_wechat, wechat_user, bot) -> None:
    fake_wechat.unbound_apps.add(OA_APPID)
    fake_wechat.add_user("oa-aung", unionid="union-aung")
    aung = wechat_user("oa-aung")
    await aung.say("English")
    await aung.say("file")
    await aung.say("1")
    chat_id = await chat_user_id("oa-aung")
    first = await miniapp_login(client, fake_wechat, "o-aung", "union-aung")
    assert first.user_id != chat_id  # nothing stored under it yet

    fake_wechat.unbound_apps.discard(OA_APPID)
    await bot.storage.clear("oa-aung")
    await aung.say("status")
    assert not (await User.get(id=first.user_id)).is_active
    status, _ = await first.call("GET", "/api/v1/filings")
    assert status == 401  # its session ended; the next login finds the survivor
    again = await miniapp_login(client, fake_wechat, "o-aung", "union-aung")
    assert again.user_id == chat_id
    status, listed = await again.call("GET", "/api/v1/filings")
    assert status == 200 and len(listed["items"]) == 1


async def test_an_empty_chat_account_joins_the_miniprogram_account(
        client, fake_wechat, wechat_user, bot) -> None:
    fake_wechat.unbound_apps.add(OA_APPID)
    fake_wechat.add_user("oa-nu", unionid="union-nu")
    nu = wechat_user("oa-nu")
    await nu.say("help")
    chat_id = await chat_user_id("oa-nu")
    phone = await miniapp_login(client, fake_wechat, "o-nu", "union-nu")
    await phone.call("POST", "/api/v1/filings", json={"category": "personal"})

    fake_wechat.unbound_apps.discard(OA_APPID)
    await bot.storage.clear("oa-nu")
    await nu.say("English")
    assert "draft" in (await nu.say("file")).text
    assert await chat_user_id("oa-nu") == phone.user_id
    assert not (await User.get(id=chat_id)).is_active
    recipient = await Recipient.get(oa_openid="oa-nu")
    assert recipient.user_id == phone.user_id  # type: ignore[attr-defined]


async def test_linking_waits_when_wechat_cannot_say_who_it_is(
        client, fake_wechat, wechat_user, bot) -> None:
    fake_wechat.add_user("oa-thiri", unionid="union-thiri")
    phone = await miniapp_login(client, fake_wechat, "o-thiri", "union-thiri")
    await phone.call("POST", "/api/v1/filings", json={"category": "personal"})
    thiri = wechat_user("oa-thiri")
    fake_wechat.fail_next("cgi-bin/user/info", errcode=-1, errmsg="system error")
    reply = await thiri.say("English")
    assert reply.status == 200 and "English" in reply.text  # the chat goes on meanwhile
    assert await chat_user_id("oa-thiri") != phone.user_id

    await bot.redis.delete("bot:follower:retry:oa-thiri")  # the 5-minute pause is over
    assert "draft" in (await thiri.say("file")).text
    assert await chat_user_id("oa-thiri") == phone.user_id  # the empty chat account joined
