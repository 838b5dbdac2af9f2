"""The greeting and every first answer come in the user's stored language: a mini-program
user who chose a language and then follows the Official Account is greeted in it, not
asked again (issue #18 item 7). Safe mode, wechatpy's crypto, all three locales."""

from __future__ import annotations

import time

import pytest

from borderpass.bot import texts as T
from borderpass.core.i18n import LOCALES


async def _miniprogram_user(client, fake_wechat, name: str, locale: str) -> None:
    code = fake_wechat.issue_login_code(f"o-{name}", f"union-{name}")
    login = await (await client.post("/api/v1/auth/wx-login", json={"code": code})).json()
    resp = await client.patch("/api/v1/me", json={"locale": locale},
                              headers={"Authorization": f"Bearer {login['token']}"})
    assert resp.status == 200
    fake_wechat.add_user(f"oa-{name}", unionid=f"union-{name}")


def _welcome(locale: str) -> str:
    return T.t(T.WELCOME, locale)


@pytest.mark.parametrize("locale", LOCALES)
async def test_miniprogram_user_is_greeted_in_their_language(client, fake_wechat, wechat_user,
                                                             locale: str) -> None:
    await _miniprogram_user(client, fake_wechat, "hla", locale)
    reply = await wechat_user("oa-hla").event("subscribe")
    assert reply.text.startswith(_welcome(locale))
    others = [loc for loc in LOCALES if loc != locale]
    assert not any(_welcome(loc) in reply.text for loc in others)  # one language only
    assert T.t(T.CHOOSE_LANGUAGE, locale) not in reply.text  # not asked again


@pytest.mark.parametrize("locale", LOCALES)
async def test_first_message_is_answered_in_the_stored_language(client, fake_wechat,
                                                                wechat_user, locale: str
                                                                ) -> None:
    await _miniprogram_user(client, fake_wechat, "mya", locale)
    reply = await wechat_user("oa-mya").say("???")  # a first text, no follow event seen
    help_word = T.command_words(locale)["help"]
    assert reply.text == T.t(T.UNKNOWN, locale, help=help_word)


async def test_a_new_follower_is_asked_once_in_every_language(wechat_user) -> None:
    reply = await wechat_user("oa-new").event("subscribe")
    assert all(_welcome(loc) in reply.text for loc in LOCALES)
    assert T.t(T.CHOOSE_LANGUAGE, "my") in reply.text


async def test_a_returning_follower_keeps_the_language_they_chose(wechat_user) -> None:
    user = wechat_user("oa-back")
    await user.event("subscribe")
    await user.say("English")
    assert (await user.event("unsubscribe")).status == 200  # the dialog state is dropped
    later = str(int(time.time()) + 60)  # WeChat dedupes events by sender and CreateTime
    reply = await user.post(user.xml("event", Event="subscribe", CreateTime=later))
    assert reply.text.startswith(_welcome("en")) and _welcome("zh_CN") not in reply.text


async def test_each_turn_is_timed_for_prometheus(wechat_user) -> None:
    from prometheus_client import REGISTRY

    def turns() -> float:
        return REGISTRY.get_sample_value("borderpass_bot_turn_seconds_count") or 0.0

    before = turns()
    user = wechat_user("oa-timed")
    await user.event("subscribe")
    await user.say("English")
    assert turns() - before == 2
