"""Deletion on request (R-D7) and withdrawal of consent (R-D2) by chat command, in every
language: a confirmation first (2 changes nothing), then the answer names what was deleted
and what is kept, why and until when."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from factories import approved_filing, consented, jpeg, personal_body

from borderpass.models import AuditEvent, Document, PrivacyConsent, User
from borderpass.services.filings import documents
from borderpass.services.identity import chat_users

pytestmark = pytest.mark.usefixtures("db")


async def test_chat_withdraws_consent_in_english(wechat_user, bot) -> None:  # R-D2
    user = wechat_user("oa-withdraw")
    await user.say("English")
    me = await consented(await chat_users.official_account_user("oa-withdraw"))
    loose = await documents.upload(bot.deps, me, "exit_entry_permit", jpeg(81, 41))
    asked = await user.say("withdraw consent")
    assert "Withdraw your consent" in asked.text and "Reply 1" in asked.text
    assert "nothing was changed" in (await user.say("2")).text
    assert await PrivacyConsent.filter(user_id=me.id, withdrawn_at__isnull=True).exists()
    await user.say("withdraw consent")
    done = await user.say("1")
    assert "Consent withdrawn" in done.text and "1 identity document(s)" in done.text
    assert not await Document.filter(id=loose.id).exists()
    assert not await PrivacyConsent.filter(user_id=me.id, withdrawn_at__isnull=True).exists()


async def test_chat_deletion_in_chinese_names_the_filing_in_force(wechat_user, bot) -> None:
    user = wechat_user("oa-erase-zh")  # R-D7
    await user.say("中文")
    me = await chat_users.official_account_user("oa-erase-zh")
    filing = await approved_filing(bot.deps, me, personal_body(plate_number="云N52001"))
    asked = await user.say("删除我的数据")
    assert "此操作不能撤销" in asked.text
    done = (await user.say("1")).text
    assert "依法保留" in done and "云N52001" in done and "备案有效期内" in done, done
    assert f"备案 {filing.id}" in done and "上述事项结束后删除" in done
    again = (await (user.say("删除我的数据"))).text
    assert "此操作不能撤销" in again
    repeated = (await user.say("1")).text
    assert "不会重复删除" in repeated
    assert await AuditEvent.filter(action="erase", actor_id=me.id).count() == 1


async def test_chat_deletion_in_burmese_erases_the_account(wechat_user, bot) -> None:
    user = wechat_user("oa-erase-my")  # R-D7
    await user.say("မြန်မာဘာသာ")
    me = await consented(await chat_users.official_account_user("oa-erase-my"))
    await documents.upload(bot.deps, me, "id_card_front", jpeg(83, 43))
    asked = await user.say("ကျွန်ုပ်၏ဒေတာဖျက်ရန်")
    assert "ပြန်ပြင်၍ မရပါ" in asked.text
    done = (await user.say("1")).text
    assert "စာဝှက်သော့ကို ဖျက်ဆီးပြီး" in done and "စာရွက်စာတမ်း 1 ခု" in done, done
    gone = await User.get(id=me.id)
    assert gone.erased_at is not None and gone.openid is None
    assert not await Document.filter(owner_id=me.id).exists()
