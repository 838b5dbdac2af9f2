"""Filings and review over HTTP: the whole path, bad input, authorisation."""

from __future__ import annotations

import pytest
from api_helpers import attach_documents
from factories import personal_body

pytestmark = pytest.mark.usefixtures("db")


async def test_requirements_per_category_localised(client) -> None:
    for category in ("personal", "business", "official"):
        resp = await client.get(f"/api/v1/filings/requirements?category={category}",
                                headers={"Accept-Language": "en"})
        body = await resp.json()
        assert resp.status == 200 and body["fields"] and body["documents"]
        names = {f["name"] for f in body["fields"]}
        assert "vehicle.vin" in names
        assert ("official_letter_id" in names) == (category == "official")
    resp = await client.get("/api/v1/filings/requirements?category=boat")
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "category"


async def test_file_submit_review_return_resubmit(login, staff_login) -> None:  # R-F6
    alice, reviewer = await login(), await staff_login("reviewer")
    body = personal_body()
    body["documents"] = await attach_documents(alice)
    status, filing = await alice.call("POST", "/api/v1/filings", json=body)
    assert status == 201 and filing["status"] == "draft"
    assert "*" in filing["drivers"][0]["id_number"]  # masked for the driver (R-U7)
    status, filing = await alice.call("POST", f"/api/v1/filings/{filing['id']}/submit")
    assert status == 200 and filing["status"] == "submitted"
    status, queue = await reviewer.call("GET", "/api/v1/review/queue")
    assert [i["id"] for i in queue["items"]] == [filing["id"]]
    assert "waited_office_seconds" in queue["items"][0]
    reasons = [{"field": "vehicle.model", "code": "mismatch", "message": "型号与行驶证不符"}]
    status, returned = await reviewer.call(
        "POST", f"/api/v1/review/filings/{filing['id']}/return", json={"reasons": reasons})
    assert status == 200 and returned["status"] == "returned"
    status, mine = await alice.call("GET", f"/api/v1/filings/{filing['id']}")
    [shown] = mine["return_reasons"]
    assert {k: shown[k] for k in ("field", "code", "message", "lang")} == \
        {**reasons[0], "lang": "zh_CN"}  # the note's language is kept (issue #18)
    assert shown["text"] == "与证件上的信息不一致"
    status, _ = await alice.call("PATCH", f"/api/v1/filings/{filing['id']}",
                                 json={"vehicle": {"model": "大众牌SVW7182"}})
    assert status == 200
    assert (await alice.call("POST", f"/api/v1/filings/{filing['id']}/submit"))[0] == 200
    status, approved = await reviewer.call(
        "POST", f"/api/v1/review/filings/{filing['id']}/approve")
    assert status == 200 and approved["status"] == "approved" and approved["expires_at"]
    assert approved["drivers"][0]["id_number"] != body["drivers"][0]["id_number"]  # R-U7
    assert approved["drivers"][0]["id_number"].endswith(body["drivers"][0]["id_number"][-4:])


async def test_submit_lists_every_problem(login) -> None:  # R-F6
    alice = await login()
    _, filing = await alice.call("POST", "/api/v1/filings", json={"category": "personal"})
    status, body = await alice.call("POST", f"/api/v1/filings/{filing['id']}/submit",
                                    headers={"Accept-Language": "zh-CN"})
    assert status == 422 and len(body["errors"]) > 10
    fields = {e["field"] for e in body["errors"]}
    assert {"vehicle.vin", "documents.vehicle_licence", "drivers"} <= fields
    assert all(e["message"] for e in body["errors"])


