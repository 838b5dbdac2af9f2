"""Issue #18 items 1 and 2, through the real endpoint in safe mode: the owner filing for
themself is never asked for a power of attorney (R-F2, seed 000: 本人办理车辆备案的，无需提供),
and a multi-photo pick (back-to-back image messages) keeps every photo, in order."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from factories import OWNER_ID, attach_all, driver_user, jpeg, personal_body

from borderpass.core.i18n import translate
from borderpass.models import Document, Filing, FilingDocument, FilingDriver
from borderpass.services import clock
from borderpass.services.filings import filings
from borderpass.services.identity import chat_users

pytestmark = pytest.mark.usefixtures("db")

LANGUAGE = {"zh_CN": "中文", "en": "English", "my": "မြန်မာဘာသာ"}
OWNER_CLAIM = {"zh_CN": "我就是车主本人", "en": "I am the owner", "my": "ကျွန်တော်ပိုင်ရှင်ပါ"}
SKIP = {"zh_CN": "跳过", "en": "skip", "my": "ကျော်"}
OWNER_QUESTION = {"zh_CN": "车主本人吗", "en": "Are you the owner", "my": "ယာဉ်ပိုင်ရှင်ကိုယ်တိုင်"}


async def _missing(bot: Any, openid: str) -> list[str]:
    me = await chat_users.official_account_user(openid)
    filing = await Filing.get(applicant_id=me.id)
    return [p.field or "" for p in await filings.problems(bot.deps, me, filing.id)]


async def _start(wechat_user: Any, openid: str, locale: str) -> Any:
    user = wechat_user(openid)
    await user.say(LANGUAGE[locale])
    await user.say("file" if locale == "en" else "备案")
    return user


@pytest.mark.parametrize("locale", ["zh_CN", "en", "my"])
async def test_owner_is_asked_before_documents_and_needs_no_power_of_attorney(
        wechat_user, bot, locale) -> None:
    user = await _start(wechat_user, f"oa-owner-{locale}", locale)
    asked = await user.say("1")  # personal vehicle
    assert OWNER_QUESTION[locale] in asked.text  # before any photo is asked
    photo = await user.say(OWNER_CLAIM[locale])
    assert translate("机动车行驶证", locale) in photo.text  # the first photo is asked
    missing = await _missing(bot, f"oa-owner-{locale}")
    assert "documents.power_of_attorney" not in missing  # R-F2
    assert "documents.vehicle_licence" in missing


@pytest.mark.parametrize("locale", ["zh_CN", "en", "my"])
async def test_owner_claim_or_skip_at_the_power_of_attorney_photo(
        wechat_user, bot, fake_wechat, locale) -> None:
    openid = f"oa-poa-{locale}"
    user = await _start(wechat_user, openid, locale)
    await user.say("1")
    await user.say("2")  # not the owner: the power of attorney is needed
    assert "documents.power_of_attorney" in await _missing(bot, openid)
    me = await chat_users.official_account_user(openid)
    filing = await Filing.get(applicant_id=me.id)
    docs = await attach_all(bot.deps, me, "personal")  # every photo but the POA, elsewhere
    await filings.update(bot.deps, me, filing.id, {"documents": docs})
    await user.say("file" if locale == "en" else "备案")  # resume: now at the POA photo
    state = await bot.storage.get(openid)
    assert state.data.get("slot") == "power_of_attorney"
    back = await user.say(SKIP[locale])  # "skip": who applies is asked again
    assert OWNER_QUESTION[locale] in back.text
    await user.say("2")
    await user.say(OWNER_CLAIM[locale])  # at the photo step, "I am the owner" answers it
    assert "documents.power_of_attorney" not in await _missing(bot, openid)
    assert (await Filing.get(id=filing.id)).data["owner"]["is_applicant"] is True


async def test_skip_of_a_required_document_says_it_is_required(wechat_user) -> None:
    user = await _start(wechat_user, "oa-skip", "en")
    await user.say("1")
    await user.say("1")
    said = await user.say("skip")
    assert "required and cannot be skipped" in said.text and "vehicle licence" in said.text.lower()


async def test_owner_driver_is_stored_as_owner_from_either_door(bot) -> None:
    """R-F2/R-U5: the driver whose identity number is the owner's is the owner, whether the
    number came by the mini-program's edit or by OCR (services, not a door)."""
    me = await driver_user("owner-door")
    body = personal_body()
    body["owner"] = {"id_number": OWNER_ID, "is_applicant": True}
    body["drivers"] = [{"name": "岩温", "id_number": OWNER_ID, "is_owner": False}]
    filing = await filings.create(bot.deps, me, body)
    driver = await FilingDriver.get(filing_id=filing.id)
    assert driver.is_owner
    found = [p.field for p in await filings.problems(bot.deps, me, filing.id)]
    assert "documents.power_of_attorney" not in found


# -- several photos at once (item 2) -------------------------------------------------------


async def _at_photos(wechat_user: Any, openid: str) -> Any:
    user = await _start(wechat_user, openid, "en")
    await user.say("1")
    prompt = await user.say("1")  # I am the owner
    assert "in this order" in prompt.text  # the order a multi-photo pick is read in
    return user


