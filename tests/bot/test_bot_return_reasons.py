"""Return reasons are codes the driver reads in their language, and a typed note is shown
with its language marked — in the chat, over the API and in the push (issue #18 item 11)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from factories import staff, submitted_filing

from borderpass.core.i18n import translate
from borderpass.models.enums import Role
from borderpass.models.notify import Notification
from borderpass.presenters import filings as present
from borderpass.services.filings import filings, return_reasons, review
from borderpass.services.identity import chat_users
from borderpass.services.notify import kinds, texts

LANGUAGE = {"zh_CN": "中文", "my": "မြန်မာဘာသာ", "en": "English"}
REASONS = [{"field": "documents.photo_side", "code": "image_corrupt", "message": ""},
           {"field": "vehicle.model", "code": "other", "message": "型号与行驶证不符"}]


def _expected(locale: str) -> tuple[str, str]:
    """The coded text in the reader's language, and the note's marking."""
    coded = translate(return_reasons.CODES["image_corrupt"], locale)
    chinese = translate("中文", locale)
    return coded, chinese


@pytest.mark.parametrize("locale", ["zh_CN", "my", "en"])
async def test_driver_reads_coded_and_typed_reasons(wechat_user, bot, locale: str) -> None:
    user = wechat_user(f"oa-{locale}")
    await user.say(LANGUAGE[locale])
    me = await chat_users.official_account_user(f"oa-{locale}")
    filing = await submitted_filing(bot.deps, me)
    await review.return_filing(await staff(Role.REVIEWER), filing.id, REASONS)
    coded, chinese = _expected(locale)
    assert coded and (locale == "zh_CN" or coded != return_reasons.CODES["image_corrupt"])

    # the chat: the status command lists every reason
    reply = await user.say({"zh_CN": "状态", "my": "အခြေအနေ", "en": "status"}[locale])
    assert coded in reply.text and "型号与行驶证不符" in reply.text
    assert (chinese in reply.text) is (locale != "zh_CN")  # the note's language marked
    if locale != "zh_CN":
        assert "：" not in reply.text and "（" not in reply.text  # half-width punctuation

    # the API the mini-program reads
    await filing.refresh_from_db()
    shown = present.filing(await filings.view(bot.deps, filing), me.locale)["return_reasons"]
    assert [r["code"] for r in shown] == ["image_corrupt", "other"]
    assert shown[0]["text"] == coded and shown[0]["note"] == "" and shown[0]["lang"] is None
    assert shown[1]["lang"] == "zh_CN" and "型号与行驶证不符" in shown[1]["note"]

    # the push
    row = await Notification.get(kind=kinds.FILING_RETURNED, user_id=me.id)
    assert row.locale == locale
    reader = texts.Reader(locale, ZoneInfo("Asia/Shanghai"), datetime.now(UTC))
    pushed = texts.plain_text(texts.render(row.kind, row.payload, reader))
    assert coded in pushed and "型号与行驶证不符" in pushed
    assert (chinese in pushed) is (locale != "zh_CN")


async def test_unknown_reason_code_is_refused_by_field(bot) -> None:
    from factories import driver_user

    from borderpass.core.errors import FieldError

    filing = await submitted_filing(bot.deps, await driver_user())
    reviewer = await staff(Role.REVIEWER)
    for bad, field in (([{"field": "general", "code": "blurry"}], "reasons[0].code"),
                       ([{"field": "general", "code": "other"}], "reasons[0].message")):
        with pytest.raises(FieldError) as err:
            await review.return_filing(reviewer, filing.id, bad)
        assert err.value.field == field
