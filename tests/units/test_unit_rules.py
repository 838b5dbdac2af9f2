"""Units and the credit pass list, rule by rule (R-U1 … R-U7), through the services."""

from __future__ import annotations

import asyncio
import re

import pytest
from factories import OWNER_ID, SECOND_ID, driver_user, personal_body
from unit_helpers import (
    THIRD_ID,
    active_unit,
    consent,
    driver_on,
    filed,
    platform_admin,
    scene_of,
    shared_body,
    unit_body,
)

from borderpass.core.errors import Conflict, FieldError, FieldErrors, Forbidden, NotFound
from borderpass.models import AuditEvent, BlacklistEntry, Filing
from borderpass.models.enums import FilingStatus, SubjectKind
from borderpass.models.units import (
    Commitment,
    Membership,
    MemberStatus,
    Unit,
    UnitNotice,
    UnitStatus,
)
from borderpass.presenters import units as present
from borderpass.services.filings import commitments
from borderpass.services.units import unit_codes, unit_members, unit_removals, units
from borderpass.services.units.units import Gone
from borderpass.services.validators import make_vin

pytestmark = pytest.mark.usefixtures("db")
SCENE_CHARS = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")


async def join(deps, user, unit, filing, position=0, **changes):
    """Join as the driver at ``position``, stating that driver's identity number (R-U3)."""
    driver = await driver_on(filing, position)
    body = {"scene": await scene_of(unit), "filing_id": filing.id, "driver_id": driver.id,
            "commitment": consent(),
            "id_number": deps.cipher.decrypt(driver.sealed["id_number"], "driver.id_number")
            } | changes
    return await unit_members.join(deps, user, body)


# --- R-U1, R-U2: registration, authentication, one code per unit ---------------------------


async def test_registration_lists_every_problem_and_stores_nothing(deps) -> None:  # R-U1
    user = await driver_user()
    body = await unit_body(deps, user)
    body |= {"unit_kind": "club", "uscc": body["uscc"][:-1] + "0", "contact_phone": "12"}
    del body["documents"]
    with pytest.raises(FieldErrors) as err:
        await units.register(deps, user, body)
    found = {e.field: e.code for e in err.value.errors}
    assert found == {"unit_kind": "choice", "uscc": "uscc_checksum",
                     "contact_phone": "phone_format"}
    body["unit_kind"] = "government"
    body["uscc"] = (await unit_body(deps, user))["uscc"]
    body["contact_phone"] = "13812345678"
    with pytest.raises(FieldErrors) as err:  # a public body shows its official letter
        await units.register(deps, user, body)
    assert {e.field: e.code for e in err.value.errors} == {
        "documents.official_letter": "document_required"}
    assert await Unit.all().count() == 0 and "unit_admin" not in user.roles


async def test_registration_makes_a_pending_unit_and_its_admin(deps) -> None:  # R-U2
    user = await driver_user()
    unit = await units.register(deps, user, await unit_body(deps, user))
    assert unit.status is UnitStatus.PENDING
    assert "unit_admin" in (await user.__class__.get(id=user.id)).roles
    assert await units.unit_for_scene("anything") is None
    with pytest.raises(Conflict):  # no code before authentication
        await unit_codes.regenerate_code(user, unit.id)
    with pytest.raises(Conflict) as err:  # the same USCC cannot register twice
        await units.register(deps, user, await unit_body(deps, user))
    assert err.value.code == "unit_uscc_taken"


async def test_only_the_back_office_authenticates(deps) -> None:  # R-U2
    user = await driver_user()
    unit = await units.register(deps, user, await unit_body(deps, user))
    with pytest.raises(Forbidden):
        await units.authenticate(user, unit.id, True, None)
    admin = await platform_admin()
    with pytest.raises(FieldError) as err:
        await units.authenticate(admin, unit.id, False, "  ")
    assert err.value.field == "reason"
    unit = await units.authenticate(admin, unit.id, True, None)
    assert unit.status is UnitStatus.ACTIVE
    scene = await scene_of(unit)
    assert SCENE_CHARS.match(scene) and (await units.unit_for_scene(scene)).id == unit.id
    with pytest.raises(Conflict):
        await units.authenticate(admin, unit.id, True, None)
    kinds = await UnitNotice.filter(recipient_id=user.id).values_list("kind", flat=True)
    assert kinds == ["unit_authenticated"]


