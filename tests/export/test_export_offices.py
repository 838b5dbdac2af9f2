"""What real exporters hit, over HTTP (issue #19): the short-licence trap (R-E3, R-E7), the
VIN check digit (R-E4) and enterprise membership (R-E2)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest
from api_helpers import Caller
from export_factories import EXPORT_USCC, vins
from factories import personal_body
from test_export_api import _doc, _filed, _licence_body

from borderpass.models import AuditEvent
from borderpass.models.export import EnterpriseMember
from borderpass.services import clock
from borderpass.services.validators import vin_check_digit

pytestmark = pytest.mark.usefixtures("db")
MYANMAR = re.compile("[\u1000-\u104f]")


# --- the short-licence trap: a cancellation never makes the return impossible -------------


async def test_short_licence_returned_after_a_cancellation(login, staff_login) -> None:
    clock.freeze(datetime(2026, 4, 1, 2, 0, tzinfo=UTC))  # R-E3, R-E7
    alice, reviewer, customs = (await login(), await staff_login("reviewer"),
                                await staff_login("customs"))
    enterprise_id = await _filed(alice, reviewer)
    two = vins(2)
    status, licence = await alice.call("POST", "/api/v1/export/licences",
                                       json=await _licence_body(alice, enterprise_id, two))
    assert status == 201
    path = f"/api/v1/export/licences/{licence['id']}"
    await customs.call("POST", f"/api/v1/export/review/licences/{licence['id']}/issue")
    status, short = await customs.call(
        "POST", f"/api/v1/export/customs/licences/{licence['id']}/clearance",
        json={"vins": two[:1]})  # 1 of 2 cleared
    assert status == 200 and short["status"] == "short", short
    status, _ = await customs.call("POST", "/api/v1/export/customs/exits", json={"vin": two[0]})
    assert status == 201
    status, done = await alice.call("POST", "/api/v1/export/cancellations", json={
        "vin": two[0], "qr_text": "12123:short", "cancelled_on": "2026-04-01"})
    assert status == 201, done
    reminder = done["licence_to_return"]  # the answer names the licence still to return
    assert reminder["id"] == licence["id"] and reminder["left_off_vins"] == [two[1]]
    assert reminder["return_by"] == short["return_by"]
    status, mine = await alice.call("GET", f"/api/v1/export/enterprises/{enterprise_id}")
    assert [r["id"] for r in mine["licences_to_return"]] == [licence["id"]]

    status, returned = await alice.call("POST", f"{path}/return")
    assert status == 200 and returned["status"] == "returned", returned
    states = {v["vin"]: v["state"] for v in returned["vehicles"]}
    assert states == {two[0]: "cleared", two[1]: "released"}  # the cancelled one stays
    status, mine = await alice.call("GET", f"/api/v1/export/enterprises/{enterprise_id}")
    assert mine["licences_to_return"] == [] and not mine["locked"]
    status, again = await alice.call("POST", "/api/v1/export/licences",
                                      json=await _licence_body(alice, enterprise_id, two[1:]))
    assert status == 201, again  # the left-off VIN is free, not locked for ever
    status, err = await alice.call("POST", "/api/v1/export/licences",
                                   json=await _licence_body(alice, enterprise_id, two[:1]))
    assert status == 422 and err["error"]["code"] == "export_vin_cancelled"
    status, err = await alice.call("POST", f"{path}/return")
    assert status == 409  # returned once


# --- R-E4: the check digit says something is wrong, never what to type ---------------------


@pytest.mark.parametrize(("locale", "words"), [
    ("zh_CN", ("17", "机动车登记证书")), ("en", ("17", "registration certificate")),
    ("my", ("17",))])
async def test_check_digit_error_proposes_no_digit(login, staff_login, locale, words) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")
    enterprise_id = await _filed(alice, reviewer)
    good = vins(1)[0]
    typo = good[:11] + ("7" if good[11] != "7" else "8") + good[12:]  # position 12
    body = await _licence_body(alice, enterprise_id, [typo])
    await alice.call("PATCH", "/api/v1/me", json={"locale": locale})
    status, err = await alice.call("POST", "/api/v1/export/licences", json=body)
    assert status == 422 and err["error"]["code"] == "vin_checksum", err
    message = err["error"]["message"]
    assert all(w in message for w in words) and (locale != "my" or MYANMAR.search(message))
    # No digit is proposed: the only numbers are the 17 characters and the position 9.
    assert set(re.findall(r"[0-9X]+", message)) <= {"17", "9"}, message
    assert vin_check_digit(typo) != typo[8]
    filing = personal_body(vin=typo)  # the vehicle filing door says the same
    status, err = await alice.call("POST", "/api/v1/filings", json=filing)
    assert status == 422 and err["error"]["code"] == "vin_checksum"
    assert err["error"]["message"] == message


# --- R-E2: members, invited and removed by members; a refused filing grants nothing -------


async def _file(caller: Caller, name: str = "瑞丽二手车出口有限公司") -> tuple[int, dict]:
    body = {"uscc": EXPORT_USCC, "enterprise_name": name, "address": "瑞丽市姐告 1 号",
            "legal_representative": "李明", "contact_name": "王芳",
            "contact_phone": "13812345678",
            "documents": {k: await _doc(caller, k)
                          for k in ("business_licence", "export_filing_form")}}
    return await caller.call("POST", "/api/v1/export/filings", json=body)


async def test_refused_impostor_leaves_the_uscc_free(login, staff_login) -> None:  # R-E2
    mallory, alice, reviewer = (await login("mallory"), await login("alice"),
                                await staff_login("reviewer"))
    status, fake = await _file(mallory, "假冒公司")
    assert status == 201
    status, real = await _file(alice)  # a pending impostor does not hold the USCC
    assert status == 201, real
    status, mine = await mallory.call("GET", "/api/v1/export/enterprises")
    assert mine["items"] == []  # filing granted nothing
    status, _seen = await mallory.call("GET", f"/api/v1/export/filings/{fake['id']}")
    assert status == 200  # but the applicant follows their own filing
    status, _ = await reviewer.call("POST", f"/api/v1/export/review/filings/{fake['id']}/refuse",
                                    json={"reasons": [{"message": "营业执照与企业不符"}]})
    assert status == 200
    status, approved = await reviewer.call(
        "POST", f"/api/v1/export/review/filings/{real['id']}/approve")
    assert status == 200 and approved["in_force"]
    status, mine = await alice.call("GET", "/api/v1/export/enterprises")
    assert [e["uscc"] for e in mine["items"]] == [EXPORT_USCC]
    status, err = await _file(mallory, "假冒公司")
    assert status == 403 and err["error"]["code"] == "export_not_member"
    status, members = await alice.call(
        "GET", f"/api/v1/export/enterprises/{approved['enterprise_id']}/members")
    assert [(m["user_id"], m["is_contact"]) for m in members["items"]] == [(alice.user_id, True)]


async def test_second_approval_of_a_rival_claimant_is_refused(login, staff_login) -> None:
    mallory, alice, reviewer = (await login("mallory"), await login("alice"),
                                await staff_login("reviewer"))
    _, fake = await _file(mallory, "假冒公司")
    _, real = await _file(alice)
    status, _ = await reviewer.call("POST", f"/api/v1/export/review/filings/{real['id']}/approve")
    assert status == 200
    status, err = await reviewer.call(
        "POST", f"/api/v1/export/review/filings/{fake['id']}/approve")
    assert status == 409 and err["error"]["code"] == "export_not_member"
    status, still = await reviewer.call("GET", "/api/v1/export/review/filings")
    assert [f["id"] for f in still["items"]] == [fake["id"]]  # left for a refusal
    assert await EnterpriseMember.filter(user_id=mallory.user_id).count() == 0


async def test_members_invite_add_remove_and_name_a_contact(login, staff_login) -> None:
    alice, reviewer = await login("alice"), await staff_login("reviewer")  # R-E2
    bob, carol, dave, eve = [await login(n) for n in ("bob", "carol", "dave", "eve")]
    enterprise_id = await _filed(alice, reviewer)
    base = f"/api/v1/export/enterprises/{enterprise_id}"

    status, err = await bob.call("POST", f"{base}/invitations")
    assert status == 404  # only members invite
    status, invite = await alice.call("POST", f"{base}/invitations")
    assert status == 201 and len(invite["code"]) >= 16
    status, err = await bob.call("POST", "/api/v1/export/invitations/accept",
                                 json={"code": invite["code"] + "x"})
    assert status == 422 and err["error"]["code"] == "export_invite_unknown"
    twins = await asyncio.gather(*[c.call("POST", "/api/v1/export/invitations/accept",
                                          json={"code": invite["code"]}) for c in (bob, eve)])
    assert sorted(s for s, _ in twins) == [201, 422]  # a code is spent once
    joined = bob if twins[0][0] == 201 else eve
    other = eve if joined is bob else bob

    status, _ = await carol.call("PATCH", "/api/v1/me", json={"phone": "13711112222"})
    status, added = await joined.call("POST", f"{base}/members", json={"phone": "13711112222"})
    assert status == 201 and added["user_id"] == carol.user_id and not added["is_contact"]
    assert added["phone"] != "13711112222"  # masked (R-U7)
    status, err = await alice.call("POST", f"{base}/members", json={"phone": "13700000000"})
    assert status == 422 and err["error"]["code"] == "export_member_user"
    status, err = await alice.call("POST", f"{base}/members",
                                   json={"phone": "13711112222", "user_id": dave.user_id})
    assert status == 422 and err["error"]["code"] == "export_member_one_way"
    status, err = await alice.call("POST", f"{base}/members", json={"user_id": carol.user_id})
    assert status == 409 and err["error"]["code"] == "export_member_exists"
    status, added = await alice.call("POST", f"{base}/members", json={"user_id": dave.user_id})
    assert status == 201
    status, err = await other.call("POST", f"{base}/members", json={"user_id": other.user_id})
    assert status == 404  # a non-member cannot add anyone, themselves included

    status, members = await carol.call("GET", f"{base}/members")
    by_user = {m["user_id"]: m for m in members["items"]}
    assert set(by_user) == {alice.user_id, joined.user_id, carol.user_id, dave.user_id}
    assert [m["user_id"] for m in members["items"] if m["is_contact"]] == [alice.user_id]
    status, contact = await carol.call(
        "POST", f"{base}/members/{by_user[joined.user_id]['id']}/contact")
    assert status == 200 and contact["is_contact"]
    status, members = await carol.call("GET", f"{base}/members")
    assert [m["user_id"] for m in members["items"] if m["is_contact"]] == [joined.user_id]

    status, _ = await joined.call("POST", f"{base}/members/{by_user[alice.user_id]['id']}/remove")
    assert status == 200
    status, err = await alice.call("GET", f"/api/v1/export/enterprises/{enterprise_id}")
    assert status == 404  # alice is out
    for uid in (carol.user_id, dave.user_id):
        status, _ = await joined.call("POST", f"{base}/members/{by_user[uid]['id']}/remove")
        assert status == 200
    status, err = await joined.call(
        "POST", f"{base}/members/{by_user[joined.user_id]['id']}/remove")
    assert status == 409 and err["error"]["code"] == "export_member_last"
    status, members = await joined.call("GET", f"{base}/members")
    assert [(m["user_id"], m["is_contact"]) for m in members["items"]] == [
        (joined.user_id, True)]
    audit = await AuditEvent.filter(subject_type="export_member").values_list("action",
                                                                              flat=True)
    assert sorted(audit) == ["create"] * 4 + ["delete"] * 3 + ["update"]


async def test_two_members_removing_each_other_leave_one(login, staff_login) -> None:
    alice, bob, reviewer = await login("alice"), await login("bob"), await staff_login("reviewer")
    enterprise_id = await _filed(alice, reviewer)
    base = f"/api/v1/export/enterprises/{enterprise_id}"
    status, _ = await alice.call("POST", f"{base}/members", json={"user_id": bob.user_id})
    assert status == 201
    _status, members = await alice.call("GET", f"{base}/members")
    ids = {m["user_id"]: m["id"] for m in members["items"]}
    answers = await asyncio.gather(
        alice.call("POST", f"{base}/members/{ids[bob.user_id]}/remove"),
        bob.call("POST", f"{base}/members/{ids[alice.user_id]}/remove"))
    assert sorted(s for s, _ in answers)[0] == 200
    assert await EnterpriseMember.filter(enterprise_id=enterprise_id).count() == 1
