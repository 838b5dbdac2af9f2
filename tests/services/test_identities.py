"""The identity-link rule: accounts of one unionid join only when one side is empty."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from factories import driver_user, jpeg

from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.notify import Recipient, SubscribeGrant
from borderpass.services import notify
from borderpass.services.filings import documents
from borderpass.services.identity import identities, users

pytestmark = pytest.mark.usefixtures("db")


async def test_what_counts_as_data(deps) -> None:
    fresh = await driver_user("fresh")
    await SubscribeGrant.create(user=fresh, template_id="tpl", remaining=1)
    await notify.link_official_account(fresh, "oa-fresh")
    assert not await identities.holds_data(fresh)  # grants and the chat link follow the person
    await documents.upload(deps, fresh, "vehicle_licence", jpeg())
    assert await identities.holds_data(fresh)


async def test_a_unionid_nobody_holds_is_simply_kept() -> None:
    user = await driver_user("solo")
    assert await identities.claim_unionid(user, "u-solo") == user
    assert (await User.get(id=user.id)).unionid == "u-solo"


async def test_an_empty_twin_is_absorbed_with_its_openid_grants_and_chat_link(deps) -> None:
    phone = await users.wechat_user("o-phone", None)
    await SubscribeGrant.create(user=phone, template_id="tpl", remaining=2)
    chat = await User.create(unionid="u-twin", roles=[Role.DRIVER.value])
    await notify.link_official_account(chat, "oa-twin")
    await documents.upload(deps, chat, "vehicle_licence", jpeg())  # the chat side has data
    survivor = await users.wechat_user("o-phone", "u-twin")  # the login learns the unionid
    assert survivor.id == chat.id and survivor.openid == "o-phone"
    gone = await User.get(id=phone.id)
    assert not gone.is_active and gone.openid is None and gone.unionid is None
    assert await SubscribeGrant.get(template_id="tpl").values_list("user_id", flat=True) == \
        chat.id
    assert (await Recipient.get(oa_openid="oa-twin")).user_id == chat.id  # type: ignore[attr-defined]
    assert (await users.wechat_user("o-phone", "u-twin")).id == chat.id


async def test_two_accounts_with_data_are_kept_apart_and_reported(
        deps, caplog: pytest.LogCaptureFixture) -> None:
    phone = await users.wechat_user("o-both", None)
    chat = await User.create(unionid="u-both-123456", roles=[Role.DRIVER.value])
    for owner in (phone, chat):
        await documents.upload(deps, owner, "vehicle_licence", jpeg())
    with caplog.at_level(logging.WARNING, logger="borderpass.identities"):
        kept = await users.wechat_user("o-both", "u-both-123456")
    assert kept.id == phone.id and kept.unionid is None
    assert (await User.get(id=chat.id)).is_active
    record = next(r for r in caplog.records if "not merged" in r.getMessage())
    assert record.user_ids == [phone.id, chat.id]  # type: ignore[attr-defined]
    assert record.unionid == "u-bo*******56"  # type: ignore[attr-defined]


async def test_staff_never_join_and_a_different_unionid_is_another_person() -> None:
    staff = await users.add_staff("admin1", "long-enough-1", [Role.ADMIN.value])
    staff.unionid = "u-staff"
    await staff.save()
    driver = await driver_user("lone")  # empty, yet never absorbed into a staff account
    assert (await identities.claim_unionid(driver, "u-staff")).id == driver.id
    assert (await User.get(id=staff.id)).openid is None
    assert (await User.get(id=driver.id)).is_active
    other = await driver_user("other")
    other.unionid = "u-one"
    await other.save()
    assert (await identities.claim_unionid(other, "u-two")).unionid == "u-one"
