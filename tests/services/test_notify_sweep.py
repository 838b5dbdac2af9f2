"""Reminder sweeps: trip deadlines (R-F8), blacklisting notices (R-F9), filing expiry (R-F3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import approved_filing, driver_user
from gate_helpers import crossed, declared

from borderpass.models import Trip
from borderpass.models.notify import Notification, NotificationStatus
from borderpass.services import clock
from borderpass.services.crossings import blacklist, declarations
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.notify import kinds, relevance
from borderpass.services.notify.sweep import stage_windows, sweep_filings, sweep_trips
from borderpass.services.sweeps import run_sweeps

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)


async def _exit(deps):
    """A vehicle that crossed out at a lane (issue 26: the crossing opens the trip)."""
    clock.freeze(T0)
    gate = GateDeps.build(deps, ())
    user = await driver_user()
    declaration = await declared(gate, user)
    await crossed(gate, declaration)
    filing = await declaration.filing
    trip = await Trip.get(filing=filing)
    return user, filing, trip


async def _keys(kind: str = kinds.TRIP_DEADLINE) -> list[str]:
    return sorted(await Notification.filter(kind=kind).values_list("dedupe_key", flat=True))


def test_stage_windows_keep_only_the_latest_due_stage() -> None:
    stages = (("a", 10 * DAY), ("b", 5 * DAY), ("end", timedelta(0)))
    since, until = T0, T0 + DAY
    assert list(stage_windows(stages, since, until)) == [
        ("a", since + 10 * DAY, until + 10 * DAY),
        ("b", since + 5 * DAY, until + 5 * DAY),
        ("end", since, until)]
    # after a week of downtime, "a" only for deadlines whose "b" is not due yet
    later = since + 7 * DAY
    first = next(iter(stage_windows(stages, since, later)))
    assert first == ("a", later + 5 * DAY, later + 10 * DAY)


async def test_each_reminder_is_queued_once_when_due(deps) -> None:  # R-F8
    _, _, trip = await _exit(deps)
    await sweep_trips(clock.now())
    assert await _keys() == []
    for stage, lead in kinds.TRIP_STAGES:
        clock.freeze(trip.deadline - lead + timedelta(minutes=1))
        await sweep_trips(clock.now())
        await sweep_trips(clock.now())  # a rerun queues nothing new
        assert f"trip:{trip.id}:{stage}" in await _keys()
    assert len(await _keys()) == len(kinds.TRIP_STAGES)


async def test_downtime_sends_only_the_latest_missed_reminder(deps) -> None:  # R-F8
    _, _, trip = await _exit(deps)
    clock.freeze(trip.deadline - 20 * DAY)
    await sweep_trips(clock.now())
    clock.freeze(trip.deadline - 2 * DAY)  # down through the 14-, 7- and 3-day reminders
    await sweep_trips(clock.now())
    assert await _keys() == [f"trip:{trip.id}:d3"]
    row = await Notification.get(dedupe_key=f"trip:{trip.id}:d3")
    assert (await relevance.check(row)).send
    clock.freeze(trip.deadline - timedelta(hours=20))  # the 1-day reminder is due: d3 is stale
    assert (await relevance.check(row)).why == "superseded by a later reminder"


async def test_reminder_skipped_when_the_vehicle_came_back(deps) -> None:  # R-F8
    user, filing, trip = await _exit(deps)
    clock.freeze(trip.deadline - 20 * DAY)
    await sweep_trips(clock.now())
    clock.freeze(trip.deadline - 7 * DAY + timedelta(minutes=5))
    await sweep_trips(clock.now())
    row = await Notification.get(dedupe_key=f"trip:{trip.id}:d7")
    driver = await filing.drivers.all().first()
    entry = await declarations.create(deps, user, {
        "filing_id": filing.id, "driver_id": driver.id, "direction": "entry", "port": "ruili"})
    await crossed(GateDeps.build(deps, ()), entry)  # the gate saw it come back
    verdict = await relevance.check(row)
    assert not verdict.send and "closed" in verdict.why


async def test_overstay_queues_the_blacklisting_notice_once(deps) -> None:  # R-F9
    _, _, trip = await _exit(deps)
    clock.freeze(trip.deadline - DAY)
    await run_sweeps(deps)
    clock.freeze(trip.deadline + timedelta(minutes=2))
    result = await run_sweeps(deps)
    assert result is not None and result["blacklisted"] == 1
    await run_sweeps(deps)
    [row] = await Notification.filter(kind=kinds.BLACKLISTED)
    assert row.dedupe_key == f"trip:{trip.id}:blacklisted"
    assert row.status is NotificationStatus.PENDING
    assert (await relevance.check(row)).send


async def test_blacklisting_notice_waits_for_the_overstay_sweep(deps) -> None:  # R-F9
    _, _, trip = await _exit(deps)
    clock.freeze(trip.deadline - DAY)
    await sweep_trips(clock.now())
    clock.freeze(trip.deadline + timedelta(minutes=2))
    await sweep_trips(clock.now())  # the reminder sweep ran, the blacklist not yet
    row = await Notification.get(kind=kinds.BLACKLISTED)
    verdict = await relevance.check(row)
    assert not verdict.send and verdict.wait_until is not None
    await blacklist.sweep_overstays()
    assert (await relevance.check(row)).send


async def test_filing_expiry_reminders_30_and_7_days_before(deps) -> None:  # R-F3
    clock.freeze(T0)
    filing = await approved_filing(deps, await driver_user())
    assert filing.expires_at is not None
    await sweep_filings(clock.now())
    for _, lead in kinds.FILING_STAGES:
        clock.freeze(filing.expires_at - lead + timedelta(minutes=1))
        await sweep_filings(clock.now())
    keys = await _keys(kinds.FILING_EXPIRING)
    day = filing.expires_at.date().isoformat()
    assert keys == [f"filing:{filing.id}:expiry:{day}:d30", f"filing:{filing.id}:expiry:{day}:d7"]
    row = await Notification.get(dedupe_key=keys[1])
    assert (await relevance.check(row)).send
    assert row.payload["plate"] == "云N12345"


async def test_queued_rows_are_what_the_intent_says_on_either_database(deps) -> None:  # R-F8
    """PostgreSQL queues due trips with one INSERT … SELECT; its rows must equal the
    intents the portable path builds (user, kind, locale, payload), overdue notice too."""
    from borderpass.services.notify.sweep import OVERDUE, _trip_intent

    user, filing, trip = await _exit(deps)
    row = {"id": trip.id, "filing_id": filing.id, "deadline": trip.deadline,
           "filing__plate_number": filing.plate_number, "filing__applicant_id": user.id,
           "filing__applicant__locale": user.locale}
    for stage, lead in (kinds.TRIP_STAGES[-1], OVERDUE):
        clock.freeze(trip.deadline - lead + timedelta(minutes=1))
        assert await sweep_trips(clock.now()) == 1
        want = _trip_intent(row, stage)
        got = await Notification.get(dedupe_key=want.key)
        assert (got.user_id, got.kind, got.locale, got.payload) == (  # type: ignore[attr-defined]
            want.user_id, want.kind, want.locale, want.payload)
        assert got.status is NotificationStatus.PENDING


async def test_expiry_reminder_skipped_once_a_renewal_is_submitted(deps) -> None:  # R-F3
    """The reminder invites the renewal; once a renewal is under review it is not sent."""
    from factories import jpeg

    from borderpass.services.filings import documents, filings, renewals

    clock.freeze(T0)
    user = await driver_user()
    filing = await approved_filing(deps, user)
    assert filing.expires_at is not None
    clock.freeze(filing.expires_at - timedelta(days=30) + timedelta(minutes=1))
    await sweep_filings(clock.now())
    row = await Notification.get(kind=kinds.FILING_EXPIRING)
    assert (await relevance.check(row)).send
    draft = await renewals.start(user, filing.id)
    assert (await relevance.check(row)).send  # a draft alone is not yet acting on it
    photos = {kind: (await documents.upload(deps, user, kind, jpeg())).id
              for kind in ("photo_front_45", "photo_rear_45", "photo_side")}
    await filings.update(deps, user, draft.id, {"documents": photos})
    await filings.submit(deps, user, draft.id)
    verdict = await relevance.check(row)
    assert not verdict.send and "renewal" in verdict.why
