"""The exchange door (issue #21 B): admins register agencies; agencies post signed events
and pull ours. Forged, replayed, stale or unknown requests are refused and change nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from exchange_helpers import inbound_body, signed_headers
from gate_helpers import crossed, declared

from borderpass.models import (
    Agency,
    BlacklistEntry,
    CreditEvent,
    CreditRecord,
    ExchangeEvent,
    InboundEvent,
)
from borderpass.models.gate import Crossing
from borderpass.services.exchange import kinds, signing, tailer
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.validators import make_uscc

AGENCY = "/api/v1/agency/events"


@pytest.fixture
def settings(settings):
    """No worker in the background (the tests turn it), loopback subscribers allowed."""
    return settings.with_overrides(exchange_worker=False, exchange_loopback_http=True)


@pytest.fixture
def gate(deps) -> GateDeps:
    return GateDeps.build(deps, ())


async def _register(admin, code: str, types: list[str]) -> dict[str, Any]:
    status, body = await admin.call("POST", "/api/v1/admin/agencies", json={
        "code": code, "name": code.title(), "kind": "border_inspection",
        "url": "http://127.0.0.1:9/in", "event_types": types})
    assert status == 201, body
    return body


async def _post(client, code: str, secret: str, body: bytes, msg_id: str,
                stamp: int | None = None) -> tuple[int, Any]:
    resp = await client.post(AGENCY, data=body,
                             headers=signed_headers(code, secret, msg_id, body, stamp))
    return resp.status, await resp.json()


async def _counts() -> tuple[int, int, int]:
    return (await InboundEvent.all().count(), await ExchangeEvent.all().count(),
            await BlacklistEntry.all().count())


async def test_an_admin_registers_an_agency_and_sees_the_secret_once(client, staff_login):
    admin = await staff_login("admin")
    body = await _register(admin, "border-ruili", [kinds.DECLARATIONS])
    assert body["secret"].startswith("whsec_")
    stored = await Agency.get(code="border-ruili")
    assert body["secret"] not in stored.secret_sealed  # sealed at rest (R-U7)
    status, listed = await admin.call("GET", "/api/v1/admin/agencies")
    assert status == 200 and "secret" not in listed["items"][0]
    assert listed["items"][0]["last_delivered_id"] == 0 and listed["items"][0]["lag"] == 0
    status, again = await admin.call("POST", "/api/v1/admin/agencies", json={
        "code": "border-ruili", "name": "x", "kind": "customs",
        "url": "https://example.org/", "event_types": ["declarations"]})
    assert status == 422 and again["error"]["code"] == "agency_exists"
    reviewer = await staff_login("reviewer")
    status, _ = await reviewer.call("GET", "/api/v1/admin/agencies")
    assert status == 403


async def test_an_inspection_result_is_attached_and_shared(client, staff_login, gate):  # R-P1
    admin = await staff_login("admin")
    agency = await _register(admin, "border-ruili", [kinds.INSPECTIONS])
    made = await declared(gate, name="alice", plate="云N10001")
    await crossed(gate, made)
    crossing = await Crossing.get(declaration_id=made.id)
    body = inbound_body("insp-1", kinds.IN_INSPECTION,
                        {"crossing_id": crossing.id, "result": "cleared", "note": "ok"})
    status, answer = await _post(client, "border-ruili", agency["secret"], body, "insp-1")
    assert status == 201, answer
    assert answer["status"] == "recorded" and answer["crossing_id"] == crossing.id
    assert answer["declaration_id"] == made.id
    shared = await ExchangeEvent.get(type=kinds.INSPECTION_RECORDED)
    assert shared.subject == f"crossing/{crossing.id}"
    assert shared.data["result"] == "cleared" and "note" not in shared.data
    # the same id again: refused, nothing changes (R-P1: inspect once)
    before = await _counts()
    status, answer = await _post(client, "border-ruili", agency["secret"], body, "insp-1")
    assert status == 409 and answer["error"]["code"] == "event_replayed"
    assert await _counts() == before


async def test_forged_stale_and_unknown_requests_change_nothing(client, staff_login, gate):
    admin = await staff_login("admin")
    agency = await _register(admin, "border-ruili", [kinds.DECLARATIONS])
    other = await _register(admin, "customs-ruili", [kinds.DECLARATIONS])
    made = await declared(gate, name="alice", plate="云N10001")
    body = inbound_body("bl-1", kinds.IN_BLACKLIST,
                        {"filing_id": made.filing_id, "reason": "smuggling"})  # type: ignore[attr-defined]
    before = await _counts()
    cases = [
        (("nobody", agency["secret"], body, "bl-1"), "agency_unknown"),
        (("border-ruili", other["secret"], body, "bl-1"), "signature_invalid"),  # wrong key
        (("border-ruili", agency["secret"], body, "bl-1", int(time.time()) - 3600),
         "timestamp_stale"),
    ]
    for args, code in cases:
        status, answer = await _post(client, *args)
        assert (status, answer["error"]["code"]) == (401, code)
    tampered = body.replace(b"smuggling", b"overstay_x")
    headers = signed_headers("border-ruili", agency["secret"], "bl-1", body)
    resp = await client.post(AGENCY, data=tampered, headers=headers)
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "signature_invalid"
    resp = await client.post(AGENCY, data=body, headers={"agency-id": "border-ruili"})
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "signature_missing"
    assert await _counts() == before
    await Agency.filter(code="border-ruili").update(active=False)  # a stopped agency
    status, answer = await _post(client, "border-ruili", agency["secret"], body, "bl-1")
    assert (status, answer["error"]["code"]) == (401, "agency_unknown")
    assert await _counts() == before


async def test_an_agency_blacklist_entry_waits_for_a_customs_officer(client, staff_login,
                                                                      gate):  # R-P6
    admin = await staff_login("admin")
    agency = await _register(admin, "border-ruili", [kinds.BLACKLIST])
    made = await declared(gate, name="alice", plate="云N10001")
    filing_id = made.filing_id  # type: ignore[attr-defined]
    body = inbound_body("bl-1", kinds.IN_BLACKLIST,
                        {"filing_id": filing_id, "reason": "smuggling", "note": "case 7"})
    status, answer = await _post(client, "border-ruili", agency["secret"], body, "bl-1")
    assert status == 201 and answer["status"] == "pending_review"
    assert not await BlacklistEntry.exists()  # an agency alone bars no one
    customs = await staff_login("customs")
    status, pending = await customs.call("GET", "/api/v1/admin/agency-events/pending")
    assert status == 200 and pending["items"][0]["agency"] == "border-ruili"
    path = f"/api/v1/admin/agency-events/{answer['id']}/decision"
    status, _ = await customs.call("POST", path, json={"confirm": True, "note": ""})
    assert status == 422  # a reason for the record is required
    status, decided = await customs.call("POST", path,
                                         json={"confirm": True, "note": "case file seen"})
    assert status == 200 and decided["status"] == "confirmed"
    entry = await BlacklistEntry.get()
    assert entry.source_agency_id == (await Agency.get(code="border-ruili")).id
    assert entry.reason == "agency:smuggling" and entry.filing_id == filing_id  # type: ignore[attr-defined]
    listed = await ExchangeEvent.get(type=kinds.BLACKLIST_LISTED)
    assert listed.data["source"] == "border-ruili"
    status, again = await customs.call("POST", path, json={"confirm": False, "note": "no"})
    assert status == 409 and again["error"]["code"] == "agency_event_decided"
    assert await BlacklistEntry.all().count() == 1


async def test_a_rejected_entry_lists_no_one(client, staff_login, gate):
    admin = await staff_login("admin")
    agency = await _register(admin, "border-ruili", [kinds.BLACKLIST])
    made = await declared(gate, name="alice", plate="云N10001")
    body = inbound_body("bl-2", kinds.IN_BLACKLIST,
                        {"filing_id": made.filing_id, "reason": "smuggling"})  # type: ignore[attr-defined]
    _, answer = await _post(client, "border-ruili", agency["secret"], body, "bl-2")
    customs = await staff_login("customs")
    status, decided = await customs.call(
        "POST", f"/api/v1/admin/agency-events/{answer['id']}/decision",
        json={"confirm": False, "note": "wrong vehicle"})
    assert status == 200 and decided["status"] == "rejected"
    assert not await BlacklistEntry.exists()


async def test_an_agency_violation_restricts_only_once_customs_confirms_it(client, staff_login):
    """R-P6, R-P2.7: an agency's credit violation waits for customs, then moves the class;
    the agency's lift moves it back; each change goes out as credit.changed (R-P7)."""
    admin = await staff_login("admin")
    agency = await _register(admin, "customs-ruili", [kinds.CREDIT])
    uscc = make_uscc("MA6K0001")
    body = inbound_body("cr-1", kinds.IN_CREDIT, {
        "party_kind": "organisation", "uscc": uscc, "kind": "violation",
        "label": "瑞丽某贸易有限公司"})
    status, answer = await _post(client, "customs-ruili", agency["secret"], body, "cr-1")
    assert status == 201 and answer["status"] == "pending_review", answer
    stored = await InboundEvent.get(event_id="cr-1")
    assert uscc not in json.dumps(stored.data)  # only the blind index is kept
    assert not await CreditRecord.exists()  # restricts no one yet
    status, _ = await _post(client, "customs-ruili", agency["secret"], body, "cr-1")
    assert status == 409

    customs = await staff_login("customs")
    status, decided = await customs.call(
        "POST", f"/api/v1/admin/agency-events/{answer['id']}/decision",
        json={"confirm": True, "note": "case checked"})
    assert status == 200 and decided["status"] == "confirmed", decided
    record = await CreditRecord.get()
    assert record.credit_class == "restricted"
    changed = await ExchangeEvent.filter(type=kinds.CREDIT_CHANGED).order_by("id")
    assert [(e.data["before"], e.data["after"]) for e in changed] == [("normal", "restricted")]
    assert record.party_key not in json.dumps(changed[0].data)  # R-P7: no blind-index key

    lift = inbound_body("cr-2", kinds.IN_CREDIT, {
        "party_kind": "organisation", "uscc": uscc, "kind": "violation_lifted",
        "lifts": "cr-1"})
    status, answer = await _post(client, "customs-ruili", agency["secret"], lift, "cr-2")
    assert status == 201 and answer["status"] == "recorded", answer
    await record.refresh_from_db()
    assert record.credit_class == "normal"
    assert await ExchangeEvent.filter(type=kinds.CREDIT_CHANGED).count() == 2


