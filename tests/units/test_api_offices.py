"""What real unit offices hit, over HTTP (issue #19): dishonesty records (R-U6), each driver
joining for themselves (R-U3), and a refused join that changes nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from api_helpers import Caller, attach_documents
from factories import OWNER_ID, SECOND_ID, personal_body
from test_api_units import _active_unit
from unit_helpers import THIRD_ID, consent, filed, shared_body

from borderpass.models import AuditEvent, Filing, FilingCommitment, User
from borderpass.models.enums import FilingStatus
from borderpass.models.units import (
    Commitment,
    DishonestyRecord,
    DishonestySubject,
    Membership,
)
from borderpass.services import clock
from borderpass.services.units import unit_members

pytestmark = pytest.mark.usefixtures("db")
JOIN = "/api/v1/units/join"


async def _draft(caller: Caller, body: dict, extra: tuple[str, ...] = ()) -> dict:
    """A complete draft filing made through the API, with every document it needs."""
    body = dict(body)
    body["documents"] = await attach_documents(caller, drivers=len(body["drivers"]))
    for slot in extra:
        status, doc = await caller.upload(slot)
        assert status == 201
        body["documents"][slot] = doc["id"]
    status, filing = await caller.call("POST", "/api/v1/filings", json=body)
    assert status == 201, filing
    return filing


def _join(scene: str, filing: dict, position: int = 0, **more: object) -> dict:
    return {"scene": scene, "filing_id": filing["id"],
            "driver_id": filing["drivers"][position]["id"], "commitment": consent()} | more


async def _listed(boss: Caller, unit: dict, member_id: int) -> None:
    status, _ = await boss.call("POST", f"/api/v1/units/{unit['id']}/members/verify",
                                json={"member_ids": [member_id]})
    assert status == 200
    status, _ = await boss.call("POST", f"/api/v1/units/{unit['id']}/uploads",
                                json={"commitment": consent("unit")})
    assert status == 201


# --- R-U6: a removal for serious dishonesty is a record every join checks ------------------


async def test_removed_person_cannot_rejoin_until_the_record_ends(
        unit_login, unit_staff_login) -> None:  # R-U6
    boss, boss2 = await unit_login("boss"), await unit_login("boss2")
    admin, alice = await unit_staff_login("admin"), await unit_login("alice")
    unit = await _active_unit(boss, admin)
    unit2 = await _active_unit(boss2, admin, "MA6K3Q2Y")
    filing = await _draft(alice, personal_body())
    status, member = await alice.call("POST", JOIN, json=_join(unit["scene"], filing))
    assert status == 201, member
    await _listed(boss, unit, member["id"])

    remove = "/api/v1/admin/credit-list/remove"
    status, err = await boss.call("POST", remove, json={"id_number": OWNER_ID, "note": "x"})
    assert status == 403  # the platform only
    later = (clock.now() + timedelta(days=30)).isoformat()
    status, err = await admin.call("POST", remove, json={
        "id_number": OWNER_ID, "note": "x", "until": "2020-01-01T00:00:00+08:00"})
    assert status == 422 and err["error"]["code"] == "dishonesty_until_past"
    assert not await DishonestyRecord.exists()  # a refused removal writes nothing
    status, done = await admin.call("POST", remove, json={
        "id_number": OWNER_ID, "note": "列入严重失信主体名单", "until": later})
    assert status == 200 and done["removed"] == 1, done
    record = done["record"]
    assert record["in_force"] and record["subject_kind"] == "person"
    assert record["subject"].startswith("岩*") and OWNER_ID not in repr(done)

    stored = await DishonestyRecord.get(id=record["id"])  # who, why, by whom, when, until
    assert stored.subject_kind is DishonestySubject.PERSON
    assert OWNER_ID not in repr(await DishonestyRecord.filter(id=stored.id).values())
    assert stored.reason == "列入严重失信主体名单" and stored.recorded_by_id == admin.user_id
    assert stored.until is not None and stored.removed_count == 1

    status, notices = await boss.call("GET", "/api/v1/units/notices")
    removed = [n["text"] for n in notices["items"] if n["kind"] == "unit_member_removed"]
    assert removed and "岩* 云N12345" in removed[0] and "岩温" not in removed[0]

    again = _join(unit["scene"], filing)
    status, err = await alice.call("POST", JOIN, json=again)  # the same scene
    assert status == 403 and err["error"]["code"] == "member_dishonest", err
    status, err = await alice.call("POST", JOIN, json=_join(unit2["scene"], filing))
    assert status == 403 and err["error"]["code"] == "member_dishonest"  # another unit
    assert await Membership.filter(status="pending").count() == 0

    status, listed = await admin.call("GET", "/api/v1/admin/dishonesty")
    assert [r["id"] for r in listed["items"]] == [record["id"]]
    clock.freeze(clock.now() + timedelta(days=31))  # the record ended
    status, back = await alice.call("POST", JOIN, json=_join(unit2["scene"], filing))
    assert status == 201, back


async def test_verification_checks_the_record_and_lifting_ends_it(
        unit_login, unit_staff_login, deps) -> None:  # R-U6
    boss, admin, alice = (await unit_login("boss"), await unit_staff_login("admin"),
                          await unit_login("alice"))
    unit = await _active_unit(boss, admin)
    filing = await _draft(alice, personal_body())
    status, member = await alice.call("POST", JOIN, json=_join(unit["scene"], filing))
    assert status == 201
    # The record lands between the join and the unit's decision (the removal found the
    # entry before it was written): the unit cannot verify the person back.
    record = await DishonestyRecord.create(
        subject_kind=DishonestySubject.VEHICLE, subject_key="云N12345", subject_label="云N12345",
        reason="x", recorded_by_id=admin.user_id)
    status, err = await boss.call("POST", f"/api/v1/units/{unit['id']}/members/verify",
                                  json={"member_ids": [member["id"]]})
    assert status == 403 and err["error"] == {
        "code": "member_dishonest", "field": "member_ids[0]", "message": err["error"]["message"]}
    assert (await Membership.get(id=member["id"])).status.value == "pending"

    lift = f"/api/v1/admin/dishonesty/{record.id}/lift"
    status, err = await boss.call("POST", lift, json={"reason": "法院撤销"})
    assert status == 403
    status, err = await admin.call("POST", lift, json={"reason": " "})
    assert status == 422 and err["error"]["field"] == "reason"
    status, lifted = await admin.call("POST", lift, json={"reason": "法院撤销"})
    assert status == 200 and not lifted["in_force"] and lifted["lift_reason"] == "法院撤销"
    status, err = await admin.call("POST", lift, json={"reason": "again"})
    assert status == 409
    assert await AuditEvent.filter(subject_type="dishonesty_record").count() == 1
    status, _ = await boss.call("POST", f"/api/v1/units/{unit['id']}/members/verify",
                                json={"member_ids": [member["id"]]})
    assert status == 200


async def test_removal_by_vehicle_bars_every_driver_of_it(unit_login, unit_staff_login) -> None:
    boss, admin, alice = (await unit_login("boss"), await unit_staff_login("admin"),
                          await unit_login("alice"))
    unit = await _active_unit(boss, admin)
    status, done = await admin.call("POST", "/api/v1/admin/credit-list/remove",
                                    json={"plate_number": "云N12345", "note": "走私"})
    assert status == 200 and done["removed"] == 0  # a record even with nobody listed (R-U6)
    status, twice = await admin.call("POST", "/api/v1/admin/credit-list/remove",
                                     json={"plate_number": "云N12345", "note": "走私"})
    assert twice["record"]["id"] == done["record"]["id"]  # a repeat does not stack records
    filing = await _draft(alice, personal_body())
    status, err = await alice.call("POST", JOIN, json=_join(unit["scene"], filing))
    assert status == 403 and err["error"]["code"] == "member_dishonest"
    status, again = await alice.call("GET", f"/api/v1/filings/{filing['id']}")
    assert again["status"] == "draft"  # refused before anything was written


# --- R-U3: each driver joins themselves, with their own commitment -------------------------


async def test_second_driver_joins_for_themselves(unit_login, unit_staff_login) -> None:  # R-U3
    boss, admin = await unit_login("boss"), await unit_staff_login("admin")
    alice, bob, carol = [await unit_login(n) for n in ("alice", "bob", "carol")]
    unit = await _active_unit(boss, admin)
    filing = await _draft(alice, shared_body("岩叫", SECOND_ID, True), ("relationship_proof",))
    status, err = await alice.call("POST", JOIN, json=_join(unit["scene"], filing, 1,
                                                            id_number=SECOND_ID))
    assert status == 403 and err["error"]["code"] == "member_other_person", err
    status, err = await bob.call("POST", JOIN, json=_join(unit["scene"], filing, 1))
    assert status == 422 and err["error"]["code"] == "filing_not_found"  # strangers learn nil
    status, err = await alice.call("GET", f"/api/v1/filings/{filing['id']}")
    assert err["status"] == "draft"  # nothing was submitted by the refused attempts
    status, err = await alice.call("POST", JOIN, json=_join(unit["scene"], filing, 0,
                                                            id_number=SECOND_ID))
    assert status == 422 and err["error"]["code"] == "member_id_mismatch"  # stated: checked
    status, mine = await alice.call("POST", JOIN, json=_join(unit["scene"], filing, 0))
    assert status == 201, mine
    status, err = await alice.call("POST", JOIN, json=_join(unit["scene"], filing, 1,
                                                            id_number=SECOND_ID))
    assert status == 403 and err["error"]["code"] == "member_other_person"  # never for another

    status, err = await bob.call("POST", JOIN, json=_join(unit["scene"], filing, 1,
                                                          id_number=THIRD_ID))
    assert status == 422 and err["error"]["field"] == "id_number"
    assert err["error"]["code"] == "member_id_mismatch"
    status, err = await bob.call("POST", JOIN, json=_join(unit["scene"], filing, 0,
                                                          id_number=OWNER_ID))
    assert status == 403 and err["error"]["code"] == "member_other_person"  # the owner's row
    status, his = await bob.call("POST", JOIN, json=_join(unit["scene"], filing, 1,
                                                          id_number=SECOND_ID),
                                 headers={"Idempotency-Key": "bob-join"})
    assert status == 201 and not his["is_owner"], his
    member = await Membership.get(id=his["id"])
    signed = await Commitment.get(id=member.commitment_id)  # type: ignore[attr-defined]
    assert member.user_id == bob.user_id and signed.signed_by_id == bob.user_id  # type: ignore[attr-defined]
    status, _seen = await bob.call("GET", f"/api/v1/filings/{filing['id']}")
    assert status == 200  # the driver now sees the filing they drive on
    status, err = await carol.call("POST", JOIN, json=_join(unit["scene"], filing, 1,
                                                            id_number=SECOND_ID))
    assert status == 403 and err["error"]["code"] == "member_other_person"  # bound to bob
    status, same = await bob.call("POST", JOIN, json=_join(unit["scene"], filing, 1,
                                                           id_number=SECOND_ID),
                                  headers={"Idempotency-Key": "bob-join"})
    assert status == 201 and same["id"] == his["id"]  # a retry answers the same
    status, err = await bob.call("POST", JOIN, json=_join(unit["scene"], filing, 1))
    assert status == 409 and err["error"]["code"] == "member_already_listed"


async def test_driver_cannot_join_on_someone_elses_draft(unit_login, unit_staff_login) -> None:
    boss, admin = await unit_login("boss"), await unit_staff_login("admin")
    alice, bob = await unit_login("alice"), await unit_login("bob")
    unit = await _active_unit(boss, admin)
    filing = await _draft(alice, shared_body("岩叫", SECOND_ID, True), ("relationship_proof",))
    status, err = await bob.call("POST", JOIN, json=_join(unit["scene"], filing, 1,
                                                          id_number=SECOND_ID))
    assert status == 409 and err["error"]["code"] == "member_filing_state"  # R-U3
    status, again = await alice.call("GET", f"/api/v1/filings/{filing['id']}")
    assert again["status"] == "draft"
    assert not await Membership.exists() and not await Commitment.filter(kind="personal").exists()


# --- a refused join changes nothing --------------------------------------------------------


async def test_refused_join_leaves_the_draft_a_draft(unit_login, unit_staff_login,
                                                     deps) -> None:  # R-U5
    boss, admin, third = (await unit_login("boss"), await unit_staff_login("admin"),
                          await unit_login("third"))
    unit = await _active_unit(boss, admin)
    owner, second = [await User.get(id=(await unit_login(n)).user_id)
                     for n in ("owner", "second")]
    from borderpass.models.units import Unit

    live = await Unit.get(id=unit["id"])
    first = await filed(deps, owner, shared_body("岩叫", SECOND_ID, True))
    for user, position, number in ((owner, 0, OWNER_ID), (second, 1, SECOND_ID)):
        driver = (await first.drivers.all().order_by("position"))[position]
        await unit_members.join(deps, user, {
            "scene": unit["scene"], "filing_id": first.id, "driver_id": driver.id,
            "commitment": consent(), "id_number": number})
    await Filing.filter(id=first.id).update(status=FilingStatus.EXPIRED)
    assert live.id == unit["id"]

    draft = await _draft(third, shared_body("岩三", THIRD_ID, False),
                         ("relationship_proof", "power_of_attorney"))
    before = (await Commitment.all().count(), await FilingCommitment.all().count(),
              await Membership.all().count())
    status, err = await third.call("POST", JOIN, json=_join(unit["scene"], draft, 1,
                                                            id_number=THIRD_ID))
    assert status == 422 and err["error"]["code"] == "list_personal_max_drivers", err
    status, after = await third.call("GET", f"/api/v1/filings/{draft['id']}")
    assert after["status"] == "draft" and after["submitted_at"] is None
    assert (await Commitment.all().count(), await FilingCommitment.all().count(),
            await Membership.all().count()) == before
    assert (await Filing.get(id=draft["id"])).status is FilingStatus.DRAFT


async def test_incomplete_draft_is_reported_and_stays_a_draft(unit_login,
                                                              unit_staff_login) -> None:
    boss, admin, alice = (await unit_login("boss"), await unit_staff_login("admin"),
                          await unit_login("alice"))
    unit = await _active_unit(boss, admin)
    status, filing = await alice.call("POST", "/api/v1/filings", json=personal_body())
    assert status == 201
    status, err = await alice.call("POST", JOIN, json=_join(unit["scene"], filing))
    assert status == 422 and len(err["errors"]) > 1  # every missing document at once
    status, again = await alice.call("GET", f"/api/v1/filings/{filing['id']}")
    assert again["status"] == "draft" and not await Membership.exists()


async def test_concurrent_twin_joins_list_once(unit_login, unit_staff_login) -> None:
    boss, admin, alice = (await unit_login("boss"), await unit_staff_login("admin"),
                          await unit_login("alice"))
    unit = await _active_unit(boss, admin)
    filing = await _draft(alice, personal_body())
    body = _join(unit["scene"], filing)
    answers = await asyncio.gather(*[alice.call("POST", JOIN, json=body) for _ in range(3)])
    statuses = sorted(status for status, _ in answers)
    assert statuses[0] == 201 and statuses[1:] == [409, 409], answers
    assert await Membership.all().count() == 1
    _status, again = await alice.call("GET", f"/api/v1/filings/{filing['id']}")
    assert again["status"] == "submitted"


async def test_removal_and_its_record_are_one_change(unit_login, unit_staff_login) -> None:
    from api_helpers import outbox_broken

    boss, admin, alice = (await unit_login("boss"), await unit_staff_login("admin"),
                          await unit_login("alice"))
    unit = await _active_unit(boss, admin)
    filing = await _draft(alice, personal_body())
    status, member = await alice.call("POST", JOIN, json=_join(unit["scene"], filing))
    await _listed(boss, unit, member["id"])
    body = {"id_number": OWNER_ID, "note": "列入严重失信主体名单"}
    async with outbox_broken():  # the removal's messages cannot be queued: nothing happens
        status, _ = await admin.call("POST", "/api/v1/admin/credit-list/remove", json=body)
    assert status >= 500
    assert not await DishonestyRecord.exists()  # R-U6: no record without its removal …
    assert (await Membership.get(id=member["id"])).status.value == "listed"  # … nor removal
    status, done = await admin.call("POST", "/api/v1/admin/credit-list/remove", json=body)
    assert status == 200 and done["removed"] == 1 and done["record"]["removed_count"] == 1
