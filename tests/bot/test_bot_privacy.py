"""The privacy notice in chat (R-D1): shown before the first photo of a draft that needs an
identity document, consent taken by a reply word and stored as the mini-program stores it
(version, locale, hash, time, channel); no photo is taken before; a refusal keeps nothing."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from factories import jpeg

from borderpass.models import AuditEvent, DataExport, Document, PrivacyConsent
from borderpass.models.notify import Notification
from borderpass.services import clock, sweeps
from borderpass.services.identity import chat_users
from borderpass.services.notify import kinds
from borderpass.services.privacy import privacy

pytestmark = pytest.mark.usefixtures("db")


async def _to_notice(user) -> str:  # type: ignore[no-untyped-def]
    await user.say("English")
    assert "category" in (await user.say("file")).text
    owner = await user.say("1")  # private vehicle
    assert "owner" in owner.text
    return (await user.say("1")).text  # I am the owner: next come the photos


async def test_chat_shows_the_notice_and_takes_consent_before_photos(
        wechat_user, fake_wechat, bot) -> None:
    user = wechat_user("oa-privacy", consent=False)
    notice = await _to_notice(user)
    assert "personal information notice" in notice and "Reply 1 to agree" in notice
    assert "Sensitive personal information" in notice  # the notice's own words, in English
    me = await chat_users.official_account_user("oa-privacy")
    assert (await bot.storage.get("oa-privacy")).step == "file:privacy"
    await user.photo(fake_wechat.add_media(jpeg()))  # a photo before consent is not taken
    await bot.drain()
    assert not await Document.filter(owner_id=me.id).exists()
    before = clock.now()
    agreed = await user.say("1")
    assert "Your consent is recorded" in agreed.text and "photo" in agreed.text
    proof = await PrivacyConsent.get(user_id=me.id)
    assert (proof.version, proof.locale, proof.channel, proof.text_sha256) == \
        ("v1", "en", "chat", privacy.notice("en").sha256)
    assert before - timedelta(seconds=1) <= proof.given_at <= clock.now()
    await user.photo(fake_wechat.add_media(jpeg()))
    await bot.drain()
    assert await Document.filter(owner_id=me.id).exists()


async def test_chat_refusal_keeps_no_consent_and_asks_again_next_time(wechat_user) -> None:
    user = wechat_user("oa-refuses", consent=False)
    await _to_notice(user)
    declined = await user.say("2")
    assert "cannot be uploaded" in declined.text
    me = await chat_users.official_account_user("oa-refuses")
    assert not await PrivacyConsent.filter(user_id=me.id).exists()
    again = await user.say("file")  # the draft is continued: the notice comes first again
    assert "personal information notice" in again.text


async def test_chat_command_asks_for_a_copy_of_my_data(wechat_user, bot) -> None:  # R-D3
    user = wechat_user("oa-data")
    await user.say("English")
    asked = await user.say("my data")
    assert "copy of your personal data" in asked.text
    me = await chat_users.official_account_user("oa-data")
    job = await DataExport.get(user_id=me.id)
    assert f"number {job.id}" in asked.text and job.status == "pending"
    assert await AuditEvent.filter(actor_id=me.id, action="export").exists()
    assert (await sweeps.run_sweeps(bot.deps))["data_exports"] == 1  # the worker
    ready = await Notification.get(user_id=me.id, kind=kinds.DATA_EXPORT_READY)
    assert ready.locale == "en" and ready.payload["export_id"] == job.id
