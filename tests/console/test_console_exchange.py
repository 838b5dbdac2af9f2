"""The console's exchange desks (issue #21 B): an admin registers an agency and sees its
secret once, watches delivery and replays; customs confirms an agency's blacklist entry;
inspection results appear on the ledger beside the crossing."""

from __future__ import annotations

import pytest
from console_helpers import add_staff, console_login, csrf
from exchange_helpers import Subscriber, agency
from factories import staff
from gate_helpers import crossed, declared

from borderpass.models import Agency, BlacklistEntry, InboundEvent
from borderpass.models.enums import Role
from borderpass.models.gate import Crossing
from borderpass.services.exchange import delivery, kinds, worker
from borderpass.web.appkeys import DEPS, GATE

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def settings(settings):
    return settings.with_overrides(exchange_worker=False, exchange_loopback_http=True)


async def test_an_admin_registers_an_agency_and_replays_it(client) -> None:
    await add_staff("admin")
    await console_login(client, "admin")
    resp = await client.post("/console/agencies", data=[
        ("csrf", await csrf(client, "/console/agencies")), ("code", "customs-ruili"),
        ("name", "瑞丽海关"), ("kind", "customs"), ("url", "https://customs.example/in"),
        ("event_types", "declarations"), ("event_types", "crossings"), ("batch_size", "10")])
    assert resp.status == 201
    page = await resp.text()
    found = await Agency.get(code="customs-ruili")
    assert found.event_types == ["crossings", "declarations"] and found.batch_size == 10
    assert "whsec_" in page  # shown this once
    again = await (await client.get("/console/agencies")).text()
    assert "whsec_" not in again and "customs-ruili" in again
    resp = await client.post(f"/console/agencies/{found.id}/replay", data={
        "csrf": await csrf(client, "/console/agencies"), "after": "0"}, allow_redirects=False)
    assert resp.status == 303
    resp = await client.post("/console/agencies", data={
        "csrf": await csrf(client, "/console/agencies"), "code": "x-y", "name": "x",
        "kind": "customs", "url": "http://example.org/", "event_types": "credit"})
    assert resp.status == 422 and not await Agency.exists(code="x-y")


async def test_customs_confirms_an_agency_entry_and_sees_inspections(client) -> None:
    gate = client.app[GATE]
    cipher = client.app[DEPS].cipher
    sub = Subscriber()
    border = await agency(await staff(Role.ADMIN), cipher, sub, "border-ruili",
                          [kinds.BLACKLIST])
    made = await declared(gate, name="alice", plate="云N10001")
    await crossed(gate, made)
    crossing = await Crossing.get(declaration_id=made.id)
    await InboundEvent.create(agency_id=border.id, event_id="i-1", type=kinds.IN_INSPECTION,
                              data={"crossing_id": crossing.id, "result": "held",
                                    "note": "X光复查"},
                              crossing_id=crossing.id, declaration_id=made.id,
                              status="recorded", received_at=crossing.at)
    entry = await InboundEvent.create(
        agency_id=border.id, event_id="b-1", type=kinds.IN_BLACKLIST,
        data={"filing_id": made.filing_id, "reason": "smuggling"},  # type: ignore[attr-defined]
        filing_id=made.filing_id, status="pending_review",  # type: ignore[attr-defined]
        received_at=crossing.at)
    await add_staff("customs")
    await add_staff("gate_supervisor")
    await console_login(client, "customs")
    page = await (await client.get("/console/agency-reviews")).text()
    assert "smuggling" in page
    resp = await client.post(f"/console/agency-reviews/{entry.id}", data={
        "csrf": await csrf(client, "/console/agency-reviews"), "decision": "confirm",
        "note": "案卷已核"}, allow_redirects=False)
    assert resp.status == 303
    listed = await BlacklistEntry.get()
    assert listed.source_agency_id == border.id
    await worker.turn(cipher, sub, delivery.Config())
    assert sub.types(border.url) == {kinds.BLACKLIST_LISTED}
    client.session.cookie_jar.clear()
    await console_login(client, "gate_supervisor")
    ledger = await (await client.get("/console/ledger")).text()
    assert "border-ruili" in ledger and 'data-code="held"' in ledger and "X光复查" in ledger
