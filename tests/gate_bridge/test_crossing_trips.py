"""A crossing is what the gate recorded (issue 26): trips open on the exit crossing and close
on the entry crossing, whatever was declared (R-F7, R-F8, R-F9, R-G2, R-G3).

Drivers act through the API, lanes through the lane protocol (WebSocket and HTTP), customs
through the API; the clock is the only thing moved by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_helpers import approved_filing_id
from gate_helpers import connect, lane, qr, recv

from borderpass.adapters.batching import Coalescer
from borderpass.models import BlacklistEntry, Trip
from borderpass.models.gate import Crossing, LedgerEntry
from borderpass.models.notify import Notification
from borderpass.models.oversight import AuditEvent
from borderpass.services import clock
from borderpass.services.crossings import blacklist
from borderpass.services.gate import gate_record
from borderpass.services.notify import kinds
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


async def _declare(caller: Any, filing_id: int, direction: str,
                   **extra: Any) -> tuple[int, Any]:
    _, filing = await caller.call("GET", f"/api/v1/filings/{filing_id}")
    return await caller.call("POST", "/api/v1/declarations", json={
        "filing_id": filing_id, "direction": direction, "driver_id": filing["drivers"][0]["id"],
        "port": "ruili", **extra})


async def _pass(caller: Any, declaration_id: int) -> dict[str, Any]:
    status, body = await caller.call("GET", f"/api/v1/declarations/{declaration_id}/pass")
    assert status == 200, body
    return body


async def _scan(client: Any, code: str, token: str, event_id: str, text: str) -> dict[str, Any]:
    """One scan over the lane's HTTP fallback; the command it got."""
    resp = await client.post(f"/gate/lanes/{code}/scans", json={"event_id": event_id, "qr": text},
                             headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 200
    return dict(await resp.json())


class Border:
    """Ruili's lanes (one out, one in) and a driver with an approved filing."""

    def __init__(self, client: Any) -> None:
        self.client, self.gate = client, client.app[GATE]

    async def setup(self, login: Any, staff_login: Any, name: str = "alice",
                    plate: str = "云N12345", vin: str | None = None) -> Border:
        self.out, self.out_token = await lane(self.gate, "ruili-out-1")
        self.inn, self.in_token = await lane(self.gate, "ruili-in-1", "entry")
        self.driver = await login(name)
        status, _ = await self.driver.call("PATCH", "/api/v1/me", json={"locale": "en"})
        assert status == 200
        self.reviewer = await staff_login("reviewer")
        extra = {"vin": vin} if vin else {}
        self.filing_id = await approved_filing_id(self.driver, self.reviewer, plate_number=plate,
                                                  **extra)
        return self

    async def declared(self, direction: str, **extra: Any) -> dict[str, Any]:
        status, body = await _declare(self.driver, self.filing_id, direction, **extra)
        assert status == 201, body
        return dict(body)

    async def crossing(self, direction: str, event_id: str) -> dict[str, Any]:
        """Declare and pass the lane of ``direction``; the lane's command."""
        declaration = await self.declared(direction)
        gate_pass = await _pass(self.driver, declaration["id"])
        code, token = (self.out.code, self.out_token) if direction == "exit" \
            else (self.inn.code, self.in_token)
        return await _scan(self.client, code, token, event_id, qr(gate_pass))

    async def trips(self) -> list[dict[str, Any]]:
        status, body = await self.driver.call("GET", "/api/v1/trips")
        assert status == 200
        return list(body["items"])


@pytest.fixture
async def border(client: Any, login: Any, staff_login: Any) -> Border:
    clock.freeze(T0 - timedelta(hours=1))  # approved just before the tests' clock starts
    return await Border(client).setup(login, staff_login)


async def test_exit_declared_but_never_used_opens_nothing(border: Border) -> None:  # R-F8
    clock.freeze(T0)
    await border.declared("exit")
    assert await border.trips() == []
    clock.freeze(T0 + timedelta(days=200))
    assert await blacklist.sweep_overstays() == 0  # nobody listed: the vehicle never left
    assert not await BlacklistEntry.exists()
    await border.declared("exit")  # and a new exit can be declared
    status, body = await _declare(border.driver, border.filing_id, "entry")
    assert status == 409 and body["error"]["code"] == "no_open_trip"
    assert "no exit" in body["error"]["message"]


async def test_exit_crossing_opens_the_trip_from_its_real_time(border: Border) -> None:  # R-F8
    clock.freeze(T0)  # declared on the 26th for the 2nd, crossed on the 1st at 16:00
    exit_ = await border.declared("exit", planned_at=(T0 + timedelta(days=6)).isoformat())
    crossed_at = T0 + timedelta(days=5, hours=14)
    clock.freeze(crossed_at)
    gate_pass = await _pass(border.driver, exit_["id"])
    command = await _scan(border.client, border.out.code, border.out_token, "s1", qr(gate_pass))
    assert command["action"] == "open"
    (trip,) = await border.trips()
    assert trip["status"] == "open" and trip["exited_at"] == crossed_at.isoformat()
    assert trip["deadline"].startswith("2027-03-01T16:00")  # 3 calendar months from the crossing
    message = await Notification.get(kind=kinds.TRIP_OPENED)  # told at the crossing
    assert message.user_id == border.driver.user_id  # type: ignore[attr-defined]
    assert message.payload["deadline"].startswith("2027-03-01T16:00")
    assert message.payload["exited_at"] == crossed_at.isoformat()
    accepted = await Notification.filter(kind=kinds.DECLARATION_ACCEPTED).first()
    assert accepted is not None and "deadline" not in accepted.payload  # no promise
    clock.freeze(datetime(2027, 2, 27, 2, 0, tzinfo=UTC))  # 3 months from the declaration
    assert await blacklist.sweep_overstays() == 0
    clock.freeze(datetime(2027, 3, 1, 16, 0, 1, tzinfo=UTC))  # before the planned + 3 months
    assert await blacklist.sweep_overstays() == 1


async def test_entry_declared_but_not_crossed_stays_abroad(border: Border) -> None:  # R-F9
    clock.freeze(T0)
    assert (await border.crossing("exit", "s1"))["action"] == "open"
    await border.declared("entry")  # on the phone only: the gate never saw it come back
    (trip,) = await border.trips()
    assert trip["status"] == "open"
    status, body = await _declare(border.driver, border.filing_id, "exit")
    assert status == 409 and body["error"]["code"] == "trip_open"  # still abroad
    assert "lanes recorded" in body["error"]["message"]
    clock.freeze(datetime(2027, 2, 26, 2, 0, 1, tzinfo=UTC))
    assert await blacklist.sweep_overstays() == 1
    entry = await BlacklistEntry.get()
    assert entry.reason == "overstay" and entry.trip_id == trip["id"]  # type: ignore[attr-defined]


async def test_entry_crossing_closes_the_trip(border: Border) -> None:  # R-F7, R-F8
    clock.freeze(T0)
    await border.crossing("exit", "s1")
    clock.freeze(T0 + timedelta(days=30))
    command = await border.crossing("entry", "s2")
    assert command["action"] == "open"
    (trip,) = await border.trips()
    assert trip["status"] == "closed"
    assert trip["returned_at"] == (T0 + timedelta(days=30)).isoformat()
    clock.freeze(T0 + timedelta(days=200))
    assert await blacklist.sweep_overstays() == 0
    await border.declared("exit")  # home: a new exit can be declared


async def test_blacklisted_vehicle_declares_and_crosses_home(border: Border,
                                                             staff_login: Any) -> None:  # R-F9
    clock.freeze(T0)
    await border.crossing("exit", "s1")
    clock.freeze(T0 + timedelta(days=100))
    assert await blacklist.sweep_overstays() == 1
    status, body = await _declare(border.driver, border.filing_id, "exit")
    assert status == 403 and body["error"]["code"] == "blacklisted"
    entry_decl = await border.declared("entry")  # the return is always allowed
    gate_pass = await _pass(border.driver, entry_decl["id"])
    ws = await connect(border.client, border.inn.code, border.in_token)
    await ws.send_json({"type": "scan", "event_id": "s2", "qr": qr(gate_pass)})
    command = await recv(ws, "command")
    assert (command["action"], command["reason"]) == ("hold", "blacklisted")  # R-G3
    assert set(command["display"]) == {"zh_CN", "my", "en"}
    assert "blacklist" in command["display"]["en"]
    await ws.close()
    crossing = await Crossing.get(direction="entry")  # the vehicle is home
    assert crossing.declaration_id == entry_decl["id"]
    (trip,) = await border.trips()
    assert trip["status"] == "closed"
    assert trip["returned_at"] == (T0 + timedelta(days=100)).isoformat()
    # customs refers the case as suspected smuggling: who, when and why in the audit
    listed = await BlacklistEntry.get()
    status, body = await border.driver.call(
        "POST", f"/api/v1/admin/blacklist/{listed.id}/smuggling", json={"reason": "x"})
    assert status == 403
    customs = await staff_login("customs")
    path = f"/api/v1/admin/blacklist/{listed.id}/smuggling"
    status, body = await customs.call("POST", path, json={"reason": " "})
    assert status == 422 and body["error"]["field"] == "reason"
    status, body = await customs.call("POST", path, json={"reason": "货箱夹层"})
    assert status == 200 and body["suspected_smuggling"] is True
    status, body = await customs.call("POST", path, json={"reason": "again"})
    assert status == 409 and body["error"]["code"] == "blacklist_already_referred"
    audit = await AuditEvent.get(subject_type="blacklist", subject_id=listed.id)
    assert audit.actor_id == customs.user_id  # type: ignore[attr-defined]
    assert audit.detail["reason"] == "货箱夹层" and audit.field_names == ["suspected_smuggling"]


async def test_twin_and_concurrent_scans_open_one_trip(border: Border) -> None:  # R-G2, R-F7
    # Which lane wins depends on which scan is recorded first: either is right; the twin
    # always gets its first's answer and one crossing, trip and message are written.
    clock.freeze(T0)
    exit_ = await border.declared("exit")
    text = qr(await _pass(border.driver, exit_["id"]))
    second, second_token = await lane(border.gate, "ruili-out-2")
    answers = await asyncio.gather(
        _scan(border.client, border.out.code, border.out_token, "s1", text),
        _scan(border.client, border.out.code, border.out_token, "s1", text),  # a twin
        _scan(border.client, second.code, second_token, "s9", text))  # another lane at once
    assert answers[0] == answers[1]  # the twin: the same answer
    assert sorted([answers[0]["action"], answers[2]["action"]]) == ["deny", "open"]
    refused = answers[0] if answers[0]["action"] == "deny" else answers[2]
    assert refused["reason"] == "pass_used"
    again = await _scan(border.client, border.out.code, border.out_token, "s1", text)  # retry
    assert again == answers[0]
    assert await Crossing.all().count() == 1
    assert await Trip.all().count() == 1
    assert await Notification.filter(kind=kinds.TRIP_OPENED).count() == 1


class HeldBatches:
    """The bridge's record batches, held on demand: a test decides which scans share a
    batch (one database commit) and which batch goes first."""

    def __init__(self, gate: Any) -> None:
        self.runs: list[list[str]] = []
        self.release = asyncio.Event()
        self.coalescer = gate.batches[gate_record.record_batch] = Coalescer(self._run,
                                                                              in_flight=1)

    async def _run(self, events: list[gate_record.Event]) -> list[gate_record.Recorded]:
        self.runs.append([e.event_id for e in events])
        await self.release.wait()
        return await gate_record.record_batch(events)

    async def until(self, ready: Callable[[], bool]) -> None:
        """Wait (a few seconds at most) until ``ready()``: the requests are in place."""
        for _ in range(2000):
            if ready():
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"batches not formed: {self.runs}")