async def test_regenerating_revokes_the_old_code(deps) -> None:  # R-U2
    admin = await driver_user("boss")
    unit = await active_unit(deps, admin)
    old = await scene_of(unit)
    new = (await unit_codes.regenerate_code(admin, unit.id)).scene
    assert new != old and await units.unit_for_scene(old) is None
    assert (await units.unit_for_scene(new)).id == unit.id
    with pytest.raises(Gone) as err:
        await units.unit_by_scene(old)
    assert err.value.code == "unit_code_revoked" and err.value.status == 410
    alice = await driver_user("alice")
    filing = await filed(deps, alice, personal_body())
    with pytest.raises(Gone):  # a revoked code
        await join(deps, alice, unit, filing, scene=old)
    assert await Membership.all().count() == 0 and await Commitment.all().count() == 0


async def test_code_png_falls_back_to_a_url_qr_code(deps) -> None:  # R-U2
    admin = await driver_user("boss")
    unit = await active_unit(deps, admin)
    png = await unit_codes.code_png(deps, admin, unit.id, None, "pages/units/join",
                                    "https://bp.example")
    assert png.startswith(b"\x89PNG")
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(png)).size[0] > 100


# --- R-U3: joining with one's own filing and the personal commitment ----------------------


async def test_join_submits_the_filing_and_records_the_commitment(deps) -> None:  # R-U3
    admin, alice = await driver_user("boss"), await driver_user("alice")
    unit = await active_unit(deps, admin)
    body = personal_body()
    from factories import attach_all

    from borderpass.services.filings import filings

    body["documents"] = await attach_all(deps, alice, "personal")
    draft = await filings.create(deps, alice, body)
    member = await join(deps, alice, unit, draft, commitment=consent("personal", "my"))
    assert member.status is MemberStatus.PENDING and member.is_owner and member.self_use
    assert (await Filing.get(id=draft.id)).status is FilingStatus.SUBMITTED
    signed = await Commitment.get(id=member.commitment_id)
    text = commitments.current("personal", "my")
    assert (signed.kind, signed.version, signed.locale, signed.text_sha256) == (
        "personal", "v1", "my", text.sha256)
    assert OWNER_ID not in str(member.sealed)  # sealed (R-U7)
    assert await UnitNotice.filter(recipient_id=admin.id, kind="member_pending").count() == 1


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"accepted": False}, "commitment.accepted", "commitment_not_accepted"),
    ({"text_sha256": "0" * 64}, "commitment.text_sha256", "commitment_text_mismatch"),
    ({"version": "v0"}, "commitment.version", "commitment_outdated"),
    ({"locale": "fr"}, "commitment.locale", "choice"),
])
async def test_join_refuses_a_bad_commitment(deps, change, field, code) -> None:  # R-U3
    admin, alice = await driver_user("boss"), await driver_user("alice")
    unit = await active_unit(deps, admin)
    filing = await filed(deps, alice, personal_body())
    with pytest.raises(FieldError) as err:
        await join(deps, alice, unit, filing, commitment=consent() | change)
    assert (err.value.field, err.value.code) == (field, code)
    assert await Membership.all().count() == 0 and await Commitment.all().count() == 0


async def test_join_needs_ones_own_filing(deps) -> None:  # R-U3
    admin, alice, bob = [await driver_user(n) for n in ("boss", "alice", "bob")]
    unit = await active_unit(deps, admin)
    filing = await filed(deps, alice, personal_body())
    with pytest.raises(FieldError) as err:
        await join(deps, bob, unit, filing, id_number=None)
    assert err.value.field == "filing_id"
    with pytest.raises(Forbidden) as forbidden:  # knowing the owner's number is not enough
        await join(deps, bob, unit, filing)
    assert forbidden.value.code == "member_other_person"
    with pytest.raises(FieldError) as err:
        await join(deps, alice, unit, filing, driver_id=10**6)
    assert err.value.field == "driver_id"
    await join(deps, alice, unit, filing)
    with pytest.raises(Conflict):  # once per person and vehicle
        await join(deps, alice, unit, filing)


