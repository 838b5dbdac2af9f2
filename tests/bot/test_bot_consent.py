"""The filing credit commitment: a filing submitted in chat carries the same proof as one
submitted in the mini-program — which text (kind, version, locale, sha256), when, and
through which channel (R-F7 … R-F9 are what the driver commits to)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from factories import attach_all, personal_body

from borderpass.models import Filing, FilingCommitment
from borderpass.models.enums import FilingStatus
from borderpass.presenters import filings as present
from borderpass.services import clock
from borderpass.services.filings import commitments, filings
from borderpass.services.identity import chat_users
from borderpass.services.validators import make_vin

pytestmark = pytest.mark.usefixtures("db")


async def complete_draft(deps, user, n: int = 0) -> Filing:  # type: ignore[no-untyped-def]
    """A draft with every field and document: the next chat question is the commitment."""
    body = personal_body(plate_number=f"云N6543{n}", vin=make_vin(f"LSVAM4187C22184{n}"))
    body["documents"] = await attach_all(deps, user, "personal")
    return await filings.create(deps, user, body)


async def test_chat_consent_records_text_language_time_and_channel(
        wechat_user, bot) -> None:
    user = wechat_user("oa-consent")
    await user.say("English")
    me = await chat_users.official_account_user("oa-consent")
    draft = await complete_draft(bot.deps, me)
    shown = await user.say("file")
    assert "Vehicle filing credit commitment" in shown.text  # the filing text, not the unit one
    burmese = await user.say("မြန်မာဘာသာ")  # switch language at the commitment step
    assert "ယာဉ်မှတ်ပုံတင်ခြင်း ယုံကြည်စိတ်ချရမှု ကတိကဝတ်" in burmese.text
    before = clock.now()
    await user.say("1")
    assert (await Filing.get(id=draft.id)).status is FilingStatus.SUBMITTED
    proof = await FilingCommitment.get(filing_id=draft.id)
    text = commitments.current(commitments.FILING, "my")
    assert (proof.kind, proof.version, proof.locale, proof.text_sha256, proof.channel) == \
        ("filing", "v1", "my", text.sha256, "chat")
    assert proof.signed_by_id == me.id  # type: ignore[attr-defined]
    assert before - timedelta(seconds=1) <= proof.signed_at <= clock.now()


async def test_declining_the_commitment_submits_nothing(wechat_user, bot) -> None:
    user = wechat_user("oa-decline")
    await user.say("English")
    me = await chat_users.official_account_user("oa-decline")
    draft = await complete_draft(bot.deps, me)
    await user.say("file")
    assert "Cancelled" in (await user.say("2")).text
    assert (await Filing.get(id=draft.id)).status is FilingStatus.DRAFT
    assert not await FilingCommitment.exists()


async def test_miniprogram_consent_is_the_same_proof(login, bot, wechat_user) -> None:
    alice = await login("alice")
    status, text = await alice.call("GET", "/api/v1/filings/commitment?locale=en")
    assert status == 200 and text["kind"] == "filing" and text["version"] == "v1"
    from borderpass.models import User

    draft = await complete_draft(bot.deps, await User.get(id=alice.user_id))
    consent = {"version": text["version"], "locale": "en", "text_sha256": text["sha256"],
               "accepted": True}
    status, body = await alice.call("POST", f"/api/v1/filings/{draft.id}/submit",
                                    json={"commitment": consent})
    assert status == 200, body
    api_proof = await FilingCommitment.get(filing_id=draft.id)
    assert (api_proof.locale, api_proof.channel) == ("en", "miniapp")

    chat = wechat_user("oa-same")
    await chat.say("English")
    chatter = await chat_users.official_account_user("oa-same")
    chat_draft = await complete_draft(bot.deps, chatter, 1)
    await chat.say("file")
    await chat.say("1")
    chat_proof = await FilingCommitment.get(filing_id=chat_draft.id)
    shown_api, shown_chat = present.commitment(api_proof), present.commitment(chat_proof)
    assert shown_api.keys() == shown_chat.keys() == {
        "kind", "version", "locale", "text_sha256", "signed_at", "channel"}
    assert shown_api["text_sha256"] == shown_chat["text_sha256"]  # one English text
    assert (shown_api["channel"], shown_chat["channel"]) == ("miniapp", "chat")


async def test_a_wrong_consent_changes_nothing(login, bot) -> None:
    alice = await login("alice")
    from borderpass.models import User

    draft = await complete_draft(bot.deps, await User.get(id=alice.user_id))
    wrong = {"version": "v1", "locale": "my", "text_sha256": "0" * 64, "accepted": True}
    status, body = await alice.call("POST", f"/api/v1/filings/{draft.id}/submit",
                                    json={"commitment": wrong})
    assert status == 422 and body["error"]["field"] == "commitment.text_sha256"
    unaccepted = {**wrong, "accepted": False}
    status, body = await alice.call("POST", f"/api/v1/filings/{draft.id}/submit",
                                    json={"commitment": unaccepted})
    assert status == 422 and body["error"]["code"] == "commitment_not_accepted"
    assert (await Filing.get(id=draft.id)).status is FilingStatus.DRAFT
    assert not await FilingCommitment.exists()