def _later(call: Any) -> asyncio.Task[Any]:
    return asyncio.get_running_loop().create_task(call)


async def test_another_lane_first_then_twins_in_the_next_batch(border: Border) -> None:
    # R-G2: the other lane's scan is committed first (its batch in flight while the twins
    # read the pass still approved and gather in the next batch): it opens; both twins get
    # the one refusal, pass_used, and so does a later retry.
    clock.freeze(T0)
    exit_ = await border.declared("exit")
    text = qr(await _pass(border.driver, exit_["id"]))
    second, second_token = await lane(border.gate, "ruili-out-2")
    held = HeldBatches(border.gate)
    other = _later(_scan(border.client, second.code, second_token, "s9", text))
    await held.until(lambda: held.runs == [["s9"]])
    twins = [_later(_scan(border.client, border.out.code, border.out_token, "s1", text))
             for _ in range(2)]
    await held.until(lambda: held.coalescer.gathering == 2)
    held.release.set()
    first, twin = await asyncio.gather(*twins)
    assert (await other)["action"] == "open"
    assert held.runs == [["s9"], ["s1", "s1"]]
    assert (first["action"], first["reason"]) == ("deny", "pass_used") and twin == first
    assert await _scan(border.client, border.out.code, border.out_token, "s1", text) == first
    assert await Crossing.all().count() == 1 and await Trip.all().count() == 1