async def test_blacklisted_person_cannot_join(deps) -> None:  # R-U6
    admin, alice = await driver_user("boss"), await driver_user("alice")
    unit = await active_unit(deps, admin)
    filing = await filed(deps, alice, personal_body())
    await BlacklistEntry.create(subject_kind=SubjectKind.PERSON, reason="dishonest",
                                subject_key=deps.cipher.blind_index(OWNER_ID, "id_number"),
                                subject_label="岩*")
    with pytest.raises(Forbidden) as err:
        await join(deps, alice, unit, filing)
    assert err.value.code == "member_dishonest"


# --- R-U5: drivers of a self-use vehicle on the list ---------------------------------------


async def _expire(filing: Filing) -> None:
    await Filing.filter(id=filing.id).update(status=FilingStatus.EXPIRED)


async def test_third_driver_on_a_self_use_vehicle_is_refused(deps) -> None:  # R-U5
    admin = await driver_user("boss")
    owner, second, third = [await driver_user(n) for n in ("owner", "second", "third")]
    unit = await active_unit(deps, admin)
    first = await filed(deps, owner, shared_body("岩叫", SECOND_ID, True))
    await join(deps, owner, unit, first, 0)
    await (await driver_on(first, 1)).__class__.filter(
        filing_id=first.id, position=1).update(user_id=second.id)  # second drives it
    await join(deps, second, unit, first, 1)
    await _expire(first)  # renewed a year later with another second driver
    renewed = await filed(deps, third, shared_body("岩三", THIRD_ID, False))
    with pytest.raises(FieldError) as err:
        await join(deps, third, unit, renewed, 1)
    assert (err.value.code, err.value.field) == ("list_personal_max_drivers", "driver_id")
    assert await Membership.all().count() == 2


async def test_non_owner_cannot_take_the_last_slot(deps) -> None:  # R-U5
    admin = await driver_user("boss")
    second, third = await driver_user("second"), await driver_user("third")
    unit = await active_unit(deps, admin)
    first = await filed(deps, second, shared_body("岩叫", SECOND_ID, False))
    await join(deps, second, unit, first, 1)  # a non-owner is listed, one slot is left
    await _expire(first)
    renewed = await filed(deps, third, shared_body("岩三", THIRD_ID, False))
    with pytest.raises(FieldError) as err:
        await join(deps, third, unit, renewed, 1)
    assert err.value.code == "list_owner_slot"
    member = await join(deps, third, unit, renewed, 0)  # the owner may take it
    assert member.is_owner


async def test_unit_vehicle_may_list_more_drivers(deps) -> None:  # R-U5
    from factories import business_body

    admin = await driver_user("boss")
    unit = await active_unit(deps, admin)
    applicants = [await driver_user(n) for n in ("d1", "d2", "d3")]
    ids = [OWNER_ID, SECOND_ID, THIRD_ID]
    first = None
    for i, user in enumerate(applicants):
        body = business_body()
        body["drivers"] = [{"name": f"岩{i}", "id_number": ids[i], "licence_number": ids[i],
                            "permit_number": "C12345678", "phone": "13812345678",
                            "is_owner": False}]
        if first is not None:
            await _expire(first)
        first = await filed(deps, user, body)
        assert not (await join(deps, user, unit, first)).self_use
    assert await Membership.filter(status=MemberStatus.PENDING).count() == 3


# --- R-U4: verification, rejection and upload ----------------------------------------------


async def _pending_members(deps, unit, count=2):
    members = []
    for i, number in enumerate([OWNER_ID, SECOND_ID, THIRD_ID][:count]):
        user = await driver_user(f"p{i}")
        body = personal_body(plate_number=f"云N1234{i}", vin=make_vin(f"LSVAM4187C22183{i}"))
        body["owner"]["id_number"] = number
        body["drivers"][0] |= {"id_number": number, "licence_number": number}
        members.append(await join(deps, user, unit, await filed(deps, user, body)))
    return members