@pytest.mark.parametrize(("payload", "field"), [
    ({"category": "personal", "vehicle": {"vin": "LSVAM4187C2218360"}}, "vehicle.vin"),
    ({"category": "personal", "vehicle": {"plate_number": "京I12345"}},
     "vehicle.plate_number"),
    ({"category": "personal", "vehicle": {"register_date": "2019/05/01"}},
     "vehicle.register_date"),
    ({"category": "personal", "vehicle": {"mortgaged": "no"}}, "vehicle.mortgaged"),
    ({"category": "personal", "vehicle": "car"}, "vehicle"),
    ({"category": "personal", "owner": {"id_number": "533102198503140211"}},
     "owner.id_number"),
    ({"category": "personal", "drivers": {"name": "x"}}, "drivers"),
    ({"category": "personal", "drivers": [{"name": "x", "age": 3}]}, "drivers[0].age"),
    ({"category": "personal", "documents": {"vehicle_licence": "1"}},
     "documents.vehicle_licence"),
    ({"category": "personal", "documents": {"vehicle_licence": 999}},
     "documents.vehicle_licence"),
    ({"category": "personal", "organisation": {"name": "x"}}, "organisation"),
    ({"category": "personal", "colour": "red"}, "colour"),
    ({"vehicle": {}}, "category"),
])
async def test_bad_filing_fields_name_the_field(login, payload, field) -> None:
    alice = await login()
    status, body = await alice.call("POST", "/api/v1/filings", json=payload)
    assert status == 422, body
    assert body["error"]["field"] == field and body["error"]["message"]
    status, listing = await alice.call("GET", "/api/v1/filings")
    assert listing["items"] == []  # nothing was created


async def test_vin_error_names_position_and_likely_mistake(login) -> None:  # R-E4
    alice = await login()
    status, body = await alice.call(
        "POST", "/api/v1/filings", headers={"Accept-Language": "zh-CN"},
        json={"category": "personal", "vehicle": {"vin": "LSVAMO187C2218360"}})
    assert status == 422 and body["error"]["code"] == "vin_letter_o"
    assert body["error"]["message"] == "车辆识别代号：第 6 位是字母 O，是否应为数字 0？"


async def test_huge_body_refused(login) -> None:
    alice = await login()
    status, body = await alice.call("POST", "/api/v1/filings",
                                    json={"category": "personal",
                                          "vehicle": {"model": "x" * 100_000}})
    assert status == 413 and body["error"]["code"] == "too_large"


async def test_drivers_cannot_see_each_others_filings(login) -> None:
    alice, bob = await login("alice"), await login("bob")
    _, filing = await alice.call("POST", "/api/v1/filings", json={"category": "personal"})
    for method, path in (("GET", f"/api/v1/filings/{filing['id']}"),
                         ("PATCH", f"/api/v1/filings/{filing['id']}"),
                         ("POST", f"/api/v1/filings/{filing['id']}/submit")):
        kwargs = {"json": {}} if method == "PATCH" else {}
        assert (await bob.call(method, path, **kwargs))[0] == 404
    assert (await bob.call("GET", "/api/v1/filings"))[1]["items"] == []
    assert (await alice.call("GET", "/api/v1/filings/notanid"))[0] == 404


async def test_drivers_cannot_review(login, staff_login) -> None:
    alice = await login()
    _, filing = await alice.call("POST", "/api/v1/filings", json={"category": "personal"})
    assert (await alice.call("GET", "/api/v1/review/queue"))[0] == 403
    status, body = await alice.call("POST", f"/api/v1/review/filings/{filing['id']}/approve")
    assert status == 403 and body["error"]["code"] == "role_required"
    customs = await staff_login("customs")
    assert (await customs.call("GET", "/api/v1/review/queue"))[0] == 403


async def test_review_bad_input(login, staff_login) -> None:  # R-F6
    alice, reviewer = await login(), await staff_login("reviewer")
    _, draft = await alice.call("POST", "/api/v1/filings", json={"category": "personal"})
    status, body = await reviewer.call("POST", f"/api/v1/review/filings/{draft['id']}/approve")
    assert status == 409 and body["error"]["code"] == "filing_not_submitted"
    assert (await reviewer.call("POST", "/api/v1/review/filings/424242/approve"))[0] == 404
    body = personal_body()
    body["documents"] = await attach_documents(alice)
    _, filing = await alice.call("POST", "/api/v1/filings", json=body)
    await alice.call("POST", f"/api/v1/filings/{filing['id']}/submit")
    path = f"/api/v1/review/filings/{filing['id']}/return"
    for payload, field in (({"reasons": "bad"}, "reasons"), ({"reasons": []}, "reasons"),
                           ({}, "reasons"), ({"reasons": [{"code": "x"}]}, "reasons[0].field"),
                           ({"reasons": [{"field": "vehicle.wings"}]}, "reasons[0].field")):
        status, err = await reviewer.call("POST", path, json=payload)
        assert status == 422 and err["error"]["field"] == field, err
    _, still = await alice.call("GET", f"/api/v1/filings/{filing['id']}")
    assert still["status"] == "submitted"