@pytest.mark.parametrize("order", [("s9", "s1", "s1"), ("s1", "s9", "s1"), ("s1", "s1", "s9")])
async def test_scans_of_one_pass_in_one_batch_first_arrival_wins(
        border: Border, order: tuple[str, ...]) -> None:  # R-G2
    # One commit carries both lanes' scans and the twin: the first to arrive takes the
    # release, whatever its lane or the twin's place; the twin gets its first's answer.
    clock.freeze(T0)
    exit_ = await border.declared("exit")
    text = qr(await _pass(border.driver, exit_["id"]))
    second, second_token = await lane(border.gate, "ruili-out-2")
    held = HeldBatches(border.gate)
    ack = _later(border.client.post(  # an unrelated event holds the batch in flight
        f"/gate/lanes/{second.code}/events", headers={"Authorization": f"Bearer {second_token}"},
        json={"type": "ack", "event_id": "a0", "command_id": "nothing"}))
    await held.until(lambda: held.runs == [["a0"]])
    scans = []
    for n, event_id in enumerate(order):
        code, token = (second.code, second_token) if event_id == "s9" else (border.out.code,
                                                                           border.out_token)
        scans.append(_later(_scan(border.client, code, token, event_id, text)))
        await held.until(lambda n=n: held.coalescer.gathering == n + 1)  # type: ignore[misc]
    held.release.set()
    answers = dict(zip(order, await asyncio.gather(*scans), strict=True))
    assert (await ack).status == 200
    assert held.runs == [["a0"], list(order)]
    assert answers[order[0]]["action"] == "open"
    loser = "s9" if order[0] == "s1" else "s1"
    assert (answers[loser]["action"], answers[loser]["reason"]) == ("deny", "pass_used")
    twins = [a for e, a in zip(order, await asyncio.gather(*scans), strict=True) if e == "s1"]
    assert twins[0] == twins[1]
    assert await Crossing.all().count() == 1 and await Trip.all().count() == 1
    assert (await Crossing.get()).event_id == order[0]


