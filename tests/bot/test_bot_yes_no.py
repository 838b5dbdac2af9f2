"""Issue #18 item 5: "yes" and "no" are equal across languages at every confirm step — the
OCR check, the credit commitment, the declaration — through one shared matcher."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from factories import VIN, approved_filing, jpeg
from test_bot_consent import complete_draft

from borderpass.bot import words
from borderpass.models import Declaration, Filing
from borderpass.models.enums import FilingStatus
from borderpass.services.identity import chat_users

LANGUAGE = {"zh_CN": "中文", "en": "English", "my": "မြန်မာဘာသာ"}
YES = [("zh_CN", w) for w in ("是", "确认", "对", "好", "1")] + \
    [("en", w) for w in ("yes", "Yes", "YES", "ok", "y")] + \
    [("my", w) for w in ("ဟုတ်ကဲ့", "ဟုတ်", "ok", "ဟုတ်ကဲ့။")]
NO = [("zh_CN", w) for w in ("否", "不是", "不")] + [("en", w) for w in ("no", "No", "n")] + \
    [("my", w) for w in ("မဟုတ်", "မဟုတ်ပါ", "2")]


def test_one_matcher_for_every_language() -> None:
    for _, word in YES:
        assert words.yes_no(word) is True, word
    for _, word in NO:
        assert words.yes_no(word) is False, word
    for word in ("maybe", "B 2019-05-01", "云N12345", ""):
        assert words.yes_no(word) is None


async def _user(wechat_user: Any, openid: str, locale: str) -> Any:
    user = wechat_user(openid)
    await user.say(LANGUAGE[locale])
    return user


@pytest.mark.usefixtures("db")
@pytest.mark.parametrize(("locale", "word"), YES)
async def test_yes_at_the_commitment(wechat_user, bot, locale, word) -> None:
    openid = f"oa-yes-c-{locale}-{abs(hash(word))}"
    user = await _user(wechat_user, openid, locale)
    draft = await complete_draft(bot.deps, await chat_users.official_account_user(openid))
    await user.say("备案")
    await user.say(word)
    assert (await Filing.get(id=draft.id)).status is FilingStatus.SUBMITTED


@pytest.mark.usefixtures("db")
@pytest.mark.parametrize(("locale", "word"), NO)
async def test_no_at_the_commitment(wechat_user, bot, locale, word) -> None:
    openid = f"oa-no-c-{locale}-{abs(hash(word))}"
    user = await _user(wechat_user, openid, locale)
    draft = await complete_draft(bot.deps, await chat_users.official_account_user(openid))
    await user.say("备案")
    await user.say(word)
    assert (await Filing.get(id=draft.id)).status is FilingStatus.DRAFT
    assert (await bot.storage.get(openid)).step is None  # cancelled, not asked again


@pytest.mark.usefixtures("db")
@pytest.mark.parametrize(("locale", "word"), YES + NO)
async def test_yes_and_no_at_the_declaration(wechat_user, bot, deps, locale, word) -> None:
    openid = f"oa-yn-d-{locale}-{abs(hash(word))}"
    user = await _user(wechat_user, openid, locale)
    await approved_filing(deps, await chat_users.official_account_user(openid))
    await user.say("申报")
    await user.say("1")  # the port
    await user.say(word)
    assert await Declaration.all().count() == (1 if words.yes_no(word) else 0)


@pytest.mark.usefixtures("db")
@pytest.mark.parametrize(("locale", "word"), YES)
async def test_yes_at_the_ocr_check(wechat_user, bot, fake_wechat, readings, locale,
                                    word) -> None:
    readings["vehicle_licence"] = {"kind": "vehicle_licence", "fields": {
        "plate_number": {"value": "云N54321", "confidence": 0.98},
        "vin": {"value": VIN, "confidence": 0.98}}}
    openid = f"oa-yes-o-{locale}-{abs(hash(word))}"
    user = await _user(wechat_user, openid, locale)
    await user.say("备案")
    await user.say("1")
    await user.say("1")  # the owner
    await user.photo(fake_wechat.add_media(jpeg()))
    await bot.drain()
    assert (await bot.storage.get(openid)).step == "file:confirm"
    await user.say(word)
    filing = await Filing.get(applicant_id=(await chat_users.official_account_user(openid)).id)
    assert not filing.data.get("prefilled")  # every value read is confirmed
    assert (await bot.storage.get(openid)).step == "file:photo"