async def test_a_lift_before_review_withdraws_the_violation(client, staff_login):
    """R-P6: a violation its agency lifts while it waits leaves the queue; no officer can
    then confirm it, and the party's record never holds it."""
    admin = await staff_login("admin")
    agency = await _register(admin, "customs-ruili", [kinds.CREDIT])
    uscc = make_uscc("MA6K0002")
    violation = inbound_body("cr-5", kinds.IN_CREDIT, {
        "party_kind": "organisation", "uscc": uscc, "kind": "violation"})
    _, held = await _post(client, "customs-ruili", agency["secret"], violation, "cr-5")
    lift = inbound_body("cr-6", kinds.IN_CREDIT, {
        "party_kind": "organisation", "uscc": uscc, "kind": "violation_lifted",
        "lifts": "cr-5"})
    status, answer = await _post(client, "customs-ruili", agency["secret"], lift, "cr-6")
    assert status == 201 and answer["status"] == "withdrawal", answer
    assert (await InboundEvent.get(id=held["id"])).status == "withdrawn"
    customs = await staff_login("customs")
    status, queue = await customs.call("GET", "/api/v1/admin/agency-events/pending")
    assert status == 200 and queue["items"] == []
    status, refused = await customs.call(
        "POST", f"/api/v1/admin/agency-events/{held['id']}/decision",
        json={"confirm": True, "note": "case checked"})
    assert status == 409 and refused["error"]["code"] == "agency_event_decided"
    assert not await CreditRecord.exists() and not await CreditEvent.exists()


