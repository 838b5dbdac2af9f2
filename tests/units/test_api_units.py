"""Units over HTTP: register, authenticate, the code PNG, join, verify, upload, export, remove."""

from __future__ import annotations

import csv
import io

import pytest
from api_helpers import attach_documents, outbox_broken
from factories import OWNER_ID, personal_body
from unit_helpers import consent

from borderpass.models.notify import Notification
from borderpass.models.units import UnitNotice
from borderpass.services.notify import kinds

pytestmark = pytest.mark.usefixtures("db")


async def _active_unit(boss, admin, org="MA6K3Q2X"):
    from borderpass.services.validators import make_uscc

    status, doc = await boss.upload("business_licence")
    assert status == 201
    body = {"unit_name": "瑞丽边贸有限公司", "unit_kind": "enterprise", "uscc": make_uscc(org),
            "contact_name": "岩温", "contact_phone": "13812345678",
            "documents": {"business_licence": doc["id"]}}
    status, unit = await boss.call("POST", "/api/v1/units", json=body)
    assert status == 201 and unit["status"] == "pending", unit
    status, unit = await admin.call("POST", f"/api/v1/admin/units/{unit['id']}/authenticate",
                                    json={"approve": True})
    assert status == 200 and unit["status"] == "active", unit
    assert unit["contact_phone"] == "138******78"  # R-U7: masked for the platform too
    status, unit = await boss.call("GET", f"/api/v1/units/{unit['id']}")
    assert "13812345678" not in repr(unit)  # …and for the unit's own admin
    return unit


async def test_registration_errors_are_localised_and_name_the_field(unit_login) -> None:
    boss = await unit_login("boss")
    status, _ = await boss.call("PATCH", "/api/v1/me", json={"locale": "en"})
    body = {"unit_name": "", "unit_kind": "enterprise", "uscc": "91530000MA6K3Q2X0",
            "contact_name": "岩温", "contact_phone": "12", "documents": {}}
    status, err = await boss.call("POST", "/api/v1/units", json=body)
    assert status == 422
    fields = {e["field"]: e["message"] for e in err["errors"]}
    assert set(fields) == {"unit_name", "uscc", "contact_phone", "documents.business_licence"}
    assert fields["contact_phone"].startswith("Contact phone: ")
    status, err = await boss.call("POST", "/api/v1/units", json=body | {"unit_kind": "club"})
    assert {e["field"] for e in err["errors"]} >= {"unit_kind"}
    status, err = await boss.call("POST", "/api/v1/units", json=body | {"x": 1})
    assert status == 422 and err["error"]["field"] == "x"
    status, mine = await boss.call("GET", "/api/v1/units")
    assert mine["items"] == []


