"""Issue #18 item 4: every text the bot sends fits WeChat's limits (passive reply and
customer-service text ≤ 2,048 UTF-8 bytes) in every language, and a long text — the
Burmese credit commitment — reaches the driver whole, in order."""

from __future__ import annotations

import string
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from test_bot_consent import complete_draft

from borderpass.bot import limits
from borderpass.bot import texts as T
from borderpass.core.i18n import LOCALES, translate
from borderpass.models import Filing
from borderpass.models.enums import FilingStatus
from borderpass.services.filings import commitments
from borderpass.services.identity import chat_users

POT = Path(__file__).resolve().parents[2] / "borderpass" / "locales" / "messages.pot"
# Realistic values, on the long side: a Burmese name, a port, a date, a list of labels.
LINK = ('<a data-miniprogram-appid="wx0123456789abcdef" '
        'data-miniprogram-path="pages/pass/index?id=123456" '
        'href="https://mp.weixin.qq.com">open</a>')
VALUES = {"plate": "云N54321", "id": "123456", "n": "12",
          "label": "ယာဉ်ပိုင်ရှင်၏ လုပ်ပိုင်ခွင့်လွှဲအပ်စာ",
          "date": "2027 ခုနှစ် ဒီဇင်ဘာ 6", "deadline": "2027 ခုနှစ် မတ်လ 6", "days": "90",
          "port": "Qingshuihe", "driver": "ဦးအောင်ကျော်မင်းထက်", "direction": "ပြည်ထွက်",
          "unit": "瑞丽市姐告边境贸易有限责任公司", "link": LINK}


def _catalog_sources() -> list[str]:
    with POT.open("rb") as fh:
        return [str(m.id) for m in read_po(fh) if m.id]


def _render(source: str, locale: str) -> str:
    names = {f for _, f, _, _ in string.Formatter().parse(source) if f}
    params = {n: VALUES.get(n, "ယာဉ်မှတ်ပုံတင်ခြင်း 云N54321") for n in names}
    params |= T.command_words(locale)
    return translate(source, locale, **params)


def _check(text: str, locale: str) -> None:
    fitted = limits.fit(text, locale)
    assert fitted.passive is not None
    assert limits.size(fitted.passive) <= limits.PASSIVE_MAX_BYTES
    assert all(limits.size(p) <= limits.CUSTOM_MAX_BYTES for p in fitted.follow_up)
    passive = fitted.passive
    if fitted.follow_up:
        assert passive.endswith(limits.more_follows(locale))  # the driver knows more follows
        passive = passive.removesuffix(limits.more_follows(locale))
    joined = passive + "".join(fitted.follow_up)
    assert "".join(joined.split()) == "".join(text.split())  # nothing lost, order kept


def _commitment_prompts(locale: str) -> list[str]:
    help_text = _render(T.HELP, locale)
    prompts = []
    for kind in (commitments.FILING, commitments.PERSONAL, commitments.UNIT):
        shown = T.t(T.COMMITMENT, locale, text=commitments.current(kind, locale).text.strip())
        prompts += [shown, help_text + "\n\n" + T.t(T.CONTINUE, locale) + "\n" + shown]
    return prompts


@pytest.mark.parametrize("locale", LOCALES)
def test_every_reply_in_every_catalog_fits(locale: str) -> None:
    sources = _catalog_sources()
    assert len(sources) > 600
    for source in sources:
        _check(_render(source, locale), locale)
    for prompt in _commitment_prompts(locale):
        _check(prompt, locale)


def test_the_long_burmese_texts_are_over_the_limit_unsplit() -> None:
    """The case the splitting exists for (issue #18: 4,406 and 5,335 bytes)."""
    assert max(limits.size(p) for p in _commitment_prompts("my")) > 4000


def test_split_never_breaks_a_myanmar_syllable() -> None:
    text = "ကျွန်ုပ်" * 400  # no spaces or line breaks at all
    for part in limits.split_text(text, 100):
        assert limits.size(part) <= 100
        assert not part.endswith("\u1039")
        assert part[:1] not in ("\u103a", "\u1039", "\u102f", "\u103d")




@pytest.mark.usefixtures("db")
async def test_burmese_driver_reads_the_whole_commitment(wechat_user, bot, fake_wechat) -> None:
    user = wechat_user("oa-long-my")
    await user.say("မြန်မာဘာသာ")
    me = await chat_users.official_account_user("oa-long-my")
    draft = await complete_draft(bot.deps, me)
    shown = await user.say("မှတ်ပုံတင်")
    assert limits.size(shown.text) <= limits.PASSIVE_MAX_BYTES
    assert shown.text.endswith(limits.more_follows("my"))
    await bot.drain()
    pushed = [m.body["text"]["content"] for m in fake_wechat.messages("custom")]
    assert pushed and all(limits.size(p) <= limits.CUSTOM_MAX_BYTES for p in pushed)
    whole = "".join((shown.text.removesuffix(limits.more_follows("my")) + "".join(pushed)).split())
    text = commitments.current(commitments.FILING, "my").text
    assert "".join(T.chat_text(text).split()) in whole  # every word they accept, in order
    assert "#" not in whole  # no raw Markdown in chat (issue #18)
    helped = await user.say("အကူအညီ")  # help at that step: 5,335 bytes before the split
    assert limits.size(helped.text) <= limits.PASSIVE_MAX_BYTES
    await bot.drain()
    assert len(fake_wechat.messages("custom")) > len(pushed)
    await user.say("ဟုတ်ကဲ့")
    assert (await Filing.get(id=draft.id)).status is FilingStatus.SUBMITTED
