"""Events to other agencies (issue #21 B, R-P1, R-P2): written with each change, delivered
at least once and in order, retried for 24 hours, dead then replayable; entitlements kept;
crossings tailed from the gate's table without losing or doubling one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from api_helpers import outbox_broken
from exchange_helpers import Subscriber, agency
from factories import approved_filing, driver_user, personal_body, staff
from gate_helpers import crossed, declared

from borderpass.core.errors import BorderPassError
from borderpass.models import Agency, DeadLetter, ExchangeEvent, ExchangeTail, Trip
from borderpass.models.enums import Role
from borderpass.models.gate import Crossing
from borderpass.presenters import exchange as present
from borderpass.services import clock
from borderpass.services.crossings import blacklist, declarations
from borderpass.services.exchange import delivery, kinds, subscribers, tailer, worker
from borderpass.services.gate.gate_context import GateDeps

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
ALL = list(kinds.CATEGORIES)


@pytest.fixture
def gate(deps) -> GateDeps:
    return GateDeps.build(deps, ())


async def drain(deps, subscriber: Subscriber) -> int:
    """Turn the worker until it has nothing left to do; events delivered."""
    total = 0
    for _ in range(100):
        done = await worker.turn(deps.cipher, subscriber, delivery.Config())
        total += done
        if not done:
            return total
    raise AssertionError("the worker never ran dry")


async def test_a_subscriber_down_for_an_hour_gets_everything_in_order_once(deps, gate):  # R-P7
    clock.freeze(T0)
    admin = await staff(Role.ADMIN)
    sub = Subscriber()
    customs = await agency(admin, deps.cipher, sub, "customs-ruili", ALL)
    sub.down = True
    first = await declared(gate, name="alice", plate="云N10001")
    await crossed(gate, first)
    for minute in range(0, 61, 3):  # an hour of the worker trying, events keep coming
        clock.freeze(T0 + timedelta(minutes=minute))
        if minute % 12 == 0:
            made = await declared(gate, name=f"d{minute}", plate=f"云N2{minute:04d}")
            if minute % 24 == 0:
                await declarations.cancel(gate.deps, await made.declared_by, made.id)
        for _ in range(3):
            await worker.turn(deps.cipher, sub, delivery.Config())
    state = await Agency.get(id=customs.id)
    assert sub.received == {} and state.cursor == 0
    assert state.attempts > 3 and state.failing_since is not None  # backing off, not dead
    assert state.next_attempt_at is not None and state.next_attempt_at > clock.now()
    assert not await DeadLetter.exists()
    described = present.agency(await subscribers.state(state))
    assert described["lag"] == await ExchangeEvent.all().count() > 0
    sub.down = False
    clock.freeze(T0 + timedelta(minutes=80))  # back, past the last backoff
    await drain(deps, sub)
    logged = list(await ExchangeEvent.all().order_by("id").values_list("id", flat=True))
    assert sub.ids(customs.url) == logged  # everything, in id order
    assert sub.duplicates == 0
    types = [e["type"] for e in sub.received[customs.url]]
    assert types.count(kinds.DECLARATION_CREATED) == 7
    assert types.count(kinds.DECLARATION_CANCELLED) == 3
    assert types.count(kinds.CROSSING_RECORDED) == 1
    subject_of_first = f"declaration/{first.id}"
    assert [e["type"] for e in sub.received[customs.url]
            if e["subject"] == subject_of_first] == [kinds.DECLARATION_CREATED]
    state = await Agency.get(id=customs.id)
    assert state.cursor == logged[-1] and state.attempts == 0 and state.failing_since is None


async def test_an_answer_lost_is_delivered_again_and_deduped_by_id(deps, gate):
    clock.freeze(T0)
    admin = await staff(Role.ADMIN)
    sub = Subscriber()
    customs = await agency(admin, deps.cipher, sub, "customs-ruili", ALL, batch=5)
    await declared(gate, name="alice", plate="云N10001")
    sub.status = 503  # it takes nothing, answers an error
    await worker.turn(deps.cipher, sub, delivery.Config())
    assert sub.received == {}
    sub.status = 200
    clock.freeze(T0 + timedelta(minutes=1))
    await drain(deps, sub)
    assert len(sub.ids(customs.url)) == 1 and sub.duplicates == 0
    await Agency.filter(id=customs.id).update(cursor=0)  # as if our write of the cursor was lost
    await drain(deps, sub)
    assert sub.duplicates == 1 and len(sub.ids(customs.url)) == 1  # again; the agency dedups


async def test_after_24_hours_an_event_is_dead_visible_and_replayable(deps, gate):
    clock.freeze(T0)
    admin = await staff(Role.ADMIN)
    sub = Subscriber()
    customs = await agency(admin, deps.cipher, sub, "customs-ruili", [kinds.DECLARATIONS])
    made = await declared(gate, name="alice", plate="云N10001")
    sub.status = 400  # it refuses this one for good
    for hour in range(0, 26):
        clock.freeze(T0 + timedelta(hours=hour))
        await worker.turn(deps.cipher, sub, delivery.Config())
    dead = await DeadLetter.filter(agency_id=customs.id)
    assert len(dead) == 1 and dead[0].error == "HTTP 400"
    state = await Agency.get(id=customs.id)
    assert state.cursor == dead[0].event_id and state.last_error.startswith("dead")
    listed = await subscribers.dead_letters(admin, customs.id)
    assert listed[0].replayed_at is None
    await declarations.cancel(gate.deps, await made.declared_by, made.id)
    sub.status = 200
    await drain(deps, sub)  # the later event of the subject goes once the first is dead
    assert [e["type"] for e in sub.received[customs.url]] == [kinds.DECLARATION_CANCELLED]
    await subscribers.replay(admin, customs.id, 0)
    await drain(deps, sub)
    assert sub.ids(customs.url)[-1] == dead[0].event_id  # the dead one, replayed
    assert (await subscribers.dead_letters(admin, customs.id))[0].replayed_at


async def test_each_agency_gets_only_the_types_it_is_entitled_to(deps, gate):  # R-P7
    clock.freeze(T0)
    admin = await staff(Role.ADMIN)
    sub = Subscriber()
    customs = await agency(admin, deps.cipher, sub, "customs-ruili", [kinds.DECLARATIONS])
    border = await agency(admin, deps.cipher, sub, "border-ruili", [kinds.BLACKLIST])
    office = await agency(admin, deps.cipher, sub, "port-office", [kinds.CROSSINGS])
    made = await declared(gate, name="alice", plate="云N10001")
    await crossed(gate, made)
    trip = await Trip.get(status="open")
    await Trip.filter(id=trip.id).update(deadline=T0 - timedelta(days=1))
    assert await blacklist.sweep_overstays() == 1
    await drain(deps, sub)
    assert sub.types(customs.url) == {kinds.DECLARATION_CREATED}
    assert sub.types(border.url) == {kinds.BLACKLIST_LISTED}
    assert sub.types(office.url) == {kinds.CROSSING_RECORDED}
    listed = sub.received[border.url][0]["data"]
    assert set(listed) == {"entry_id", "subject_kind", "subject", "reason", "filing_id",
                           "source", "listed_at", "lifted_at"}  # no key, masked subject
    assert "*" in listed["subject"]
    lifted = await blacklist.lift(await staff(Role.CUSTOMS), listed["entry_id"], "paid")
    await drain(deps, sub)
    assert sub.received[border.url][-1]["type"] == kinds.BLACKLIST_LIFTED
    assert sub.received[border.url][-1]["data"]["lifted_at"] == lifted.lifted_at.isoformat()
    assert len(sub.received[customs.url]) == 1  # nothing else came its way


async def test_a_failed_declaration_writes_no_event(deps, gate):  # R-P7
    clock.freeze(T0)
    user = await driver_user("alice")
    filing = await approved_filing(deps, user, personal_body(plate_number="云N10001"))
    driver = await filing.drivers.all().first()
    body = {"filing_id": filing.id, "driver_id": driver.id, "port": "ruili",
            "direction": "exit"}
    before = await ExchangeEvent.all().count()
    with pytest.raises(Exception):  # noqa: B017 - the outbox insert fails
        async with outbox_broken():
            await declarations.create(deps, user, body)
    assert await ExchangeEvent.all().count() == before  # one transaction: nothing at all
    with pytest.raises(BorderPassError):
        await declarations.create(deps, user, body | {"port": "nowhere"})
    assert await ExchangeEvent.all().count() == before


async def test_the_tailer_logs_each_crossing_once_and_never_twice(deps, gate):
    clock.freeze(T0)
    made = [await declared(gate, name=f"u{i}", plate=f"云N3000{i}") for i in range(3)]
    for item in made:
        await crossed(gate, item)
    assert await tailer.tail_once() == 3
    assert await tailer.tail_once() == 0
    tail = await ExchangeTail.get(name=tailer.NAME)
    last = await Crossing.all().order_by("-id").first()
    assert tail.cursor == last.id
    await ExchangeTail.filter(name=tailer.NAME).update(cursor=0)  # as if the cursor were lost
    await tailer.tail_once()
    events = await ExchangeEvent.filter(type=kinds.CROSSING_RECORDED)
    assert sorted(e.data["crossing_id"] for e in events) == \
        sorted(await Crossing.all().values_list("id", flat=True))  # each once
    data = events[0].data
    assert set(data) == {"crossing_id", "declaration_id", "filing_id", "direction", "kind",
                         "lane", "port", "plate", "at"}


def test_the_worker_gathers_crossings_into_pages_while_busy() -> None:
    assert worker.pause(tailer.PAGE, poll=1.0) == 0.0  # a backlog: on at once
    assert worker.pause(3, poll=1.0) == worker.BUSY_PAUSE  # a trickle: let it gather
    assert worker.pause(3, poll=0.01) == 0.01  # never slower than idle
    assert worker.pause(0, poll=1.0) == 1.0


async def test_a_hole_in_the_crossings_is_passed_once_it_is_known_to_be_final(deps, gate):
    clock.freeze(T0)
    first = await declared(gate, name="a", plate="云N30001")
    second = await declared(gate, name="b", plate="云N30002")
    await crossed(gate, first)
    await crossed(gate, second)
    low = await Crossing.all().order_by("id").first()
    await Crossing.filter(id=low.id).delete()  # a rolled-back id, as the tailer sees it
    taken = await tailer.tail_once()
    if taken == 0:  # PostgreSQL: noted, then passed after the grace once no writer is left
        clock.freeze(T0 + tailer.GAP_GRACE + timedelta(seconds=1))
        taken = await tailer.tail_once()
    assert taken == 1
    assert await ExchangeEvent.filter(type=kinds.CROSSING_RECORDED).count() == 1


async def test_only_https_or_allowed_loopback(deps):
    admin = await staff(Role.ADMIN)
    body = {"code": "customs-x", "name": "X", "kind": "customs",
            "event_types": [kinds.DECLARATIONS]}
    strict, loose = subscribers.Policy(False), subscribers.Policy(True)
    for url, policy in (("http://127.0.0.1:9/x", strict), ("http://10.0.0.5/x", loose),
                        ("ftp://example.org/", loose), ("https://u:p@example.org/", loose)):
        with pytest.raises(BorderPassError) as caught:
            await subscribers.register(admin, body | {"url": url}, deps.cipher, policy)
        assert caught.value.field == "url"
    found, secret = await subscribers.register(admin, body | {"url": "https://x.example/in"},
                                               deps.cipher, strict)
    assert secret.startswith("whsec_") and secret not in found.secret_sealed
    assert subscribers.secret_of(await Agency.get(id=found.id), deps.cipher) == secret
    with pytest.raises(BorderPassError):
        await subscribers.register(await staff(Role.CUSTOMS), body | {"code": "c2",
                                   "url": "https://x.example/in"}, deps.cipher, strict)


async def test_a_crossing_still_being_written_is_waited_for_not_lost(deps, gate, db):  # R-P7
    if not db.startswith("postgres"):
        pytest.skip("SQLite commits ids in order: no hole can be in flight")
    import asyncpg

    clock.freeze(T0)
    made = await declared(gate, name="a", plate="云N30001")
    conn = await asyncpg.connect(db.replace("postgres://", "postgresql://", 1))
    try:
        slow = conn.transaction()
        await slow.start()  # a writer that took its id and has not committed yet
        held = await conn.fetchval(
            "INSERT INTO gate_crossings (direction, kind, lane_code, port, plate, event_id, at)"
            " VALUES ('exit', 'manual_lift', 'slow-lane', 'ruili', '云N99999', 'slow-1', now())"
            " RETURNING id")
        await crossed(gate, made)  # a later id, committed first
        assert await tailer.tail_once() == 0  # the hole is noted, nothing passes it
        clock.freeze(T0 + tailer.GAP_GRACE * 10)
        assert await tailer.tail_once() == 0  # still open: waited for, however long
        await slow.commit()
    finally:
        await conn.close()
    assert await tailer.tail_once() == 2
    logged = await ExchangeEvent.filter(type=kinds.CROSSING_RECORDED).order_by("id")
    assert len(logged) == 2 and logged[0].data["crossing_id"] == held  # none lost, in order


async def test_the_worker_loop_survives_the_database_going_away(deps, gate):
    clock.freeze(T0)
    from tortoise import connections

    admin = await staff(Role.ADMIN)
    sub = Subscriber()
    customs = await agency(admin, deps.cipher, sub, "customs-ruili", ALL)
    await declared(gate, name="alice", plate="云N10001")
    db = connections.get("default")
    await db.execute_script("ALTER TABLE exchange_events RENAME TO exchange_events_away")
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_worker(deps.cipher, sub, delivery.Config(), 0.01,
                                                 stop))
    try:
        for _ in range(20):  # turns fail while the table is gone; the loop keeps going
            await asyncio.sleep(0.05)
        assert not task.done() and sub.received == {}
        await db.execute_script("ALTER TABLE exchange_events_away RENAME TO exchange_events")
        for _ in range(400):
            if sub.received.get(customs.url):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert [e["type"] for e in sub.received[customs.url]] == [kinds.DECLARATION_CREATED]