async def test_bad_credit_events_are_refused_and_change_nothing(client, staff_login):
    admin = await staff_login("admin")
    agency = await _register(admin, "customs-ruili", [kinds.CREDIT])
    cases = [
        ({"party_kind": "organisation", "uscc": "91530000MA6K0000XX", "kind": "violation"},
         "data.uscc"),
        ({"party_kind": "person", "kind": "violation"}, "data.id_number"),
        ({"party_kind": "organisation", "uscc": make_uscc("MA6K0001"),
          "kind": "crossing_on_time"}, "data.kind"),  # an agency adds violations only
        ({"party_kind": "organisation", "uscc": make_uscc("MA6K0001"),
          "kind": "violation_lifted"}, "data.lifts"),
        ({"party_kind": "organisation", "uscc": make_uscc("MA6K0001"), "kind": "violation",
          "delta": -5}, "data.delta"),
    ]
    for n, (data, field) in enumerate(cases):
        body = inbound_body(f"bad-{n}", kinds.IN_CREDIT, data)
        status, answer = await _post(client, "customs-ruili", agency["secret"], body,
                                     f"bad-{n}")
        assert status == 422 and answer["error"]["field"] == field, (data, answer)
    assert not await InboundEvent.exists() and not await CreditRecord.exists()


async def test_bad_events_are_refused_with_the_attribute_named(client, staff_login):
    admin = await staff_login("admin")
    agency = await _register(admin, "customs-ruili", [kinds.CREDIT])
    cases = [
        (b"[1]", "x-1", None),
        (json.dumps({"specversion": "0.3", "id": "x-1", "type": kinds.IN_CREDIT,
                     "data": {}}).encode(), "x-1", "specversion"),
        (inbound_body("x-1", kinds.IN_CREDIT, {}), "x-2", "id"),
        (inbound_body("x-1", "cn.gov.agency.other", {}), "x-1", "type"),
        (inbound_body("x-1", kinds.IN_INSPECTION, {"result": "cleared"}), "x-1",
         "data.crossing_id"),
        (inbound_body("x-1", kinds.IN_INSPECTION, {"crossing_id": 99, "result": "cleared"}),
         "x-1", "data.crossing_id"),
        (inbound_body("x-1", kinds.IN_BLACKLIST, {"filing_id": 99, "reason": "x"}), "x-1",
         "data.filing_id"),
    ]
    for body, msg_id, field in cases:
        status, answer = await _post(client, "customs-ruili", agency["secret"], body, msg_id)
        assert status == 422 and answer["error"]["field"] == field, (body, answer)
    assert not await InboundEvent.exists()


