"""One reveal rule for every door (R-U7): every GET masks identity numbers and phones for
every role; one field of one filing is revealed through one service, with a purpose, by
role and filing state, each reveal audited; the console cookie is no API bearer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_helpers import Caller, attach_documents
from factories import OWNER_ID, SECOND_ID, personal_body

from borderpass.models import AuditEvent, BlacklistEntry, Document, Filing
from borderpass.services.identity import users

pytestmark = pytest.mark.usefixtures("db")
PHONE = "13812345678"
PERMIT = "C12345678"
CLEAR = (OWNER_ID, PHONE, PERMIT)


async def _filed(alice: Caller, reviewer: Caller, approve: bool = False) -> dict[str, Any]:
    body = personal_body()
    body["documents"] = await attach_documents(alice)
    status, filing = await alice.call("POST", "/api/v1/filings", json=body)
    assert status == 201, filing
    status, filing = await alice.call("POST", f"/api/v1/filings/{filing['id']}/submit")
    assert status == 200, filing
    reading = {"kind": "id_card_front", "warnings": [], "fields": {
        "id_number": {"value": OWNER_ID, "confidence": 0.98, "warnings": []},
        "name": {"value": "岩温", "confidence": 0.9, "warnings": []}}}
    await Document.filter(kind="id_card_front").update(ocr=reading)
    if approve:
        status, filing = await reviewer.call(
            "POST", f"/api/v1/review/filings/{filing['id']}/approve")
        assert status == 200 and not any(x in repr(filing) for x in CLEAR)
    return filing


async def _gets(caller: Caller, filing: dict[str, Any]) -> list[str]:
    paths = [f"/api/v1/filings/{filing['id']}", "/api/v1/filings", "/api/v1/review/queue",
             "/api/v1/admin/blacklist", "/api/v1/me"]
    paths += [f"/api/v1/documents/{doc_id}" for doc_id in filing["documents"].values()]
    texts = []
    for path in paths:
        resp = await caller.client.get(path, headers=caller.headers)
        texts.append(await resp.text())
    return texts


async def test_no_get_holds_a_full_number_or_phone_for_any_role(login, staff_login) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")
    filing = await _filed(alice, reviewer)
    callers = [alice, reviewer, await staff_login("customs"),
               await staff_login("gate_supervisor"), await staff_login("admin")]
    for caller in callers:
        for text in await _gets(caller, filing):
            assert not any(x in text for x in CLEAR), text
    _status, mine = await alice.call("GET", f"/api/v1/filings/{filing['id']}")
    assert mine["drivers"][0]["id_number"].endswith(OWNER_ID[-4:])  # masked, still useful
    assert mine["drivers"][0]["name"] == "岩温"  # the applicant's own name
    _status, seen = await reviewer.call("GET", f"/api/v1/filings/{filing['id']}")
    assert seen["drivers"][0]["name"] == "岩*"  # staff: names masked too
    assert not await AuditEvent.filter(action="reveal").exists()


async def _reveal(caller: Caller, filing_id: int, field: str,
                  purpose: str | None = "核对证件") -> tuple[int, Any]:
    body = {"field": field} | ({"purpose": purpose} if purpose is not None else {})
    return await caller.call("POST", f"/api/v1/filings/{filing_id}/reveal", json=body)


async def test_reviewer_reveals_one_field_of_a_filing_under_review(login, staff_login) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")
    filing = await _filed(alice, reviewer)
    status, body = await _reveal(reviewer, filing["id"], "drivers[0].phone", "回电核实")
    assert status == 200 and body == {"filing_id": filing["id"], "field": "drivers[0].phone",
                                      "value": PHONE}
    event = await AuditEvent.get(action="reveal")
    assert (event.actor_id, event.subject_id, event.field_names, event.detail) == (  # type: ignore[attr-defined]
        reviewer.user_id, filing["id"], ["drivers[0].phone"],
        {"need": "review", "purpose": "回电核实"})
    assert event.at is not None and event.row_hash  # chained (R-U7)
    status, err = await _reveal(reviewer, filing["id"], "drivers[0].id_number", "  ")
    assert status == 422 and err["error"]["field"] == "purpose"
    status, err = await _reveal(reviewer, filing["id"], "drivers[0].id_number", None)
    assert status == 422 and err["error"]["field"] == "purpose"
    status, err = await _reveal(reviewer, filing["id"], "vehicle.vin")
    assert status == 422 and err["error"]["field"] == "field"
    status, err = await _reveal(reviewer, filing["id"], "drivers[0].id_number", "x" * 201)
    assert status == 422 and err["error"]["code"] == "length"
    assert await AuditEvent.filter(action="reveal").count() == 1


@pytest.mark.parametrize(("role", "approve", "listed", "field", "expected"), [
    ("reviewer", False, False, "owner.id_number", 200),
    ("admin", False, False, "drivers[0].permit_number", 200),
    ("reviewer", True, False, "owner.id_number", 403),  # no longer under review
    ("customs", True, False, "owner.id_number", 403),  # owner not blacklisted
    ("customs", True, True, "owner.id_number", 200),  # R-F9: the listed owner
    ("customs", True, True, "drivers[0].phone", 200),  # the owner-driver is the same person
    ("customs", False, True, "owner.id_number", 200),
    ("gate_supervisor", False, False, "owner.id_number", 403),
    ("gate_supervisor", True, True, "owner.id_number", 403),
])
async def test_reveal_by_role_and_state(login, staff_login, role: str, approve: bool,
                                        listed: bool, field: str, expected: int) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")
    filing = await _filed(alice, reviewer, approve)
    if listed:
        owner_key = (await Filing.get(id=filing["id"])).owner_key
        await BlacklistEntry.create(subject_kind="person", subject_key=owner_key,
                                    subject_label="岩*", reason="overstay",
                                    filing_id=filing["id"])
    caller = reviewer if role == "reviewer" else await staff_login(role)
    status, body = await _reveal(caller, filing["id"], field)
    assert status == expected, body
    audited = await AuditEvent.filter(action="reveal").count()
    assert audited == (1 if expected == 200 else 0)
    if expected == 200:
        assert body["value"] in CLEAR
    else:
        assert not any(x in repr(body) for x in CLEAR)


async def test_customs_reveals_only_the_listed_owner(login, staff_login) -> None:  # R-F9
    alice = await login()
    body = personal_body()
    body["drivers"].append({"name": "李四", "id_number": SECOND_ID,
                            "licence_number": SECOND_ID,
                            "permit_number": "E98765432", "phone": "13900001111",
                            "is_owner": False})
    body["documents"] = await attach_documents(alice, drivers=2)
    status, filing = await alice.call("POST", "/api/v1/filings", json=body)
    assert status == 201, filing  # a draft: customs' need is the listing, not the state
    owner_key = (await Filing.get(id=filing["id"])).owner_key
    await BlacklistEntry.create(subject_kind="person", subject_key=owner_key,
                                subject_label="岩*", reason="overstay", filing_id=filing["id"])
    customs = await staff_login("customs")
    status, err = await _reveal(customs, filing["id"], "drivers[1].phone")
    assert status == 403 and "13900001111" not in repr(err)
    assert (await _reveal(customs, filing["id"], "drivers[0].id_number"))[0] == 200


async def test_applicant_reveals_own_field_others_get_404(login, staff_login) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")
    filing = await _filed(alice, reviewer, approve=True)
    status, body = await _reveal(alice, filing["id"], "drivers[0].id_number", None)
    assert status == 200 and body["value"] == OWNER_ID  # the data subject: no purpose needed
    event = await AuditEvent.get(action="reveal")
    assert event.detail == {"need": "own", "purpose": ""}
    bob = await login("bob")
    status, err = await _reveal(bob, filing["id"], "drivers[0].id_number")
    assert status == 404 and OWNER_ID not in repr(err)
    status, _err = await _reveal(bob, 999999, "drivers[0].id_number")
    assert status == 404


async def test_console_cookie_is_no_api_bearer(client, login, staff_login) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")
    filing = await _filed(alice, reviewer)
    await users.add_staff("customs2", "correct-horse-1", ["customs"])
    page = await (await client.get("/console/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    resp = await client.post("/console/login", data={
        "csrf": token, "username": "customs2", "password": "correct-horse-1"})
    assert resp.status == 200
    cookie = next(c.value for c in client.session.cookie_jar if c.key == "bp_console")
    forged = Caller(client, cookie, 0)
    for method, path, json in (("GET", f"/api/v1/filings/{filing['id']}", None),
                               ("POST", f"/api/v1/filings/{filing['id']}/reveal",
                                {"field": "owner.id_number", "purpose": "x"})):
        status, body = await forged.call(method, path, json=json)
        assert status == 401 and OWNER_ID not in repr(body)
    # …nor an API token a console session.
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({"bp_console": reviewer.token})
    resp = await client.get("/console/review", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/console/login"
