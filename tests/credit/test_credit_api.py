"""Credit-based handling through the API, the gate and the console (R-P2).

The clock is the only thing moved by hand; crossings go through the gate, reviews and lifts
through the API, the credit loop runs in the sweeps as the worker runs it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_helpers import Caller, approved_filing_id, attach_documents, submitted_renewal
from console.console_helpers import console_login
from credit_helpers import declare, my_credit, round_trip, sweep
from factories import personal_body
from gate_helpers import crossed

from borderpass.models import AuditEvent, Declaration, Trip
from borderpass.services import clock
from borderpass.services.credit import events as credit_events
from borderpass.services.credit.hooks import ClassChange
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)
EXPIRES = datetime(2027, 1, 10, 2, 0, tzinfo=UTC)


async def _again(client: Any, login: Any, role: str = "reviewer") -> tuple[Caller, Caller]:
    """The driver and a staff user logged in again after the clock moved."""
    driver = await login("alice")
    resp = await client.post("/api/v1/auth/staff-login",
                             json={"username": role, "password": "correct-horse-1"})
    body = await resp.json()
    return driver, Caller(client, body["token"], body["user"]["id"])


async def _good_owner(client: Any, login: Any, staff_login: Any,
                      at: datetime) -> tuple[Caller, Caller, int]:
    """Alice's filing approved at T0, then three on-time round trips from ``at`` (R-P2.4)."""
    clock.freeze(T0)
    alice, reviewer = await login("alice"), await staff_login("reviewer")
    filing_id = await approved_filing_id(alice, reviewer)
    clock.freeze(at)
    alice, reviewer = await _again(client, login)
    before = await my_credit(alice)
    assert (before["credit_class"], before["rule"], before["events"]) == ("normal", "R-P2.5", [])
    for _ in range(3):
        await round_trip(client, alice, filing_id)
    return alice, reviewer, filing_id


@pytest.mark.parametrize("share", [0.0])
async def test_good_owner_unchanged_renewal_is_approved_by_rule(
        client, login, staff_login) -> None:
    """R-P2.4, R-P2.6, R-P2.7: three on-time trips make a good class; the unchanged renewal
    is approved at once by rule, with the evidence on the filing, in the audit trail and on
    the review desk; the crossings feed run twice (and from a cursor set back) counts once."""
    alice, reviewer, old_id = await _good_owner(client, login, staff_login,
                                                EXPIRES - timedelta(days=40))
    first = await sweep(client)
    assert first["credit_crossings"] == 3
    assert (await sweep(client))["credit_crossings"] == 0
    from borderpass.models.credit import CreditCursor
    await CreditCursor.filter(name="trips").update(position=0, pending=[])  # set back
    await sweep(client)
    party = await my_credit(alice)
    assert (party["credit_class"], party["rule"], party["rule_version"]) == ("good", "R-P2.4", 1)
    assert [e["kind"] for e in party["events"]] == ["crossing_on_time"] * 3  # not doubled
    assert party["class_text"] == "守信" and party["filings"] == [old_id]
    assert "按期往返3次以上" in party["reasons"][0]["text"]
    assert [r["code"] for r in party["restrictions"]] == ["fast_lane"]

    renewal = await submitted_renewal(alice, old_id)
    assert renewal["status"] == "approved", renewal
    lane = renewal["fast_lane"]
    assert (lane["outcome"], lane["rule"], lane["credit_class"], lane["class_rule"]) == (
        "approved", "R-P2.6", "good", "R-P2.4")
    assert datetime.fromisoformat(renewal["starts_at"]) == EXPIRES  # R-F3: no gap
    row = await AuditEvent.filter(subject_type="filing", subject_id=renewal["id"]).get()
    assert row.actor_id is None and row.detail["by_rule"] == "R-P2.6"  # type: ignore[attr-defined]
    assert row.detail["decision"] == "approved"
    _, queue = await reviewer.call("GET", "/api/v1/review/queue")
    assert queue["items"] == []  # nothing for a human
    _, seen = await alice.call("GET", f"/api/v1/filings/{renewal['id']}")
    assert seen["fast_lane"]["outcome"] == "approved"  # visible on the filing

    assert "/console/" in await console_login(client, "reviewer")
    desk = await (await client.get("/console/review/fast-lane")).text()
    assert f'/console/review/filings/{renewal["id"]}' in desk
    assert 'data-outcome="approved"' in desk and "R-P2.6" in desk
    page = await (await client.get(f"/console/credit/filings/{old_id}")).text()
    assert 'data-class="good"' in page and "R-P2.4" in page and page.count("trip:") == 3


@pytest.mark.parametrize("share", [1.0])
async def test_sampled_renewal_goes_to_human_review(client, login, staff_login) -> None:
    """R-P2.6: a sampled renewal of a good owner stays in the queue, marked as sampled, and
    is decided by a reviewer as any other."""
    alice, reviewer, old_id = await _good_owner(client, login, staff_login,
                                                EXPIRES - timedelta(days=40))
    await sweep(client)
    renewal = await submitted_renewal(alice, old_id)
    assert renewal["status"] == "submitted"
    assert renewal["fast_lane"]["outcome"] == "sampled"
    _, queue = await reviewer.call("GET", "/api/v1/review/queue")
    assert [i["id"] for i in queue["items"]] == [renewal["id"]]
    status, done = await reviewer.call("POST",
                                       f"/api/v1/review/filings/{renewal['id']}/approve")
    assert status == 200 and done["fast_lane"]["outcome"] == "sampled"
    await console_login(client, "reviewer")
    desk = await (await client.get("/console/review/fast-lane")).text()
    assert 'data-outcome="sampled"' in desk