async def test_an_agency_that_was_down_pulls_its_events_by_cursor(client, staff_login, gate):
    admin = await staff_login("admin")
    agency = await _register(admin, "customs-ruili", [kinds.CROSSINGS])
    made = [await declared(gate, name=f"u{i}", plate=f"云N1000{i}") for i in range(3)]
    for item in made:
        await crossed(gate, item)
    await tailer.tail_once()

    async def pull(query: str, secret: str = agency["secret"]) -> tuple[int, Any]:
        path = f"{AGENCY}?{query}"
        signed = f"GET {path}".encode()
        resp = await client.get(path, headers=signed_headers("customs-ruili", secret,
                                                             "pull-1", signed))
        return resp.status, await resp.json()

    status, page = await pull("after=0&limit=2")
    assert status == 200, page
    assert [e["type"] for e in page["events"]] == [kinds.CROSSING_RECORDED] * 2
    assert page["more"] is True
    status, rest = await pull(f"after={page['next_after']}&limit=2")
    assert len(rest["events"]) == 1 and rest["more"] is False
    ids = [int(e["id"]) for e in page["events"] + rest["events"]]
    assert ids == sorted(ids)
    assert all(e["specversion"] == "1.0" and e["datacontenttype"] == "application/json"
               for e in page["events"])  # no declarations: not entitled
    status, refused = await pull("after=0", secret=signing.new_secret())
    assert status == 401
    status, refused = await pull("after=x")
    assert status == 422 and refused["error"]["field"] == "after"


async def test_twin_posts_of_one_event_are_taken_once(client, staff_login, gate):
    import asyncio

    admin = await staff_login("admin")
    agency = await _register(admin, "border-ruili", [kinds.INSPECTIONS])
    made = await declared(gate, name="alice", plate="云N10001")
    body = inbound_body("twin-1", kinds.IN_INSPECTION,
                        {"declaration_id": made.id, "result": "inspected"})
    answers = await asyncio.gather(*(_post(client, "border-ruili", agency["secret"], body,
                                           "twin-1") for _ in range(2)))
    assert sorted(status for status, _ in answers) == [201, 409]
    assert await InboundEvent.filter(event_id="twin-1").count() == 1
    assert await ExchangeEvent.filter(type=kinds.INSPECTION_RECORDED).count() == 1