async def test_verify_in_bulk_then_upload_under_the_unit_commitment(deps) -> None:  # R-U4
    admin = await driver_user("boss")
    unit = await active_unit(deps, admin)
    a, b = await _pending_members(deps, unit)
    with pytest.raises(Conflict):
        await unit_members.upload(admin, unit.id, consent("unit"))  # nothing verified yet
    verified = await unit_members.decide(admin, unit.id, [a.id, b.id], True)
    assert {m.status for m in verified} == {MemberStatus.VERIFIED}
    with pytest.raises(FieldError) as err:
        await unit_members.upload(admin, unit.id, consent("personal"))  # wrong text
    assert err.value.field == "commitment.text_sha256"
    batch = await unit_members.upload(admin, unit.id, consent("unit", "en"))
    assert batch.member_count == 2
    assert (await Commitment.get(id=batch.commitment_id)).kind == "unit"
    assert {m.status for m in await Membership.all()} == {MemberStatus.LISTED}
    assert await UnitNotice.filter(kind="member_listed").count() == 2


async def test_bulk_decision_with_one_bad_id_changes_nothing(deps) -> None:  # R-U4
    admin = await driver_user("boss")
    unit = await active_unit(deps, admin)
    a, b = await _pending_members(deps, unit)
    await unit_members.decide(admin, unit.id, [b.id], False, "不是本单位人员")
    with pytest.raises(Conflict) as err:
        await unit_members.decide(admin, unit.id, [a.id, b.id], True)
    assert err.value.field == "member_ids[1]"
    with pytest.raises(FieldError) as err:
        await unit_members.decide(admin, unit.id, [a.id, "x"], True)
    assert err.value.field == "member_ids[1]"
    with pytest.raises(FieldError) as err:
        await unit_members.decide(admin, unit.id, [a.id], False, "")
    assert err.value.field == "reason"
    assert (await Membership.get(id=a.id)).status is MemberStatus.PENDING
    rejected = await Membership.get(id=b.id)
    assert rejected.status is MemberStatus.REJECTED and rejected.rejection_reason


# --- R-U6: removal, by the unit, the platform and deregistration --------------------------


async def test_unit_removes_a_person_who_left(deps) -> None:  # R-U6
    admin = await driver_user("boss")
    unit = await active_unit(deps, admin)
    (a,) = await _pending_members(deps, unit, 1)
    with pytest.raises(FieldError):
        await unit_removals.remove_by_unit(admin, unit.id, a.id, "dishonest")
    removed = await unit_removals.remove_by_unit(admin, unit.id, a.id, "left", "离职")
    assert removed.status is MemberStatus.REMOVED and removed.removal_reason == "left"
    with pytest.raises(Conflict):
        await unit_removals.remove_by_unit(admin, unit.id, a.id, "asked")
    assert await UnitNotice.filter(kind="member_removed").count() == 1
    assert await AuditEvent.filter(action="delete", subject_type="unit_member").count() == 1


async def test_platform_removes_a_dishonest_person_everywhere(deps) -> None:  # R-U6
    boss1, boss2 = await driver_user("boss1"), await driver_user("boss2")
    unit1 = await active_unit(deps, boss1)
    unit2 = await active_unit(deps, boss2, "MA6K3Q2Y", "勐卯社区居委会")
    (a,) = await _pending_members(deps, unit1, 1)
    admin = await platform_admin()
    with pytest.raises(Forbidden):
        await unit_removals.remove_dishonest(deps, boss1, {"id_number": OWNER_ID, "note": "x"})
    with pytest.raises(FieldError) as err:
        await unit_removals.remove_dishonest(deps, admin, {"note": "x"})
    assert err.value.code == "dishonest_subject"
    _record, count = await unit_removals.remove_dishonest(
        deps, admin, {"id_number": OWNER_ID, "note": "列入严重失信主体名单"})
    assert count == 1 and (await Membership.get(id=a.id)).removal_reason == "dishonest"
    notices = await UnitNotice.all().values_list("recipient_id", "kind")
    assert (a.user_id, "member_removed") in notices
    assert (boss1.id, "unit_member_removed") in notices
    assert all(r != boss2.id for r, _ in notices if _ != "unit_authenticated")
    assert unit2.id


