"""What each hot write does, on SQLite and on PostgreSQL alike (tests/contracts/conftest.py
runs every test here on both): one implementation per write (docs/architecture.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from factories import approved_filing, driver_user
from tortoise.transactions import in_transaction

from borderpass.models import Declaration, FilingDocument, Trip
from borderpass.models.enums import DeclarationStatus, Direction, TripStatus
from borderpass.models.exchange import ExchangeEvent
from borderpass.models.gate import LedgerEntry
from borderpass.models.notify import Notification, NotificationStatus
from borderpass.services import clock, idempotency
from borderpass.services.crossings import declarations, trip_record
from borderpass.services.exchange import kinds as exchange_kinds
from borderpass.services.filings import filing_rows
from borderpass.services.gate import ledger
from borderpass.services.notify import kinds, outbox
from borderpass.services.notify.outbox import Intent
from borderpass.services.notify.sweep import sweep_trips

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, 0, 123456, tzinfo=UTC)


async def test_ledger_write_stores_each_entry_cut_to_its_widths() -> None:  # R-G6
    await ledger.record(
        ledger.entry("scan", "L" * 50, at=T0, event_id="e" * 70, plate="粤A12345678901234567",
                     outcome="allowed", reason="r" * 45, actor="a" * 70, flagged=True,
                     detail={"vin": "LSV1", "名": "值"}),
        ledger.entry("ack", "lane-1", at=T0 + timedelta(seconds=1)))
    first, second = await LedgerEntry.all().order_by("id")
    assert (first.kind, first.lane_code, first.event_id, first.plate, first.reason,
            first.actor) == ("scan", "L" * 40, "e" * 64, "粤A12345678901234", "r" * 40, "a" * 64)
    assert first.at == T0 and first.flagged is True and first.declaration_id is None
    assert first.detail == {"vin": "LSV1", "名": "值"}
    # what was not given: empty texts, not flagged, an empty detail
    assert (second.kind, second.event_id, second.outcome, second.flagged, second.detail) == \
        ("ack", "", "", False, {})
    # the stored time orders and filters like any other (the range reads of the export)
    assert await ledger.count(T0, T0 + timedelta(seconds=1)) == 1
    assert [e.kind for page in [p async for p in ledger.rows(T0, T0 + timedelta(hours=1))]
            for e in page] == ["scan", "ack"]


async def test_ledger_write_joins_the_callers_transaction() -> None:  # R-G6
    with pytest.raises(RuntimeError):
        async with in_transaction() as tx:
            await ledger.write([ledger.entry("fault", "lane-1", at=T0)], tx)
            raise RuntimeError("rolled back")
    assert await LedgerEntry.all().count() == 0


async def test_enqueue_queues_each_key_once() -> None:
    clock.freeze(T0)
    user = await driver_user()
    later = T0 + timedelta(hours=2)
    offered = await outbox.enqueue([
        Intent("k:1", user.id, kinds.TRIP_OPENED, "my", {"plate": "粤A1", "n": [1, 2]}),
        Intent("k:2", user.id, kinds.TRIP_OPENED, "zh_CN", {}, not_before=later),
        Intent("k:1", user.id, kinds.TRIP_OPENED, "en", {"plate": "twin"})])  # a duplicate
    assert offered == 3
    assert await outbox.enqueue([Intent("k:2", user.id, kinds.TRIP_OPENED, "en", {})]) == 1
    rows = await Notification.all().order_by("id")
    assert [(r.dedupe_key, r.locale, r.payload, r.next_at) for r in rows] == [
        ("k:1", "my", {"plate": "粤A1", "n": [1, 2]}, T0), ("k:2", "zh_CN", {}, later)]
    for r in rows:
        assert (r.status, r.attempts, r.maybe_delivered, r.last_error, r.created_at,
                r.claim_token, r.channel) == (NotificationStatus.PENDING, 0, False, "", T0,
                                              None, None)
    # the stored times compare as times: only the due one is claimed
    _, claimed = await outbox.claim(10, timedelta(minutes=1))
    assert [r.dedupe_key for r in claimed] == ["k:1"]


async def test_enqueue_refuses_an_unknown_kind() -> None:
    user = await driver_user()
    with pytest.raises(ValueError):
        await outbox.enqueue([Intent("k", user.id, "no-such-kind", "en", {})])
    assert await Notification.all().count() == 0


async def _open_trip(deps, deadline: datetime) -> Trip:
    clock.freeze(T0)
    user = await driver_user()
    filing = await approved_filing(deps, user)
    return await Trip.create(filing=filing, vin=trip_record.vehicle_key(filing.id, filing.vin),
                             status=TripStatus.OPEN, exited_at=T0, deadline=deadline,
                             exit_crossing_id=1)


async def test_sweep_queues_the_trip_reminder_built_in_python(deps) -> None:  # R-F8
    deadline = T0 + timedelta(days=3, minutes=30)
    trip = await _open_trip(deps, deadline)
    filing = await trip.filing
    clock.freeze(T0 + timedelta(hours=1))
    assert await sweep_trips(clock.now()) == 1
    row = await Notification.get(dedupe_key=f"trip:{trip.id}:d3")
    assert row.kind == kinds.TRIP_DEADLINE and row.user_id == filing.applicant_id
    assert row.payload == {"trip_id": trip.id, "filing_id": filing.id,
                           "plate": filing.plate_number, "deadline": deadline.isoformat(),
                           "stage": "d3"}
    assert await sweep_trips(clock.now()) == 0  # the window already swept


async def test_sweep_queues_the_blacklisting_notice_at_the_deadline(deps) -> None:  # R-F9
    deadline = T0 + timedelta(minutes=30)
    trip = await _open_trip(deps, deadline)
    clock.freeze(deadline + timedelta(seconds=1))
    await sweep_trips(clock.now())
    row = await Notification.get(dedupe_key=f"trip:{trip.id}:blacklisted")
    assert row.kind == kinds.BLACKLISTED and row.payload["stage"] == "overdue"
    assert row.payload["deadline"] == deadline.isoformat()


async def test_crossings_open_close_and_flag_trips(deps) -> None:  # R-F7, R-F8
    clock.freeze(T0)
    user = await driver_user()
    filing = await approved_filing(deps, user)
    deadline = T0 + timedelta(days=30)
    facts = trip_record.TripFacts(filing.id, filing.vin, deadline, user.id, "en", "粤A1")
    async with in_transaction() as tx:
        doubled = await trip_record.follow(tx, [
            (facts, "exit", None, "ruili", "lane-1", "ev-1", T0, 11, "scan"),
            (facts, "exit", None, "ruili", "lane-2", "ev-2", T0, 12, "scan")])  # a twin exit
    trip = await Trip.get(vin=filing.vin)
    assert (trip.status, trip.exit_crossing_id, trip.exited_at, trip.deadline) == \
        (TripStatus.OPEN, 11, T0, deadline)
    note = await Notification.get(dedupe_key=f"trip:{trip.id}:exited")
    assert note.payload == {**facts.notice("ruili", T0), "trip_id": trip.id}
    assert [(c[4], c[5], c[7]) for c in doubled] == [("lane-2", "ev-2", 12)]  # the gate
    assert not await LedgerEntry.exists()  # flags it in its own ledger write (gate_record)
    back = T0 + timedelta(days=2, microseconds=7)
    async with in_transaction() as tx:
        await trip_record.follow(tx, [(facts, "entry", None, "ruili", "lane-3", "ev-3", back,
                                       13, "scan")])
    await trip.refresh_from_db()
    assert (trip.status, trip.returned_at, trip.entry_crossing_id) == \
        (TripStatus.CLOSED, back, 13)
    assert json.loads(trip_record.notice_json(facts, "ruili", T0))["exited_at"] == \
        T0.isoformat()


async def test_a_declaration_is_written_with_its_message_and_event(deps) -> None:  # R-F7
    clock.freeze(T0)
    user = await driver_user()
    filing = await approved_filing(deps, user)
    driver = await filing.drivers.all().first()
    made = await declarations.create(deps, user, {
        "filing_id": filing.id, "driver_id": driver.id, "direction": "exit", "port": "ruili"})
    stored = await Declaration.get(id=made.id)
    assert (stored.filing_id, stored.driver_id, stored.declared_by_id, stored.direction,
            stored.port, stored.status) == \
        (filing.id, driver.id, user.id, Direction.EXIT, "ruili", DeclarationStatus.APPROVED)
    note = await Notification.get(dedupe_key=f"declaration:{made.id}:accepted")
    assert note.kind == kinds.DECLARATION_ACCEPTED and note.user_id == user.id
    assert await ExchangeEvent.filter(type=exchange_kinds.DECLARATION_CREATED).count() == 1


async def test_the_filing_read_brings_its_drivers_in_order_and_its_slots(deps) -> None:
    user = await driver_user()
    filing = await approved_filing(deps, user)
    loaded, parts = await filing_rows.load(filing.id)
    assert loaded.id == filing.id and loaded.vin == filing.vin
    drivers = await filing.drivers.all().order_by("position", "id")
    assert [d["id"] for d in parts.drivers] == [d.id for d in drivers]
    assert all(isinstance(d["is_owner"], bool) for d in parts.drivers)
    slots = await FilingDocument.filter(filing_id=filing.id)
    assert parts.documents == {s.kind: s.document_id for s in slots} and parts.documents
    assert await filing_rows.load(filing.id + 1000) is None


async def test_an_idempotency_key_is_claimed_once() -> None:
    user = await driver_user()
    assert await idempotency._insert_claim(user.id, "d" * 64, "f1") is True
    assert await idempotency._insert_claim(user.id, "d" * 64, "f2") is False  # held
    assert await idempotency._insert_claim(user.id, "e" * 64, "f1") is True
