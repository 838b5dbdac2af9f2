"""Declarations and trips (R-F7, R-F8) and the overstay blacklist (R-F9).

Issue 26: a declaration is intent; trips open and close on the crossings the gate records
(the pass scanned at a lane: ``gate_helpers.crossed``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from factories import (
    approved_filing,
    attach_all,
    business_body,
    driver_user,
    personal_body,
    staff,
    submitted_filing,
)
from gate_helpers import crossed

from borderpass.core.errors import Conflict, FieldError, Forbidden
from borderpass.models import BlacklistEntry, Declaration, Filing, Trip
from borderpass.models.enums import DeclarationStatus, Role, SubjectKind, TripStatus
from borderpass.models.notify import Notification
from borderpass.services import clock
from borderpass.services.crossings import blacklist, declarations
from borderpass.services.filings import filings, review
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.notify import kinds
from borderpass.services.sweeps import run_sweeps
from borderpass.services.validators import make_id_number

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture
def gate(deps) -> GateDeps:
    return GateDeps.build(deps, ())


async def _declare(deps, user, filing: Filing, direction: str, **extra):
    driver = await filing.drivers.all().first()
    body = {"filing_id": filing.id, "driver_id": driver.id, "direction": direction,
            "port": "ruili", **extra}
    return await declarations.create(deps, user, body)


async def _cross(gate: GateDeps, user, filing: Filing, direction: str, **extra):
    """Declare, then pass the lane: the gate records the crossing (R-F7)."""
    declaration = await _declare(gate.deps, user, filing, direction, **extra)
    decision = await crossed(gate, declaration)
    assert decision.action in ("open", "hold"), decision
    return declaration


async def test_exit_crossing_opens_trip_with_three_month_deadline(gate) -> None:  # R-F8
    # Changed for issue 26: the exit declaration alone opens nothing; the crossing does.
    clock.freeze(T0)
    user = await driver_user()
    filing = await approved_filing(gate.deps, user)
    declaration = await _declare(gate.deps, user, filing, "exit")
    assert not await Trip.exists()
    await crossed(gate, declaration)
    trip = await Trip.get(filing=filing)
    assert trip.status is TripStatus.OPEN and trip.vin == filing.vin
    assert trip.deadline == datetime(2027, 2, 26, 2, 0, tzinfo=UTC)
    assert trip.exit_declaration_id == declaration.id  # type: ignore[attr-defined]


async def test_deadline_capped_by_filing_expiry(gate) -> None:  # R-F8
    clock.freeze(T0)
    user = await driver_user()
    filing = await approved_filing(gate.deps, user)
    clock.freeze(T0 + timedelta(days=330))
    await _cross(gate, user, filing, "exit")
    trip = await Trip.get(filing=filing)
    assert trip.deadline == filing.expires_at


async def test_business_vehicle_back_before_its_filing_expires(gate) -> None:  # R-F8
    # Per category, as data (services/filings/stay_limits.json): only personal vehicles
    # have 3 months.
    clock.freeze(T0)
    user = await driver_user()
    filing = await approved_filing(gate.deps, user, business_body())
    await _cross(gate, user, filing, "exit")
    trip = await Trip.get(filing=filing)
    assert trip.deadline == filing.expires_at
    clock.freeze(T0 + timedelta(days=200))
    assert await blacklist.sweep_overstays() == 0


async def test_entry_crossing_closes_trip_and_no_second_exit(gate) -> None:  # R-F7, R-F8
    # Changed for issue 26: the second exit is refused because the gate saw the vehicle
    # leave, and only the entry crossing (not the entry declaration) closes the trip.
    clock.freeze(T0)
    user = await driver_user()
    filing = await approved_filing(gate.deps, user)
    await _cross(gate, user, filing, "exit")
    with pytest.raises(Conflict) as err:
        await _declare(gate.deps, user, filing, "exit")
    assert err.value.code == "trip_open"
    entry = await _declare(gate.deps, user, filing, "entry")
    assert (await Trip.get(filing=filing)).status is TripStatus.OPEN  # declared, not crossed
    await crossed(gate, entry)
    trip = await Trip.get(filing=filing)
    assert trip.status is TripStatus.CLOSED and trip.returned_at == T0
    with pytest.raises(Conflict) as err:
        await _declare(gate.deps, user, filing, "entry")
    assert err.value.code == "no_open_trip"


async def test_concurrent_exits_are_intents_and_open_nothing(gate) -> None:  # R-F7
    # Changed for issue 26: declaring is intent, so concurrent exit declarations are all
    # accepted (each its own pass, each with its message) and open no trip.
    user = await driver_user()
    filing = await approved_filing(gate.deps, user)
    results = await asyncio.gather(*(_declare(gate.deps, user, filing, "exit")
                                     for _ in range(4)))
    assert len({r.id for r in results}) == 4
    assert not await Trip.exists()
    assert await Notification.filter(kind=kinds.DECLARATION_ACCEPTED).count() == 4


async def test_concurrent_entries_then_one_crossing_closes_once(gate) -> None:  # R-F7
    # Changed for issue 26: entries are declared while abroad; the one that crosses closes.
    user = await driver_user()
    filing = await approved_filing(gate.deps, user)
    exit_ = await _cross(gate, user, filing, "exit")
    entries = await asyncio.gather(*(_declare(gate.deps, user, filing, "entry")
                                     for _ in range(4)))
    await crossed(gate, entries[2])
    trip = await Trip.get(filing=filing)
    assert trip.status is TripStatus.CLOSED
    assert (trip.exit_declaration_id, trip.entry_declaration_id) == (exit_.id, entries[2].id)  # type: ignore[attr-defined]
    assert trip.exit_crossing_id is not None and trip.entry_crossing_id is not None
    assert await Declaration.filter(filing=filing).count() == 5


async def test_refused_entry_changes_nothing(deps) -> None:  # R-F7
    user = await driver_user()
    filing = await approved_filing(deps, user)
    with pytest.raises(Conflict) as err:
        await _declare(deps, user, filing, "entry")
    assert err.value.code == "no_open_trip"
    assert await Declaration.all().count() == 0 and await Trip.all().count() == 0
    assert await Notification.filter(kind=kinds.DECLARATION_ACCEPTED).count() == 0


async def test_accepted_declaration_queues_its_message(gate) -> None:  # R-F8
    # Changed for issue 26: the acceptance promises no deadline; the exit crossing's
    # message carries it, counted from the crossing.
    clock.freeze(T0)
    user = await driver_user()
    filing = await approved_filing(gate.deps, user)
    exit_ = await _declare(gate.deps, user, filing, "exit")
    clock.freeze(T0 + timedelta(hours=3))
    await crossed(gate, exit_)
    entry = await _declare(gate.deps, user, filing, "entry")
    for declaration in (exit_, entry):
        message = await Notification.get(dedupe_key=f"declaration:{declaration.id}:accepted")
        assert message.user_id == user.id and message.locale == user.locale  # type: ignore[attr-defined]
        assert message.payload["declaration_id"] == declaration.id
        assert message.payload["plate"] == filing.plate_number
        assert "deadline" not in message.payload
    trip = await Trip.get(filing=filing)
    told = await Notification.get(dedupe_key=f"trip:{trip.id}:exited")
    assert told.kind == kinds.TRIP_OPENED and told.user_id == user.id  # type: ignore[attr-defined]
    assert told.payload["deadline"] == "2027-02-26T05:00:00+00:00"
    assert (await Declaration.get(id=entry.id)).created_at == entry.created_at


async def test_blacklisted_driver_cannot_declare(deps) -> None:  # R-F9
    user = await driver_user()
    body = personal_body()
    second = make_id_number("533102", date(1990, 6, 1), 33)
    body["drivers"].append({"name": "岩叫", "id_number": second, "licence_number": second,
                            "permit_number": "C87654321", "phone": "13812345679",
                            "is_owner": False})
    body["documents"] = await attach_all(deps, user, "personal", drivers=2,
                                         extra=("relationship_proof",))
    draft = await filings.create(deps, user, body)
    await filings.submit(deps, user, draft.id)
    filing = await review.approve(await staff(Role.REVIEWER), draft.id)
    owner, other = await filing.drivers.all().order_by("position", "id")
    await BlacklistEntry.create(subject_kind=SubjectKind.PERSON, subject_key=other.id_key,
                                subject_label="岩*", reason="overstay")
    with pytest.raises(Forbidden) as err:
        await declarations.create(deps, user, {"filing_id": filing.id, "driver_id": other.id,
                                               "direction": "exit", "port": "ruili"})
    assert err.value.code == "blacklisted"
    assert await Declaration.all().count() == 0
    await declarations.create(deps, user, {"filing_id": filing.id, "driver_id": owner.id,
                                           "direction": "exit", "port": "ruili"})


async def test_cancelling_declarations_leaves_trips_alone(gate) -> None:  # R-F7
    # Changed for issue 26 (was: an entry cannot be cancelled after a new exit): trips are
    # the gate's record, so cancelling a declaration never opens, reopens or closes one.
    user = await driver_user()
    filing = await approved_filing(gate.deps, user)
    await _cross(gate, user, filing, "exit")
    entry = await _declare(gate.deps, user, filing, "entry")
    await declarations.cancel(gate.deps, user, entry.id)
    assert (await Declaration.get(id=entry.id)).status is DeclarationStatus.CANCELLED
    trip = await Trip.get(filing=filing)
    assert trip.status is TripStatus.OPEN and trip.entry_declaration_id is None  # type: ignore[attr-defined]
    await _cross(gate, user, filing, "entry")
    assert (await Trip.get(filing=filing)).status is TripStatus.CLOSED


async def test_only_approved_unexpired_filings_declare(deps) -> None:  # R-F7
    clock.freeze(T0)
    user = await driver_user()
    pending = await submitted_filing(deps, user)
    with pytest.raises(Conflict) as err:
        await _declare(deps, user, pending, "exit")
    assert err.value.code == "filing_not_approved"
    await review.approve(await staff(Role.REVIEWER), pending.id)
    clock.freeze(T0 + timedelta(days=366))
    with pytest.raises(Conflict):
        await _declare(deps, user, await Filing.get(id=pending.id), "exit")


async def test_only_its_drivers_declare(deps) -> None:  # R-F7
    user = await driver_user()
    filing = await approved_filing(deps, user)
    stranger = await driver_user("mallory")
    with pytest.raises(FieldError) as err:
        await _declare(deps, stranger, filing, "exit")
    assert err.value.field == "filing_id"
    other = await approved_filing(deps, stranger, personal_body(plate_number="云N77777"))
    foreign_driver = await other.drivers.all().first()
    with pytest.raises(FieldError) as err:
        await declarations.create(deps, user, {"filing_id": filing.id,
                                               "driver_id": foreign_driver.id,
                                               "direction": "exit", "port": "ruili"})
    assert err.value.field == "driver_id"


async def test_bad_declaration_fields(deps) -> None:
    user = await driver_user()
    filing = await approved_filing(deps, user)
    for extra, field in (({"direction": "sideways"}, "direction"), ({"port": "x"}, "port"),
                         ({"planned_at": "tomorrow"}, "planned_at"),
                         ({"planned_at": "2026-11-26T10:00:00"}, "planned_at"),
                         ({"planned_at": "2030-01-01T00:00:00+00:00"}, "planned_at")):
        driver = await filing.drivers.all().first()
        body = {"filing_id": filing.id, "driver_id": driver.id, "direction": "exit",
                "port": "ruili"} | extra
        with pytest.raises(FieldError) as err:
            await declarations.create(deps, user, body)
        assert err.value.field == field
    assert await Trip.all().count() == 0


async def test_cancel_unused_exit_and_not_a_used_one(gate) -> None:  # R-G2
    # Changed for issue 26 (was: cancelling an exit undoes its trip): an unused exit has no
    # trip to undo; a used one cannot be cancelled, and its trip stays.
    user = await driver_user()
    filing = await approved_filing(gate.deps, user)
    exit_ = await _declare(gate.deps, user, filing, "exit")
    await declarations.cancel(gate.deps, user, exit_.id)
    assert not await Trip.exists()
    used = await _cross(gate, user, filing, "exit")
    with pytest.raises(Conflict):
        await declarations.cancel(gate.deps, user, used.id)
    assert (await Trip.get(filing=filing)).status is TripStatus.OPEN


async def test_overstay_blacklists_owner_exactly_once(gate) -> None:  # R-F9
    clock.freeze(T0)
    user = await driver_user()
    filing = await approved_filing(gate.deps, user)
    await _cross(gate, user, filing, "exit")
    clock.freeze(T0 + timedelta(days=91))
    assert await blacklist.sweep_overstays() == 0  # deadline 2027-02-26 not yet reached
    clock.freeze(datetime(2027, 2, 26, 2, 0, 1, tzinfo=UTC))
    counts = await asyncio.gather(*(blacklist.sweep_overstays() for _ in range(3)))
    assert sum(counts) == 1
    assert await blacklist.sweep_overstays() == 0
    entry = await BlacklistEntry.get()
    assert entry.subject_key == filing.owner_key and entry.reason == "overstay"
    assert "岩" in entry.subject_label and entry.subject_label != "岩温"  # masked
    with pytest.raises(Forbidden):  # no exit ...
        await _declare(gate.deps, user, filing, "exit")
    await _declare(gate.deps, user, filing, "entry")  # ... but the way home (changed, #26)


async def test_vehicle_back_in_time_never_blacklisted(gate) -> None:  # R-F9
    clock.freeze(T0)
    user = await driver_user()
    filing = await approved_filing(gate.deps, user)
    await _cross(gate, user, filing, "exit")
    clock.freeze(T0 + timedelta(days=80))
    await _cross(gate, user, filing, "entry")
    clock.freeze(T0 + timedelta(days=400))
    assert await blacklist.sweep_overstays() == 0
    assert await BlacklistEntry.all().count() == 0


async def test_blacklisted_owner_cannot_submit_a_filing(deps) -> None:  # R-F9
    user = await driver_user()
    listed = await approved_filing(deps, user)
    await BlacklistEntry.create(subject_kind=SubjectKind.PERSON, subject_key=listed.owner_key,
                                subject_label="岩*", reason="overstay")
    with pytest.raises(Forbidden) as err:
        await submitted_filing(deps, user, personal_body(plate_number="云N66666"))
    assert err.value.code == "blacklisted"


async def test_sweeps_take_a_shared_lock(deps) -> None:  # R-F9
    await deps.kv.set("lock:sweeps", "other-process", ex=60)
    assert await run_sweeps(deps) is None
    await deps.kv.delete("lock:sweeps")
    assert await run_sweeps(deps) == {"expired_filings": 0, "blacklisted": 0,
                                      "trip_reminders": 0, "filing_reminders": 0,
                                      "cancellation_reminders": 0, "expired_sessions": 0,
                                      "idempotency_expired": 0, "data_exports": 0,
                                      "credit_crossings": 0, "credit_export_locks": 0,
                                      "credit_rederived": 0,
                                      "retention_drafts": 0, "retention_anonymised_filings": 0,
                                      "retention_exports": 0, "retention_files": 0,
                                      "retention_orphan_files": 0, "retention_held": 0,
                                      "retention_erased_accounts": 0,
                                      "retention_shredded_keys": 0,
                                      "retention_ledger_months": 0, "retention_credit_events": 0,
                                      "ledger_months_ahead": 0}


async def test_lift_needs_role_and_reason(gate) -> None:  # R-F9
    clock.freeze(T0)
    user = await driver_user()
    filing = await approved_filing(gate.deps, user)
    await _cross(gate, user, filing, "exit")
    clock.freeze(T0 + timedelta(days=100))
    await blacklist.sweep_overstays()
    entry = await BlacklistEntry.get()
    with pytest.raises(Forbidden):
        await blacklist.lift(await staff(Role.REVIEWER, "reviewer2"), entry.id, "ok")
    admin = await staff(Role.ADMIN)
    with pytest.raises(FieldError):
        await blacklist.lift(admin, entry.id, "  ")
    lifted = await blacklist.lift(admin, entry.id, "车辆已返回，经核实")
    assert lifted.lifted_by_id == admin.id and lifted.lifted_at is not None
    with pytest.raises(Conflict):
        await blacklist.lift(admin, entry.id, "again")
    await _declare(gate.deps, user, filing, "entry")