async def test_offline_batch_opens_the_trip_at_the_scan_time(border: Border) -> None:  # R-F8
    clock.freeze(T0)
    exit_ = await border.declared("exit")
    gate_pass = await _pass(border.driver, exit_["id"])
    seen_at = T0 + timedelta(hours=1)
    text = qr(gate_pass, seen_at)
    clock.freeze(T0 + timedelta(hours=6))  # the lane comes back online hours later
    ws = await connect(border.client, border.out.code, border.out_token)
    await ws.send_json({"type": "offline_batch", "event_id": "b1", "events": [
        {"event_id": "o1", "qr": text, "action": "open", "at": seen_at.isoformat()}]})
    receipt = await recv(ws, "receipt")
    assert receipt["accepted"] == 1 and receipt["flagged"] == []
    await ws.close()
    (trip,) = await border.trips()
    assert trip["status"] == "open" and trip["exited_at"] == seen_at.isoformat()
    assert trip["deadline"].startswith("2027-02-26T03:00")


async def test_manual_lifts_naming_the_plate_are_crossings(border: Border,
                                                           staff_login: Any) -> None:  # R-G4
    clock.freeze(T0)
    guard = await staff_login("gate_supervisor", "guard")
    customs = await staff_login("customs")

    async def lift(code: str) -> None:
        status, body = await guard.call("POST", "/api/v1/gate/manual-lifts", json={
            "lane": code, "reason": "reader down", "plate": "云N 12345"})
        assert status == 201, body
        status, _ = await customs.call("POST", f"/api/v1/gate/manual-lifts/{body['id']}/approve",
                                       json={"note": "papers checked"})
        assert status == 200

    await lift(border.out.code)
    (trip,) = await border.trips()
    assert trip["status"] == "open" and trip["exited_at"] == T0.isoformat()
    status, body = await _declare(border.driver, border.filing_id, "exit")
    assert status == 409 and body["error"]["code"] == "trip_open"
    await lift(border.out.code)  # a second exit while abroad: recorded, flagged, one trip
    assert await Crossing.filter(kind="manual_lift", direction="exit").count() == 2
    flag = await LedgerEntry.get(kind="double_exit")
    assert flag.flagged and flag.reason == "trip_open"
    assert await Trip.all().count() == 1
    clock.freeze(T0 + timedelta(days=3))
    await lift(border.inn.code)
    (trip,) = await border.trips()
    assert trip["status"] == "closed"
    assert trip["returned_at"] == (T0 + timedelta(days=3)).isoformat()


