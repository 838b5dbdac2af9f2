"""The Official Account menus: a Chinese default and tag-matched English and Burmese menus,
labels from the catalogs within WeChat's limits, published by `borderpass wechat-menu`, and
followers moved to their language's menu when they choose it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bot_helpers import OA_APPID, OA_SECRET

from borderpass.adapters.wechat import WeChatAPIError
from borderpass.bot import menu
from borderpass.bot.menu import MenuError, build_menu, check_limits, publish_menus

pytestmark = pytest.mark.usefixtures("db")


def _names(built: dict[str, Any]) -> list[str]:
    return [b["name"] for b in built["button"]]


def test_every_menu_is_translated_and_fits_wechat_limits() -> None:
    menus = menu.all_menus()
    assert set(menus) == {"zh_CN", "en", "my"}
    assert _names(menus["zh_CN"]) == ["办理", "查询", "更多"]
    assert _names(menus["en"]) == ["Apply", "Check", "More"]
    assert all("\u1000" <= name[0] <= "\u109f" for name in _names(menus["my"]))
    for built in menus.values():
        assert len(built["button"]) <= 3
        keys = []
        for button in built["button"]:
            assert len(button["name"].encode()) <= 16
            assert len(button["sub_button"]) <= 5
            for sub in button["sub_button"]:
                assert len(sub["name"].encode()) <= 60
                keys.append(sub["key"])
        assert keys == ["file", "declare", "status", "pass", "language", "help"]
        assert built["button"][2]["sub_button"][0]["name"] == "中文 / မြန်မာ / English"


@pytest.mark.parametrize(("change", "problem"), [
    (lambda m: m["button"].append(dict(m["button"][0])), "4 buttons"),
    (lambda m: m["button"][0]["sub_button"].extend([m["button"][0]["sub_button"][0]] * 4),
     "6 sub-buttons"),
    (lambda m: m["button"][1].update(name="ကြည့်ရှုရန်"), "is 33 bytes"),  # 11 letters
    (lambda m: m["button"][1]["sub_button"][0].update(name="ခ" * 21), "is 63 bytes"),
    (lambda m: m["button"][0].update(name=""), "is 0 bytes"),
])
def test_limits_are_enforced_in_bytes(change: Any, problem: str) -> None:
    built = build_menu("my")
    change(built)
    with pytest.raises(MenuError, match=problem):
        check_limits(built, "my")


async def test_a_label_over_the_limit_publishes_nothing(
        bot, fake_wechat, monkeypatch: pytest.MonkeyPatch) -> None:
    too_long = [("မှတ်ပုံတင်ရန်", [("file", "file")]), *menu.LAYOUT[1:]]  # 39 bytes on top
    monkeypatch.setattr(menu, "LAYOUT", too_long)
    with pytest.raises(MenuError, match="WeChat allows 1 to 16"):
        await publish_menus(bot.client)
    assert fake_wechat.calls("cgi-bin/menu/create") == 0
    assert fake_wechat.calls("cgi-bin/menu/delete") == 0  # the old menus stay up


async def test_command_publishes_the_default_and_both_personalised_menus(
        fake_wechat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from borderpass.app.cli import main

    fake_wechat.add_app(OA_APPID, OA_SECRET)
    for name, value in {"BORDERPASS_OA_APPID": OA_APPID, "BORDERPASS_OA_SECRET": OA_SECRET,
                        "BORDERPASS_WECHAT_API_BASE": fake_wechat.base_url,
                        "BORDERPASS_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    for _ in range(2):  # publishing again replaces, never piles up
        assert await asyncio.to_thread(main, ["wechat-menu"]) == 0
    out = capsys.readouterr().out
    assert "menu zh_CN: default menu" in out and "menu my: tag" in out
    tags = {name: tag_id for tag_id, name in fake_wechat.tags[OA_APPID].items()}
    assert set(tags) == {"BorderPass en", "BorderPass my"}
    assert fake_wechat.menus[OA_APPID] == build_menu("zh_CN")
    personalised = fake_wechat.conditional_menus[OA_APPID]
    assert [(m["matchrule"], m["button"]) for m in personalised] == [
        ({"tag_id": str(tags["BorderPass en"])}, build_menu("en")["button"]),
        ({"tag_id": str(tags["BorderPass my"])}, build_menu("my")["button"])]
    create = [r for r in fake_wechat.requests if r.path == "cgi-bin/menu/addconditional"]
    assert "ယာဉ်".encode() in create[-1].body  # UTF-8 on the wire, as WeChat expects


async def test_the_fake_refuses_what_wechat_refuses(bot, fake_wechat) -> None:
    english = build_menu("en")
    tags = await menu.ensure_tags(bot.client)
    rule = {"tag_id": str(tags["en"])}
    with pytest.raises(WeChatAPIError) as no_default:
        await bot.client.add_conditional_menu({**english, "matchrule": rule})
    assert no_default.value.errcode == 65303  # the default menu comes first
    await publish_menus(bot.client)
    for rule, errcode in (({"language": "en"}, 65320), ({}, 65304), ({"tag_id": "999"}, 45159)):
        with pytest.raises(WeChatAPIError) as refused:
            await bot.client.add_conditional_menu({**english, "matchrule": rule})
        assert refused.value.errcode == errcode


async def test_choosing_a_language_shows_that_menu(bot, fake_wechat, wechat_user) -> None:
    await publish_menus(bot.client)
    user = wechat_user("oa-menu-lang")
    await user.say("help")
    await bot.drain()
    assert _names(await bot.client.try_match_menu("oa-menu-lang")) == ["办理", "查询", "更多"]
    for word, expected in (("English", build_menu("en")), ("မြန်မာဘာသာ", build_menu("my")),
                           ("中文", build_menu("zh_CN"))):
        await user.say(word)
        await bot.drain()
        assert await bot.client.try_match_menu("oa-menu-lang") == {
            "button": expected["button"]}
    assert fake_wechat.users["oa-menu-lang"].tags == []


async def test_a_language_chosen_in_the_miniprogram_picks_the_chat_menu(
        client, bot, fake_wechat, wechat_user) -> None:
    await publish_menus(bot.client)
    code = fake_wechat.issue_login_code("o-hla", "union-hla")
    login = await (await client.post("/api/v1/auth/wx-login", json={"code": code})).json()
    resp = await client.patch("/api/v1/me", json={"locale": "my"},
                              headers={"Authorization": f"Bearer {login['token']}"})
    assert resp.status == 200
    fake_wechat.add_user("oa-hla", unionid="union-hla")
    await wechat_user("oa-hla").event("subscribe")
    await bot.drain()
    seen = await bot.client.try_match_menu("oa-hla")
    assert seen == {"button": build_menu("my")["button"]}