async def test_a_burst_of_photos_is_kept_whole_and_in_order(wechat_user, bot, fake_wechat
                                                            ) -> None:
    user = await _at_photos(wechat_user, "oa-burst")
    media = [fake_wechat.add_media(jpeg(width=60 + i)) for i in range(4)]
    acks = [await user.photo(m) for m in media]  # back to back, no answer awaited between
    assert "received" in acks[0].text.lower()
    assert all("still" not in a.text for a in acks)
    await bot.drain()
    me = await chat_users.official_account_user("oa-burst")
    filing = await Filing.get(applicant_id=me.id)
    slots = {fd.kind: fd.document_id for fd in await FilingDocument.filter(filing=filing)}  # type: ignore[attr-defined]
    order = ["vehicle_licence", "vin_plate", "id_card_front#1", "id_card_back#1"]
    widths = [(await Document.get(id=slots[slot])).width for slot in order]
    assert widths == [60, 61, 62, 63]  # photo n went to the n-th slot asked
    answers = [m.body["text"]["content"] for m in fake_wechat.messages("custom")]
    assert len(answers) == 1  # one combined answer for the burst
    assert answers[0].count("Saved") == 4


async def test_concurrent_burst_and_duplicate_msgid(wechat_user, bot, fake_wechat) -> None:
    user = await _at_photos(wechat_user, "oa-twins")
    media = [fake_wechat.add_media(jpeg(width=70 + i)) for i in range(3)]
    twin = user.xml("image", PicUrl="http://x/y.jpg", MediaId=media[0])
    replies = await asyncio.gather(user.post(twin), user.post(twin),
                                   user.photo(media[1]), user.photo(media[2]))
    assert all(r.status == 200 for r in replies)
    await bot.drain()
    me = await chat_users.official_account_user("oa-twins")
    filing = await Filing.get(applicant_id=me.id)
    docs = await FilingDocument.filter(filing=filing)
    widths = sorted([(await Document.get(id=fd.document_id)).width for fd in docs])  # type: ignore[attr-defined]
    assert widths == [70, 71, 72]  # all three kept, the duplicate MsgId once
    assert await Document.filter(owner_id=me.id).count() == 3


async def test_a_flood_of_photos_is_refused_not_stored(wechat_user, bot, fake_wechat) -> None:
    from borderpass.bot.photos import QUEUE_MAX, PhotoJob

    user = await _at_photos(wechat_user, "oa-flood")
    me = await chat_users.official_account_user("oa-flood")
    filing = await Filing.get(applicant_id=me.id)
    for i in range(QUEUE_MAX):  # queued, no worker started: the queue stays full
        await bot.photos.put("oa-flood", PhotoJob(filing.id, "", f"m{i}"))
    refused = await user.photo(fake_wechat.add_media(jpeg()))
    assert f"{QUEUE_MAX} photos are already waiting" in refused.text
    assert await bot.photos.waiting("oa-flood") == QUEUE_MAX


async def test_queued_photos_outlive_a_redis_restart_and_a_dead_worker(
        wechat_user, bot, fake_wechat) -> None:
    """The queue is in the record: photos queued by a process that died before reading them
    are read once its worker lease ends, even after Redis lost everything."""
    from borderpass.bot import intake
    from borderpass.bot.photos import RUN_TTL, PhotoJob

    user = await _at_photos(wechat_user, "oa-crash")
    me = await chat_users.official_account_user("oa-crash")
    filing = await Filing.get(applicant_id=me.id)
    media = [fake_wechat.add_media(jpeg(width=80 + i)) for i in range(2)]
    for m in media:  # queued, and the process died before its worker started
        await bot.photos.put("oa-crash", PhotoJob(filing.id, "", m))
    await bot.redis.flushdb()  # Redis restarted without its data
    assert await intake.resume(bot) == 0  # the dead worker's lease still runs
    clock.freeze(clock.now() + RUN_TTL + RUN_TTL / 10)
    try:
        assert await intake.resume(bot) == 1
        assert await intake.resume(bot) == 0  # taken once, by one worker
        await bot.drain()
    finally:
        clock.freeze(None)
    docs = {fd.kind: fd.document_id for fd in await FilingDocument.filter(filing=filing)}  # type: ignore[attr-defined]
    widths = [(await Document.get(id=docs[s])).width for s in ("vehicle_licence", "vin_plate")]
    assert widths == [80, 81]  # read in the order they came
    assert await bot.photos.waiting("oa-crash") == 0
    # Redis forgot WeChat's 48-hour window: the answer waits for the user's next message.
    assert fake_wechat.messages("custom") == []
    assert (await user.say("?")).text.count("Saved") == 2


async def test_a_worker_that_failed_leaves_its_photo_for_the_next(
        wechat_user, bot, fake_wechat) -> None:
    from borderpass.bot import intake
    from borderpass.bot.photos import PhotoJob

    await _at_photos(wechat_user, "oa-fail")
    me = await chat_users.official_account_user("oa-fail")
    filing = await Filing.get(applicant_id=me.id)
    await bot.photos.put("oa-fail", PhotoJob(filing.id, "", "no-such-media"))
    await bot.photos.stop("oa-fail")  # the worker died: its lease is given back at once
    assert await intake.resume(bot) == 1
    await bot.drain()
    assert await bot.photos.waiting("oa-fail") == 0  # handled: an error answer, not a loop
