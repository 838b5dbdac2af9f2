"""The data export holds the unit and enterprise records of the person (R-D3): the units
they registered or are listed by, their own list entry, the export enterprises they belong
to — and nothing of anyone else, though two people share a unit and an enterprise."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest
from api_helpers import attach_documents
from factories import personal_body
from unit_helpers import consent

from borderpass.models import Filing
from borderpass.models.enums import FilingStatus
from borderpass.models.export import Enterprise, EnterpriseMember
from borderpass.models.units import Membership, MemberStatus
from borderpass.services import clock, sweeps
from borderpass.services.privacy import retention
from borderpass.services.validators import make_id_number, make_uscc
from borderpass.web.appkeys import DEPS

pytestmark = pytest.mark.usefixtures("db")
ALICE_ID = make_id_number("533102", date(1984, 6, 1), 311)
BOB_ID = make_id_number("533102", date(1992, 1, 20), 457)


async def _join(caller, scene: str, plate: str, id_number: str, name: str,  # type: ignore[no-untyped-def]
                phone: str) -> dict:
    body = personal_body(plate_number=plate)
    body["owner"]["id_number"] = id_number
    body["vehicle"]["owner_name"] = name
    body["drivers"] = [{"name": name, "id_number": id_number, "licence_number": id_number,
                        "permit_number": "C12345670", "phone": phone, "is_owner": True}]
    body["documents"] = await attach_documents(caller)
    status, filing = await caller.call("POST", "/api/v1/filings", json=body)
    assert status == 201, filing
    status, member = await caller.call("POST", "/api/v1/units/join", json={
        "scene": scene, "filing_id": filing["id"], "driver_id": filing["drivers"][0]["id"],
        "commitment": consent("personal", "en")})
    assert status == 201, member
    return member  # type: ignore[no-any-return]


async def _export(caller, deps) -> tuple[dict, str]:  # type: ignore[no-untyped-def]
    status, job = await caller.call("GET", "/api/v1/me/data")
    assert status == 202
    await sweeps.run_sweeps(deps)
    status, job = await caller.call("GET", f"/api/v1/me/data/{job['id']}")
    status, blob = await caller.call("GET", job["file"])
    assert status == 200
    data = json.loads(zipfile.ZipFile(io.BytesIO(blob)).read("data.json"))
    return data, json.dumps(data, ensure_ascii=False)


async def _unit(boss, admin) -> dict:  # type: ignore[no-untyped-def]
    status, doc = await boss.upload("business_licence")
    assert status == 201
    status, unit = await boss.call("POST", "/api/v1/units", json={
        "unit_name": "瑞丽共用单位", "unit_kind": "enterprise", "uscc": make_uscc("MA6K3Q7X"),
        "contact_name": "岩坎", "contact_phone": "13877770001",
        "documents": {"business_licence": doc["id"]}})
    assert status == 201, unit
    status, unit = await admin.call("POST", f"/api/v1/admin/units/{unit['id']}/authenticate",
                                    json={"approve": True})
    assert status == 200, unit
    return unit  # type: ignore[no-any-return]


async def test_export_holds_my_unit_records_and_none_of_my_colleagues(
        login, staff_login, client) -> None:  # R-D3
    boss, admin = await login("boss"), await staff_login("admin")
    alice, bob = await login("alice"), await login("bob")
    deps = client.app[DEPS]
    unit = await _unit(boss, admin)
    mine = await _join(alice, unit["scene"], "云N31001", ALICE_ID, "岩罕", "13877770002")
    theirs = await _join(bob, unit["scene"], "云N31002", BOB_ID, "玉坎", "13877770003")
    firm = await Enterprise.create(uscc=make_uscc("MA6K3Q8W"), name="瑞丽共用出口有限公司")
    await EnterpriseMember.create(enterprise=firm, user_id=alice.user_id, is_contact=True)
    await EnterpriseMember.create(enterprise=firm, user_id=bob.user_id)

    status, claimed = await boss.call("POST", "/api/v1/profiles", json={
        "uscc": make_uscc("MA6K3Q9U"), "organisation_name": "瑞丽边贸有限公司",
        "legal_representative": "岩温", "address": "瑞丽市姐告", "contact_name": "岩温",
        "contact_phone": "13877770009"})
    assert status == 201, claimed
    data, text = await _export(alice, deps)
    assert data["organisation_profiles"] == [] and "瑞丽边贸有限公司" not in text
    assert [c["filings"] for c in data["credit"]] == [[mine["filing_id"]]]  # R-P2: her own
    assert [u["id"] for u in data["units"]] == [unit["id"]]
    assert data["units"][0]["name"] == "瑞丽共用单位"
    assert "contact_phone" not in data["units"][0]  # the unit's contact is not alice's
    assert [m["id"] for m in data["unit_memberships"]] == [mine["id"]]
    own = data["unit_memberships"][0]
    assert own["person_name"] == "岩罕" and own["phone"] == "13877770002"
    assert own["id_number"] != ALICE_ID and own["id_number"][-4:] == ALICE_ID[-4:]  # masked
    assert data["unit_commitments"] and all(c["unit_id"] == unit["id"]
                                            for c in data["unit_commitments"])
    assert [(e["id"], e["is_contact"]) for e in data["export_enterprises"]] == [(firm.id, True)]
    assert theirs["id"] not in [m["id"] for m in data["unit_memberships"]]
    for other in ("玉坎", "13877770003", "云N31002", BOB_ID, "13877770001", "岩坎"):
        assert other not in text, other

    data, text = await _export(boss, deps)  # who registered it sees its contact, no member
    assert data["units"][0]["registered_by_me"] is True
    assert data["units"][0]["contact_phone"] == "13877770001"
    assert data["unit_memberships"] == [] and data["export_enterprises"] == []
    assert [p["id"] for p in data["organisation_profiles"]] == [claimed["id"]]
    assert data["organisation_profiles"][0]["history"] is not None
    for other in ("岩罕", "玉坎", "13877770002", "13877770003", "云N31001", "云N31002"):
        assert other not in text, other

    # alice asks for deletion: her entry leaves the list at once; her filing (submitted
    # by joining) is under review, which defers the rest; bob's entry stays whole
    status, done = await alice.call("POST", "/api/v1/me/deletion", json={"confirm": True})
    assert status == 200 and done["deferred_by"] == ["under_review"], done
    assert done["deleted"]["unit_entries"] == 1 and not done["account_erased"]
    gone = await Membership.get(id=mine["id"])
    assert gone.status is MemberStatus.REMOVED and gone.removal_reason == "asked"
    kept = await Membership.get(id=theirs["id"])
    assert kept.person_name == "玉坎" and kept.sealed and kept.status is not MemberStatus.REMOVED
    # once nothing holds it, the account goes, and the entry keeps its history without her
    await Filing.filter(id=gone.filing_id).update(status=FilingStatus.RETURNED,  # type: ignore[attr-defined]
                                                  returned_at=clock.now())
    assert (await retention.sweep(deps))["erased_accounts"] == 1
    gone = await Membership.get(id=mine["id"])
    assert (gone.person_name, gone.sealed, gone.phone_key) == ("—", {}, None)
    assert gone.person_key != kept.person_key and gone.plate_number == "云N31001"