async def test_whole_flow_over_http(unit_login, unit_staff_login, client, fake_wechat) -> None:
    boss, admin = await unit_login("boss"), await unit_staff_login("admin")
    alice = await unit_login("alice")
    unit = await _active_unit(boss, admin)
    scene = unit["scene"]
    resp = await client.get(f"/api/v1/units/by-scene/{scene}")  # no login needed (R-U2)
    assert resp.status == 200 and (await resp.json())["name"] == "瑞丽边贸有限公司"
    status, png = await boss.call("GET", f"/api/v1/units/{unit['id']}/registration-code.png")
    assert status == 200 and png.startswith(b"\x89PNG")
    assert fake_wechat.wxacodes[-1]["scene"] == scene  # WeChat's getUnlimited when configured
    status, text = await alice.call("GET", "/api/v1/units/commitments/personal?locale=my")
    assert status == 200 and text["locale"] == "my" and len(text["sha256"]) == 64

    body = personal_body()
    body["documents"] = await attach_documents(alice)
    status, filing = await alice.call("POST", "/api/v1/filings", json=body)
    join = {"scene": scene, "filing_id": filing["id"], "driver_id": filing["drivers"][0]["id"],
            "commitment": consent("personal", "my")}
    status, member = await alice.call("POST", "/api/v1/units/join", json=join,
                                      headers={"Idempotency-Key": "join-1"})
    assert status == 201 and member["status"] == "pending", member
    status, again = await alice.call("POST", "/api/v1/units/join", json=join,
                                     headers={"Idempotency-Key": "join-1"})
    assert status == 201 and again["id"] == member["id"]

    status, pending = await boss.call("GET", f"/api/v1/units/{unit['id']}/members?status=pending")
    assert [m["id"] for m in pending["items"]] == [member["id"]]
    assert pending["items"][0]["id_number"] != OWNER_ID  # masked (R-U7)
    status, _ = await boss.call("POST", f"/api/v1/units/{unit['id']}/members/verify",
                                json={"member_ids": [member["id"]]})
    assert status == 200
    status, batch = await boss.call("POST", f"/api/v1/units/{unit['id']}/uploads",
                                    json={"commitment": consent("unit")})
    assert status == 201 and batch["member_count"] == 1

    status, data = await boss.call("GET", f"/api/v1/units/{unit['id']}/members/export?format=csv")
    assert status == 200
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "姓名", "身份证号码"] and rows[1][7] == "已列入名单"
    assert OWNER_ID not in data.decode("utf-8-sig")
    status, xlsx = await boss.call("GET",
                                   f"/api/v1/units/{unit['id']}/members/export?format=xlsx")
    assert status == 200 and xlsx[:2] == b"PK"
    status, err = await boss.call("GET", f"/api/v1/units/{unit['id']}/members/export?format=pdf")
    assert status == 422 and err["error"]["field"] == "format"

    status, notices = await alice.call("GET", "/api/v1/units/notices",
                                       headers={"Accept-Language": "en"})
    assert [n["kind"] for n in notices["items"]] == ["member_listed", "member_verified"]
    remove = f"/api/v1/units/{unit['id']}/members/{member['id']}/remove"
    queued = await Notification.filter(kind=kinds.UNIT_LIST_CHANGED).count()
    async with outbox_broken():  # the removal owes a message: both, or neither (issue #18)
        status, _ = await boss.call("POST", remove, json={"reason": "left"})
    assert status >= 500
    status, mine = await alice.call("GET", "/api/v1/units/memberships")
    assert mine["items"][0]["status"] == "listed"
    assert not await UnitNotice.filter(kind="member_removed").exists()
    status, removed = await boss.call("POST", remove, json={"reason": "left"})
    assert status == 200 and removed["status"] == "removed"
    assert await Notification.filter(kind=kinds.UNIT_LIST_CHANGED).count() == queued + 1
    status, mine = await alice.call("GET", "/api/v1/units/memberships")
    assert mine["items"][0]["removal_reason"] == "left"


async def test_revoked_code_and_other_units_over_http(unit_login, unit_staff_login,
                                                      client) -> None:
    boss1, boss2 = await unit_login("boss1"), await unit_login("boss2")
    admin = await unit_staff_login("admin")
    unit1 = await _active_unit(boss1, admin)
    unit2 = await _active_unit(boss2, admin, "MA6K3Q2Y")
    status, code = await boss1.call("POST", f"/api/v1/units/{unit1['id']}/registration-code")
    assert status == 200 and code["scene"] != unit1["scene"]
    resp = await client.get(f"/api/v1/units/by-scene/{unit1['scene']}",
                            headers={"Accept-Language": "en"})
    body = await resp.json()
    assert resp.status == 410 and body["error"]["code"] == "unit_code_revoked"
    assert "revoked" in body["error"]["message"]
    for path in (f"/api/v1/units/{unit1['id']}", f"/api/v1/units/{unit1['id']}/members",
                 f"/api/v1/units/{unit1['id']}/members/export?format=csv",
                 f"/api/v1/units/{unit1['id']}/registration-code.png"):
        status, err = await boss2.call("GET", path)
        assert status == 404 and err["error"]["code"] == "unit_not_found", path
    status, _ = await boss2.call("POST", f"/api/v1/units/{unit1['id']}/deregister",
                                 json={"reason": "x"})
    assert status == 404
    status, err = await boss1.call("POST", f"/api/v1/admin/units/{unit2['id']}/authenticate",
                                   json={"approve": True})
    assert status == 403
    status, done = await admin.call("POST", f"/api/v1/units/{unit2['id']}/deregister",
                                    json={"reason": "单位注销"})
    assert status == 200 and done["unit"]["status"] == "deregistered" and done["removed"] == 0


async def test_openapi_lists_the_unit_routes(client) -> None:
    spec = await (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/units/join" in spec["paths"]
    assert spec["paths"]["/api/v1/units/{id}/members/verify"]["post"]["requestBody"]