@pytest.mark.parametrize("share", [0.0])
async def test_changed_renewal_or_normal_owner_goes_to_review(client, login,
                                                               staff_login) -> None:
    """R-P2.6: an owner without the record of a good class renews unchanged: to review."""
    clock.freeze(T0)
    alice, reviewer = await login("alice"), await staff_login("reviewer")
    old_id = await approved_filing_id(alice, reviewer)
    clock.freeze(EXPIRES - timedelta(days=30))
    alice, reviewer = await _again(client, login)
    renewal = await submitted_renewal(alice, old_id)
    assert renewal["status"] == "submitted" and renewal["fast_lane"] is None
    assert renewal["renewal_changes"] == []


async def _returned_for_false_data(alice: Caller, reviewer: Caller, filing_id: int) -> None:
    status, body = await reviewer.call(
        "POST", f"/api/v1/review/filings/{filing_id}/return",
        json={"reasons": [{"field": "vehicle.owner_name", "code": "mismatch"}]})
    assert status == 200, body
    clock.freeze(clock.now() + timedelta(minutes=5))
    status, body = await alice.call("POST", f"/api/v1/filings/{filing_id}/submit")
    assert status == 200, body


async def test_restricted_owner_is_refused_an_exit_naming_the_event(login,
                                                                   staff_login) -> None:
    """R-P2.2, R-P2.8: returned twice for false data, the owner is restricted; an exit
    declaration is refused with the class, the rule and the event that caused it, in the
    caller's language; a retried return (same moment) is not a second event."""
    clock.freeze(T0)
    alice, reviewer = await login("alice"), await staff_login("reviewer")
    body = personal_body()
    body["documents"] = await attach_documents(alice)
    _, filing = await alice.call("POST", "/api/v1/filings", json=body)
    await alice.call("POST", f"/api/v1/filings/{filing['id']}/submit")
    await _returned_for_false_data(alice, reviewer, filing["id"])
    assert (await my_credit(alice))["rule"] == "R-P2.3"  # one: normal, not good
    await _returned_for_false_data(alice, reviewer, filing["id"])
    status, _ = await reviewer.call("POST", f"/api/v1/review/filings/{filing['id']}/approve")
    assert status == 200
    party = await my_credit(alice)
    assert (party["credit_class"], party["rule"]) == ("restricted", "R-P2.2")
    cause = party["cause_event_id"]
    assert [e["kind"] for e in party["events"]] == ["false_data_return"] * 2
    assert {r["code"] for r in party["restrictions"]} == {"no_exit", "no_fast_lane"}
    status, seen = await reviewer.call("GET", f"/api/v1/review/filings/{filing['id']}/credit")
    assert status == 200 and seen["credit_class"] == "restricted"
    assert seen["cause_event_id"] == cause and seen["record_id"]
    status, _ = await alice.call("GET", f"/api/v1/review/filings/{filing['id']}/credit")
    assert status == 403  # staff only

    status, err = await declare(alice, filing["id"])
    assert status == 403, err
    assert (err["error"]["code"], err["error"]["field"]) == ("credit_restricted", "filing_id")
    message = err["error"]["message"]
    assert "受限" in message and "备案因信息不实被退回" in message and str(cause) in message
    await alice.call("PATCH", "/api/v1/me", json={"locale": "en"})
    _, err = await declare(alice, filing["id"])
    assert "Restricted" in err["error"]["message"]
    assert "returned for false data" in err["error"]["message"]
    assert await Declaration.all().count() == 0


async def test_overstay_then_lift_moves_the_class_down_and_back_up(
        client, login, staff_login, monkeypatch) -> None:
    """R-F9, R-P2.2, R-P2.3: good, then an overstay blacklists the owner (restricted, the
    event written with the listing), then customs lifts it: the class comes back up to
    normal (a lifted failing still counts for a year); each change passes the hook once."""
    changes: list[ClassChange] = []

    async def hook(change: ClassChange) -> None:
        changes.append(change)

    monkeypatch.setattr(credit_events, "class_changed", hook)
    alice, _, filing_id = await _good_owner(client, login, staff_login,
                                            T0 + timedelta(days=1))
    await sweep(client)
    assert (await my_credit(alice))["credit_class"] == "good"
    status, out = await declare(alice, filing_id)
    assert status == 201
    await crossed(client.app[GATE], await Declaration.get(id=out["id"]))
    trip = await Trip.get(status="open")
    clock.freeze(trip.deadline + timedelta(hours=1))
    result = await sweep(client)
    assert result["blacklisted"] == 1
    await staff_login("customs")
    alice, customs = await _again(client, login, "customs")
    party = await my_credit(alice)
    assert (party["credit_class"], party["rule"]) == ("restricted", "R-P2.2")
    assert party["events"][0]["kind"] == "overstay"
    assert party["cause_event_id"] == party["events"][0]["id"]

    _, listed = await customs.call("GET", "/api/v1/admin/blacklist")
    (entry,) = listed["items"]
    status, _ = await customs.call("POST", f"/api/v1/admin/blacklist/{entry['id']}/lift",
                                   json={"reason": "已返回并接受处理"})
    assert status == 200
    party = await my_credit(alice)
    assert (party["credit_class"], party["rule"]) == ("normal", "R-P2.3")
    assert [e["kind"] for e in party["events"][:2]] == ["overstay_lifted", "overstay"]
    await sweep(client)  # nothing doubles on later runs
    assert len((await my_credit(alice))["events"]) == 5
    assert [(c.before, c.after, c.rule) for c in changes] == [
        ("normal", "good", "R-P2.4"), ("good", "restricted", "R-P2.2"),
        ("restricted", "normal", "R-P2.3")]
