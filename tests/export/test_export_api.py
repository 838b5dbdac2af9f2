"""The export API over HTTP: the whole flow, localised field errors, roles, OpenAPI."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from api_helpers import Caller
from export_factories import EXPORT_USCC, vins

from borderpass.services import clock

pytestmark = pytest.mark.usefixtures("db")
MYANMAR = re.compile("[\u1000-\u104f]")


async def _doc(caller: Caller, kind: str) -> int:
    status, body = await caller.upload(kind)
    assert status == 201, body
    return int(body["id"])


async def _filed(alice: Caller, reviewer: Caller) -> int:
    body = {"uscc": EXPORT_USCC, "enterprise_name": "瑞丽二手车出口有限公司",
            "address": "瑞丽市姐告 1 号", "legal_representative": "李明", "contact_name": "王芳",
            "contact_phone": "13812345678",
            "documents": {k: await _doc(alice, k)
                          for k in ("business_licence", "export_filing_form")}}
    status, filing = await alice.call("POST", "/api/v1/export/filings", json=body,
                                      headers={"Idempotency-Key": "filing-1"})
    assert status == 201, filing
    assert filing["target_working_days"] == 15 and filing["status"] == "submitted"
    status, queue = await reviewer.call("GET", "/api/v1/export/review/filings")
    assert [f["id"] for f in queue["items"]] == [filing["id"]]
    status, approved = await reviewer.call(
        "POST", f"/api/v1/export/review/filings/{filing['id']}/approve")
    assert status == 200 and approved["in_force"], approved
    assert "13812345678" not in repr([filing, queue, approved])  # R-U7: masked for all
    return int(approved["enterprise_id"])


async def _licence_body(alice: Caller, enterprise_id: int, vin_list: list[str]) -> dict:
    return {"enterprise_id": enterprise_id, "commodity_code": "8703231410", "destination": "MM",
            "documents": {k: await _doc(alice, k)
                          for k in ("export_contract", "market_access_statement")},
            "vehicles": [{"vin": v, "brand": "丰田牌", "model": "TV7250GLD",
                          "certificate_number": "530012345678",
                          "certificate_document_id":
                              await _doc(alice, "vehicle_registration_certificate")}
                         for v in vin_list]}


async def test_export_flow_end_to_end(login, staff_login) -> None:  # R-E1..R-E3, R-E5, R-E7
    clock.freeze(datetime(2026, 4, 1, 2, 0, tzinfo=UTC))
    alice, reviewer = await login(), await staff_login("reviewer")
    customs = await staff_login("customs")
    enterprise_id = await _filed(alice, reviewer)
    two = vins(2)
    status, licence = await alice.call("POST", "/api/v1/export/licences",
                                       json=await _licence_body(alice, enterprise_id, two))
    assert status == 201 and licence["exporter"] == "瑞丽二手车出口有限公司", licence
    status, issued = await customs.call(
        "POST", f"/api/v1/export/review/licences/{licence['id']}/issue")
    assert status == 200 and issued["status"] == "issued" and issued["number"]
    status, cleared = await customs.call(
        "POST", f"/api/v1/export/customs/licences/{licence['id']}/clearance",
        json={"vins": two})
    assert status == 200 and cleared["status"] == "cleared"
    status, gate = await customs.call("GET", f"/api/v1/export/customs/vin-status?vin={two[0]}")
    assert gate["cleared_for_exit"] is True
    cancel = {"vin": two[0], "qr_text": "12123:abc", "cancelled_on": "2026-04-01"}
    status, early = await alice.call("POST", "/api/v1/export/cancellations", json=cancel)
    assert status == 409 and early["error"]["code"] == "export_not_exited"  # R-E7
    status, exited = await customs.call("POST", "/api/v1/export/customs/exits",
                                        json={"vin": two[0], "port": "ruili"})
    assert status == 201 and exited["source"] == "customs"
    status, done = await alice.call("POST", "/api/v1/export/cancellations", json=cancel)
    assert status == 201 and done["late"] is False
    status, mine = await alice.call("GET", f"/api/v1/export/enterprises/{enterprise_id}")
    assert [p["vin"] for p in mine["pending_cancellations"]] == [two[1]]
    assert mine["filing_in_force"] and not mine["locked"]
    status, stats = await customs.call("GET", "/api/v1/export/review/licences/stats")
    assert stats["issued"] == 1 and stats["within_target"] == 1


async def test_field_errors_are_localised_with_the_vin_position(login, staff_login) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")  # R-E3, R-E4
    enterprise_id = await _filed(alice, reviewer)
    good = vins(1)[0]
    body = await _licence_body(alice, enterprise_id, [good[:5] + "O" + good[6:]])
    status, err = await alice.call("POST", "/api/v1/export/licences", json=body)
    assert status == 422 and err["error"]["field"] == "vehicles[0].vin"
    assert err["error"]["message"] == "车辆识别代号：第 6 位是字母 O，是否应为数字 0？"
    await alice.call("PATCH", "/api/v1/me", json={"locale": "en"})
    status, err = await alice.call("POST", "/api/v1/export/licences", json=body)
    assert err["error"]["message"] == ("Vehicle identification number (VIN): Character 6 is "
                                       "the letter O; should it be the digit 0?")
    await alice.call("PATCH", "/api/v1/me", json={"locale": "my"})
    status, err = await alice.call("POST", "/api/v1/export/licences", json=body)
    message = err["error"]["message"]
    assert MYANMAR.search(message) and "6" in message and "O" in message and "0" in message
    many = await _licence_body(alice, enterprise_id, vins(21))
    status, err = await alice.call("POST", "/api/v1/export/licences", json=many,
                                   headers={"Accept-Language": "en"})
    assert status == 422 and err["error"]["field"] == "vehicles"
    assert "20" in err["error"]["message"] and "21" in err["error"]["message"]
    status, listing = await alice.call("GET", "/api/v1/export/licences")
    assert listing["items"] == []


async def test_roles_and_strangers(login, staff_login) -> None:  # R-E2
    alice, bob = await login("alice"), await login("bob")
    reviewer = await staff_login("reviewer")
    enterprise_id = await _filed(alice, reviewer)
    status, err = await bob.call("GET", f"/api/v1/export/enterprises/{enterprise_id}")
    assert status == 404 and err["error"]["code"] == "export_enterprise_not_found"
    status, err = await alice.call("GET", "/api/v1/export/review/filings")
    assert status == 403
    status, err = await reviewer.call("POST", "/api/v1/export/customs/exits",
                                      json={"vin": vins(1)[0]})
    assert status == 403
    status, err = await alice.call("POST", "/api/v1/export/licences",
                                   json={"enterprise_id": enterprise_id, "surprise": 1})
    assert status == 422 and err["error"]["field"] == "surprise"


async def test_openapi_covers_every_export_route(client) -> None:
    spec = await (await client.get("/api/v1/openapi.json")).json()
    routes = {(m, p) for p, ops in spec["paths"].items() if p.startswith("/api/v1/export/")
              for m in ops}
    assert len(routes) == 27
    from borderpass.miniapp_api.export_openapi import EXPORT_BODIES

    for method, path in EXPORT_BODIES:
        assert "requestBody" in spec["paths"][path][method], path
    names = [p["name"] for p in spec["paths"]["/api/v1/export/licences"]["post"]["parameters"]]
    assert names == ["Idempotency-Key"]
