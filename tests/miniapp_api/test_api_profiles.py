"""Organisation profiles over HTTP (R-P1): entered once, then unit registration, business
filing and export filing come prefilled from it; history; strangers; bad USCC; twins."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from api_helpers import Caller, attach_documents
from factories import business_body

from borderpass.models import OrganisationProfile, ProfileChange
from borderpass.services.validators import make_uscc

pytestmark = pytest.mark.usefixtures("db")
USCC = make_uscc("MA6P1D3C")


async def _doc(caller: Caller, kind: str) -> int:
    status, body = await caller.upload(kind)
    assert status == 201, body
    return int(body["id"])


async def _profile(alice: Caller, uscc: str = USCC, **extra: Any) -> dict[str, Any]:
    body = {"uscc": uscc, "organisation_name": "瑞丽边贸进出口有限公司",
            "legal_representative": "李明", "address": "瑞丽市姐告大道 8 号",
            "contact_name": "王芳", "contact_phone": "13812345678",
            "licence_document_id": await _doc(alice, "business_licence"), **extra}
    status, profile = await alice.call("POST", "/api/v1/profiles", json=body)
    assert status == 201, profile
    assert profile["status"] == "claimed" and profile["contact_phone"] == "138******78"
    return profile  # type: ignore[no-any-return]


async def _business_filing(alice: Caller, profile_id: int, **org: Any) -> tuple[int, Any]:
    body = business_body()
    del body["organisation"]
    if org:
        body["organisation"] = org
    docs = await attach_documents(alice, "business")
    docs.pop("business_licence")  # the profile's photo is used
    body |= {"documents": docs, "profile_id": profile_id}
    return await alice.call("POST", "/api/v1/filings", json=body)


async def test_declared_once_then_three_flows_prefilled(login, staff_login) -> None:  # R-P1a
    alice, admin = await login(), await staff_login("admin")
    reviewer = await staff_login("reviewer")
    profile = await _profile(alice)
    pid, licence = profile["id"], profile["licence_document_id"]

    status, unit = await alice.call("POST", "/api/v1/units",
                                    json={"profile_id": pid, "unit_kind": "enterprise"})
    assert status == 201, unit
    assert (unit["name"], unit["uscc"], unit["contact_name"], unit["profile_id"]) == (
        "瑞丽边贸进出口有限公司", USCC, "王芳", pid)
    assert unit["contact_phone"] == "138******78"  # the phone came from the sealed profile
    assert unit["documents"] == {"business_licence": licence}

    status, filing = await _business_filing(alice, pid)
    assert status == 201, filing
    assert filing["organisation"] == {"name": "瑞丽边贸进出口有限公司", "uscc": USCC}
    assert filing["profile_id"] == pid and filing["documents"]["business_licence"] == licence

    form = await _doc(alice, "export_filing_form")
    status, export = await alice.call("POST", "/api/v1/export/filings", json={
        "profile_id": pid, "documents": {"export_filing_form": form}})
    assert status == 201, export
    assert (export["uscc"], export["enterprise_name"], export["address"],
            export["legal_representative"], export["contact_phone"], export["profile_id"]) == (
        USCC, "瑞丽边贸进出口有限公司", "瑞丽市姐告大道 8 号", "李明", "138******78", pid)
    assert export["documents"]["business_licence"] == licence

    # R-P1b: the first approval made from the profile verifies it
    status, _ = await admin.call("POST", f"/api/v1/admin/units/{unit['id']}/authenticate",
                                 json={"approve": True})
    assert status == 200
    status, seen = await alice.call("GET", f"/api/v1/profiles/{pid}")
    assert seen["status"] == "verified" and seen["verified_how"] == "unit_authenticated"
    status, approved = await reviewer.call(
        "POST", f"/api/v1/export/review/filings/{export['id']}/approve")
    assert status == 200, approved  # a verified profile stays as it is


async def test_change_shows_in_history_and_next_prefill(login) -> None:  # R-P1c
    alice = await login()
    profile = await _profile(alice)
    pid = profile["id"]
    status, changed = await alice.call("PATCH", f"/api/v1/profiles/{pid}", json={
        "organisation_name": "瑞丽边贸集团有限公司", "contact_phone": "13987654321",
        "contact_name": "王芳", "version": profile["version"]})
    assert status == 200, changed
    assert changed["version"] == 2 and changed["organisation_name"] == "瑞丽边贸集团有限公司"
    status, history = await alice.call("GET", f"/api/v1/profiles/{pid}/history")
    assert status == 200
    lines = {h["field"]: h for h in history["items"]}
    assert set(lines) == {"created", "organisation_name", "contact_phone"}  # unchanged: none
    assert (lines["organisation_name"]["old"], lines["organisation_name"]["new"]) == (
        "瑞丽边贸进出口有限公司", "瑞丽边贸集团有限公司")
    assert (lines["contact_phone"]["old"], lines["contact_phone"]["new"]) == (
        "138******78", "139******21")  # personal values masked (R-U7)
    assert lines["contact_phone"]["actor_id"] == alice.user_id
    assert "13987654321" not in repr(history) and "13812345678" not in repr(history)

    status, prefill = await alice.call("GET", f"/api/v1/profiles/{pid}/prefill?flow=unit")
    assert status == 200 and prefill["fields"]["unit_name"] == "瑞丽边贸集团有限公司"
    assert prefill["fields"]["contact_phone"] == "139******21"
    status, filing = await _business_filing(alice, pid)
    assert status == 201 and filing["organisation"]["name"] == "瑞丽边贸集团有限公司"

    # a form may not quietly differ from the profile: the change is made there, once
    status, clash = await _business_filing(alice, pid, name="别的公司")
    assert status == 422 and clash["error"]["code"] == "profile_mismatch"
    assert clash["error"]["field"] == "organisation.name"
    # a change made meanwhile by someone else is not overwritten
    status, stale = await alice.call("PATCH", f"/api/v1/profiles/{pid}", json={
        "address": "芒市", "version": 1})
    assert status == 409 and stale["error"]["code"] == "profile_changed_meanwhile"
    status, unchanged = await alice.call("GET", f"/api/v1/profiles/{pid}")
    assert unchanged["address"] == "瑞丽市姐告大道 8 号" and unchanged["version"] == 2


async def test_stranger_cannot_read_change_use_or_take_over(login, staff_login) -> None:
    alice, bob, admin = await login(), await login("bob"), await staff_login("admin")
    profile = await _profile(alice)
    pid = profile["id"]
    for method, path in (("GET", f"/api/v1/profiles/{pid}"),
                         ("GET", f"/api/v1/profiles/{pid}/history"),
                         ("PATCH", f"/api/v1/profiles/{pid}")):
        status, body = await bob.call(method, path, json={"address": "x"} if method == "PATCH"
                                      else None)
        assert status == 404 and body["error"]["code"] == "profile_not_found", (path, body)
    status, body = await bob.call("GET", f"/api/v1/profiles/{pid}/prefill?flow=unit")
    assert status == 422 and body["error"]["code"] == "profile_not_found"
    status, body = await bob.call("POST", "/api/v1/units",
                                  json={"profile_id": pid, "unit_kind": "enterprise"})
    assert status == 422 and body["error"]["field"] == "profile_id"
    assert "瑞丽" not in repr(body)

    # R-P1b: bob's claim of the same USCC is his own; it neither reads nor overwrites hers
    bobs = await _profile(bob, organisation_name="冒名公司")
    assert bobs["id"] != pid
    status, unit = await alice.call("POST", "/api/v1/units",
                                    json={"profile_id": pid, "unit_kind": "enterprise"})
    assert status == 201, unit
    await admin.call("POST", f"/api/v1/admin/units/{unit['id']}/authenticate",
                     json={"approve": True})
    status, his = await bob.call("GET", f"/api/v1/profiles/{bobs['id']}")
    assert status == 200 and his["status"] == "superseded"
    status, body = await bob.call("PATCH", f"/api/v1/profiles/{bobs['id']}",
                                  json={"address": "y"})
    assert status == 409 and body["error"]["code"] == "profile_superseded"
    form = await _doc(bob, "export_filing_form")
    status, body = await bob.call("POST", "/api/v1/export/filings", json={
        "profile_id": bobs["id"], "documents": {"export_filing_form": form}})
    assert status == 409 and body["error"]["code"] == "profile_superseded"
    status, body = await bob.call("POST", "/api/v1/profiles", json={
        "uscc": USCC, "organisation_name": "冒名公司", "legal_representative": "张三",
        "address": "x", "contact_name": "张三", "contact_phone": "13700000000"})
    assert status == 409 and body["error"]["code"] == "profile_uscc_verified"
    assert "瑞丽" not in repr(body)
    status, hers = await alice.call("GET", f"/api/v1/profiles/{pid}")
    assert hers["organisation_name"] == "瑞丽边贸进出口有限公司" and hers["version"] == 1

    # a colleague made unit admin edits the verified profile; staff read it
    carol = await login("carol")
    status, _ = await alice.call("POST", f"/api/v1/units/{unit['id']}/admins",
                                 json={"user_id": carol.user_id})
    assert status == 200
    status, edited = await carol.call("PATCH", f"/api/v1/profiles/{pid}",
                                      json={"address": "瑞丽市姐告大道 9 号"})
    assert status == 200 and edited["version"] == 2
    status, mine = await carol.call("GET", "/api/v1/profiles")
    assert [p["id"] for p in mine["items"]] == [pid]
    status, staff_view = await admin.call("GET", f"/api/v1/admin/profiles?uscc={USCC}")
    assert {p["status"] for p in staff_view["items"]} == {"verified", "superseded"}


async def test_bad_uscc_refused_naming_the_field_nothing_changed(login) -> None:
    alice = await login()
    bad = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")
    status, body = await alice.call("POST", "/api/v1/profiles", json={
        "uscc": bad, "organisation_name": "瑞丽边贸", "legal_representative": "李明",
        "address": "瑞丽", "contact_name": "王芳", "contact_phone": "12"})
    assert status == 422
    fields = {e["field"]: e["code"] for e in body["errors"]}
    assert fields == {"uscc": "uscc_checksum", "contact_phone": fields["contact_phone"]}
    assert await OrganisationProfile.all().count() == 0
    profile = await _profile(alice)
    status, body = await alice.call("PATCH", f"/api/v1/profiles/{profile['id']}", json={
        "uscc": make_uscc("MA6P1D3D")})
    assert status == 422 and body["error"]["field"] == "uscc"
    status, body = await alice.call("PATCH", f"/api/v1/profiles/{profile['id']}", json={
        "address": "芒市", "contact_phone": "not a phone"})
    assert status == 422 and body["errors"][0]["field"] == "contact_phone"
    status, same = await alice.call("GET", f"/api/v1/profiles/{profile['id']}")
    assert same["address"] == "瑞丽市姐告大道 8 号" and same["version"] == 1
    assert await ProfileChange.all().count() == 1  # only "created"


async def test_concurrent_twins_make_one_profile(login) -> None:
    alice = await login()
    doc = await _doc(alice, "business_licence")
    body = {"uscc": USCC, "organisation_name": "瑞丽边贸", "legal_representative": "李明",
            "address": "瑞丽", "contact_name": "王芳", "contact_phone": "13812345678",
            "licence_document_id": doc}
    answers = await asyncio.gather(*(alice.call("POST", "/api/v1/profiles", json=body)
                                      for _ in range(3)))
    statuses = sorted(status for status, _ in answers)
    assert statuses[0] == 201 and set(statuses[1:]) == {409}, answers
    assert await OrganisationProfile.filter(uscc=USCC).count() == 1
    keyed = {"Idempotency-Key": "profile-twin"}
    other = {**body, "uscc": make_uscc("MA6P1D3E")}
    twins = await asyncio.gather(*(alice.call("POST", "/api/v1/profiles", json=other,
                                              headers=keyed) for _ in range(2)))
    assert {status for status, _ in twins} <= {201, 409}
    assert await OrganisationProfile.filter(uscc=other["uscc"]).count() == 1


async def test_staff_and_filing_approval_verify(login, staff_login) -> None:  # R-P1b
    alice, bob = await login(), await login("bob")
    reviewer = await staff_login("reviewer")
    hers, his = await _profile(alice), await _profile(bob)
    status, filing = await _business_filing(alice, hers["id"])
    assert status == 201, filing
    status, submitted = await alice.call("POST", f"/api/v1/filings/{filing['id']}/submit")
    assert status == 200, submitted
    status, _ = await reviewer.call("POST", f"/api/v1/review/filings/{filing['id']}/approve")
    assert status == 200
    status, seen = await alice.call("GET", f"/api/v1/profiles/{hers['id']}")
    assert seen["status"] == "verified" and seen["verified_how"] == "filing_approved"
    status, body = await reviewer.call("POST", f"/api/v1/admin/profiles/{his['id']}/verify")
    assert status == 409 and body["error"]["code"] == "profile_superseded"
    other = await _profile(bob, uscc=make_uscc("MA6P1D3F"))
    driver = await login("dave")
    status, body = await driver.call("POST", f"/api/v1/admin/profiles/{other['id']}/verify")
    assert status == 403
    status, verified = await reviewer.call("POST",
                                           f"/api/v1/admin/profiles/{other['id']}/verify")
    assert status == 200 and verified["verified_how"] == "staff"


async def test_licence_photo_fills_the_profile_form(login) -> None:  # R-P1d
    import io
    import sys
    from pathlib import Path

    from PIL import Image

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ocr"))
    import docgen

    if docgen.font_path() is None:
        pytest.skip("no CJK font installed to draw a test document")
    alice = await login()
    pixels, truth = docgen.business_licence(USCC)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=92)
    status, doc = await alice.upload("business_licence", buf.getvalue())
    assert status == 201, doc
    status, read = await alice.call("POST", "/api/v1/profiles/licence-reading",
                                    json={"document_id": doc["id"]})
    assert status == 200, read
    assert read["fill"] == {"uscc": USCC, "organisation_name": truth["name"],
                            "legal_representative": truth["legal_representative"],
                            "address": truth["address"], "licence_document_id": doc["id"]}
    status, profile = await alice.call("POST", "/api/v1/profiles", json={
        **read["fill"], "contact_name": "王芳", "contact_phone": "13812345678"})
    assert status == 201 and profile["uscc"] == USCC
    bob = await login("bob")
    status, body = await bob.call("POST", "/api/v1/profiles/licence-reading",
                                  json={"document_id": doc["id"]})
    assert status == 422 and body["error"]["code"] == "document_not_found"


async def test_filing_stays_with_its_profile_unless_detached(login) -> None:  # R-P1a
    from borderpass.models import Document
    from borderpass.services.privacy import retention

    alice = await login()
    profile = await _profile(alice)
    status, filing = await _business_filing(alice, profile["id"])
    assert status == 201, filing
    path = f"/api/v1/filings/{filing['id']}"
    status, body = await alice.call("PATCH", path, json={"organisation": {"name": "别的公司"}})
    assert status == 422 and body["error"]["field"] == "organisation.name"
    status, body = await alice.call("PATCH", path, json={"organisation": {"activity": "展会"}})
    assert status == 200 and body["organisation"]["name"] == "瑞丽边贸进出口有限公司"
    status, body = await alice.call("PATCH", path, json={
        "profile_id": None, "organisation": {"name": "别的公司"}})
    assert status == 200 and body["profile_id"] is None
    assert body["organisation"]["name"] == "别的公司"
    # the retention sweep never deletes the licence photo a profile holds (nothing else does)
    other = await _profile(alice, uscc=make_uscc("MA6P1D3G"))
    loose = await _doc(alice, "business_licence")
    await retention.delete_documents([other["licence_document_id"], loose])
    assert await Document.exists(id=other["licence_document_id"])
    assert not await Document.exists(id=loose)  # the check can fail


async def test_verified_profile_follows_membership(login, staff_login) -> None:  # R-P1b
    alice, bob = await login(), await login("bob")
    reviewer, admin = await staff_login("reviewer"), await staff_login("admin")
    profile = await _profile(alice)
    status, _ = await reviewer.call("POST", f"/api/v1/admin/profiles/{profile['id']}/verify")
    assert status == 200
    path = f"/api/v1/profiles/{profile['id']}"
    status, edited = await alice.call("PATCH", path, json={"address": "芒市勐焕路 1 号"})
    assert status == 200, edited  # no members yet: its claimant keeps it
    status, _ = await bob.call("GET", path)
    assert status == 404
    # the platform authenticates a unit of that USCC: its admin is the organisation now
    status, unit = await bob.call("POST", "/api/v1/units", json={
        "unit_name": "瑞丽边贸进出口有限公司", "unit_kind": "enterprise", "uscc": USCC,
        "contact_name": "赵强", "contact_phone": "13700001111",
        "documents": {"business_licence": await _doc(bob, "business_licence")}})
    assert status == 201, unit
    status, _ = await bob.call("GET", path)
    assert status == 404  # a pending registration grants nothing
    status, _ = await admin.call("POST", f"/api/v1/admin/units/{unit['id']}/authenticate",
                                 json={"approve": True})
    assert status == 200
    status, seen = await bob.call("GET", path)
    assert status == 200 and seen["address"] == "芒市勐焕路 1 号"
    status, _ = await alice.call("GET", path)
    assert status == 404  # not a member: the claim alone no longer holds it