async def test_entry_under_a_new_filing_closes_the_vehicles_trip(client: Any, login: Any,
                                                                  staff_login: Any) -> None:
    # R-F7, R-F3: trips are the vehicle's (its VIN), not a filing's: the vehicle left under
    # the old filing, came back after its expiry under the renewal, and the trip closes.
    from api_helpers import Caller, submitted_renewal

    clock.freeze(T0)
    first = await Border(client).setup(login, staff_login)
    status, old = await first.driver.call("GET", f"/api/v1/filings/{first.filing_id}")
    expires = datetime.fromisoformat(old["expires_at"])
    clock.freeze(expires - timedelta(days=20))
    first.driver = await login("alice")  # sessions lapsed while the clock moved
    resp = await client.post("/api/v1/auth/staff-login",
                             json={"username": "reviewer", "password": "correct-horse-1"})
    staff = await resp.json()
    first.reviewer = Caller(client, staff["token"], staff["user"]["id"])
    await first.crossing("exit", "s1")
    renewal = await submitted_renewal(first.driver, first.filing_id)
    status, _ = await first.reviewer.call("POST",
                                          f"/api/v1/review/filings/{renewal['id']}/approve")
    assert status == 200
    status, body = await _declare(first.driver, renewal["id"], "exit")
    assert status == 409 and body["error"]["code"] == "trip_open"  # abroad, whatever filing
    clock.freeze(expires + timedelta(days=5))
    first.driver = await login("alice")
    status, entry = await _declare(first.driver, renewal["id"], "entry")
    assert status == 201, entry
    gate_pass = await _pass(first.driver, entry["id"])
    command = await _scan(client, first.inn.code, first.in_token, "s2", qr(gate_pass))
    assert command["action"] == "open"
    (trip,) = await first.trips()
    assert trip["status"] == "closed"