async def test_deregistration_removes_every_member_exactly_once(deps) -> None:  # R-U6
    admin = await driver_user("boss")
    unit = await active_unit(deps, admin)
    a, b, c = await _pending_members(deps, unit, 3)
    await unit_members.decide(admin, unit.id, [a.id], True)
    await unit_members.upload(admin, unit.id, consent("unit"))
    await unit_removals.remove_by_unit(admin, unit.id, c.id, "asked")
    platform = await platform_admin()
    results = await asyncio.gather(
        unit_removals.deregister(platform, unit.id, "单位注销"),
        unit_removals.deregister(admin, unit.id, "单位注销"), return_exceptions=True)
    done = [r for r in results if not isinstance(r, Exception)]
    assert len(done) == 1 and done[0][1] == 2
    assert any(isinstance(r, Conflict) for r in results)
    rows = {m.id: m for m in await Membership.all()}
    assert rows[a.id].removal_reason == rows[b.id].removal_reason == "unit_deregistered"
    assert rows[c.id].removal_reason == "asked"
    removed_notices = await UnitNotice.filter(kind="member_removed") \
        .values_list("membership_id", flat=True)
    assert sorted(removed_notices) == sorted([a.id, b.id, c.id])  # each exactly once
    assert await units.unit_for_scene(await _any_scene(unit)) is None
    with pytest.raises(Conflict):
        await unit_removals.deregister(platform, unit.id, "again")


async def _any_scene(unit):
    from borderpass.models.units import RegistrationCode

    return (await RegistrationCode.filter(unit_id=unit.id).first()).scene


# --- R-U7: a unit admin sees only its own unit, masked -------------------------------------


async def test_unit_admin_cannot_touch_another_units_data(deps) -> None:  # R-U7
    boss1, boss2 = await driver_user("boss1"), await driver_user("boss2")
    unit1 = await active_unit(deps, boss1)
    unit2 = await active_unit(deps, boss2, "MA6K3Q2Y", "勐卯社区居委会")
    (a,) = await _pending_members(deps, unit1, 1)
    for call in (unit_members.members(boss2, unit1.id),
                 unit_members.decide(boss2, unit1.id, [a.id], True),
                 unit_removals.remove_by_unit(boss2, unit1.id, a.id, "left"),
                 unit_removals.deregister(boss2, unit1.id, "x"),
                 unit_codes.regenerate_code(boss2, unit1.id)):
        with pytest.raises(NotFound):
            await call
    with pytest.raises(FieldError) as err:  # unit 1's entry through unit 2's door
        await unit_members.decide(boss2, unit2.id, [a.id], True)
    assert err.value.code == "member_not_found"
    assert (await Membership.get(id=a.id)).status is MemberStatus.PENDING


async def test_member_list_is_masked_for_the_unit_and_audited(deps) -> None:  # R-U7
    boss = await driver_user("boss")
    unit = await active_unit(deps, boss)
    await _pending_members(deps, unit, 1)
    _, rows, clear = await unit_members.members(boss, unit.id, "pending")
    shown = present.unit_member(unit_members.view(deps, rows[0], clear))
    assert not clear and shown["id_number"] != OWNER_ID and "*" in shown["id_number"]
    assert shown["name"].startswith("岩") and "*" in shown["name"]
    assert await AuditEvent.filter(action="read", subject_type="unit_members",
                                   actor_id=boss.id).count() == 1
    with pytest.raises(FieldError):
        await unit_members.members(boss, unit.id, "nonsense")


async def test_list_changes_reach_the_outbox_hook_once(deps, monkeypatch) -> None:  # R-U6
    import sys
    import types

    calls: list[tuple] = []

    async def unit_list_changed(*args) -> None:
        calls.append(args)

    fake = types.ModuleType("borderpass.services.notify")
    fake.unit_list_changed = unit_list_changed
    monkeypatch.setitem(sys.modules, "borderpass.services.notify", fake)
    admin = await driver_user("boss")
    unit = await active_unit(deps, admin)
    (a,) = await _pending_members(deps, unit, 1)
    await unit_members.decide(admin, unit.id, [a.id], True)
    await unit_members.upload(admin, unit.id, consent("unit"))
    await unit_removals.remove_by_unit(admin, unit.id, a.id, "asked")
    changes = [(c[1], c[4], c[5]) for c in calls]
    assert changes == [(a.user_id, "added", ""), (a.user_id, "removed", "request")]
    assert len({c[0] for c in calls}) == 2 and OWNER_ID not in str(calls)
    assert all("*" in c[3] and "云N" in c[3] for c in calls)  # masked name and plate
    assert await UnitNotice.exclude(delivered_at=None).count() == 2
