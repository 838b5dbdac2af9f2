"""Credit events from every source, their idempotency, and the fast lane's sample (R-P2)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from export_factories import approved_enterprise, exporter, issued_licence, officer
from export_factories import vins as make_vins
from factories import driver_user

from borderpass.core.errors import Conflict, FieldError
from borderpass.models import Filing
from borderpass.models.credit import CreditEvent, CreditRecord, FastLaneDecision
from borderpass.models.enums import FilingCategory, FilingStatus, Role
from borderpass.models.export import Enterprise
from borderpass.services import clock
from borderpass.services.credit import fast_lane, feed, record_event, rules
from borderpass.services.crossings import dishonesty
from borderpass.services.export import obligations
from borderpass.services.ports import Deps
from borderpass.services.units import unit_removals

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
ID_NUMBER = "530102199001011231"


def _key(deps: Deps) -> str:
    return deps.cipher.blind_index(ID_NUMBER, "id_number")


async def _crossings(key: str, count: int = 3, source: str = "test") -> None:
    for i in range(count):
        await record_event(party_kind="person", party_key=key, kind=rules.CROSSING_ON_TIME,
                           source=source, ref=f"trip:{i}",
                           occurred_at=clock.now() - timedelta(days=i + 1))


async def _class(key: str) -> tuple[str, str]:
    record = await CreditRecord.get(party_key=key)
    return record.credit_class, record.rule


async def test_a_retried_or_concurrent_event_counts_once(deps: Deps) -> None:  # R-P2.7
    clock.freeze(T0)
    key = _key(deps)
    first = await record_event(party_kind="person", party_key=key,
                               kind=rules.CROSSING_ON_TIME, source="trips", ref="trip:7")
    again = await record_event(party_kind="person", party_key=key,
                               kind=rules.CROSSING_ON_TIME, source="trips", ref="trip:7")
    assert again.id == first.id
    twins = await asyncio.gather(*[record_event(
        party_kind="person", party_key=key, kind=rules.CROSSING_ON_TIME, source="trips",
        ref="trip:8") for _ in range(4)])
    assert len({t.id for t in twins}) == 1
    assert await CreditEvent.filter(party_key=key).count() == 2
    with pytest.raises(Conflict) as taken:  # a reference is one fact, of one party
        await record_event(party_kind="person", party_key="x" * 64,
                           kind=rules.CROSSING_ON_TIME, source="trips", ref="trip:7")
    assert taken.value.code == "credit_event_ref_taken"
    with pytest.raises(FieldError) as bad:
        await record_event(party_kind="person", party_key=key, kind="bribe", source="trips",
                           ref="x")
    assert bad.value.field == "kind"
    with pytest.raises(FieldError) as unnamed:
        await record_event(party_kind="person", party_key=key, kind=rules.OVERSTAY_LIFTED,
                           source="blacklist", ref="lift:1")
    assert unnamed.value.field == "lifts"


async def test_an_external_feed_restricts_and_its_lift_restores(deps: Deps) -> None:
    """R-P2.2, R-P2.3, R-P2.7: another agency's violation restricts until lifted."""
    clock.freeze(T0)
    key = _key(deps)
    await _crossings(key)
    assert await _class(key) == ("good", "R-P2.4")
    await record_event(party_kind="person", party_key=key, kind=rules.VIOLATION,
                       source="agency:customs", ref="case-2026-001")
    assert await _class(key) == ("restricted", "R-P2.2")
    await record_event(party_kind="person", party_key=key, kind=rules.VIOLATION_LIFTED,
                       source="agency:customs", ref="case-2026-001/closed",
                       lifts="case-2026-001")
    assert await _class(key) == ("normal", "R-P2.3")
    clock.freeze(T0 + rules.WINDOW + timedelta(days=1))  # a year on: time alone changes it
    assert (await feed.run(deps))["credit_rederived"] == 1
    assert await _class(key) == ("normal", "R-P2.5")  # the crossings aged out too


async def test_dishonesty_removal_and_its_term(deps: Deps) -> None:  # R-U6, R-P2.1
    clock.freeze(T0)
    key = _key(deps)
    admin = await officer(Role.ADMIN)
    until = (T0 + timedelta(days=30)).isoformat()
    body = {"id_number": ID_NUMBER, "note": "伪造材料", "until": until}
    await unit_removals.remove_dishonest(deps, admin, body)
    await unit_removals.remove_dishonest(deps, admin, body)  # repeated: one record, one event
    assert await _class(key) == ("dishonest", "R-P2.1")
    assert await CreditEvent.filter(party_key=key).count() == 1
    clock.freeze(T0 + timedelta(days=31))  # the term ends: the loop derives it again
    await feed.run(deps)
    assert await _class(key) == ("normal", "R-P2.3")
    clock.freeze(T0 + timedelta(days=40))
    record = (await unit_removals.remove_dishonest(deps, admin, {
        "id_number": ID_NUMBER, "note": "再次", "until": None}))[0]
    assert await _class(key) == ("dishonest", "R-P2.1")
    await dishonesty.lift(admin, record.id, "复核撤销")
    assert await _class(key) == ("normal", "R-P2.3")
    kinds = await CreditEvent.filter(party_key=key).order_by("id").values_list("kind",
                                                                               flat=True)
    assert kinds == ["dishonesty", "dishonesty", "dishonesty_lifted"]


async def test_export_lock_and_its_release(deps: Deps) -> None:  # R-E7, R-P2.2
    user, customs = await exporter(), await officer(Role.CUSTOMS)
    clock.freeze(T0)
    enterprise = await approved_enterprise(deps, user)
    vins = make_vins(1)
    licence = await issued_licence(deps, user, enterprise, vins)
    clock.freeze(T0 + timedelta(days=9))
    await obligations.record_clearance(customs, licence.id, {
        "vins": vins, "declaration_number": "5301" + "0" * 14})
    await obligations.record_exit(vins[0], source="customs")
    key = deps.cipher.blind_index((await Enterprise.get(id=enterprise.id)).uscc, "uscc")
    assert (await feed.run(deps))["credit_export_locks"] == 0  # not due yet
    clock.freeze(T0 + timedelta(days=80))  # two months after clearance: locked
    assert (await feed.run(deps))["credit_export_locks"] == 1
    assert (await feed.run(deps))["credit_export_locks"] == 0  # read once
    assert await _class(key) == ("restricted", "R-P2.2")
    await obligations.record_cancellation(deps, user, {
        "vin": vins[0], "cancelled_on": "2026-06-15", "qr_text": "https://gab.122.gov.cn/z/1"})
    assert await _class(key) == ("normal", "R-P2.3")
    kinds = await CreditEvent.filter(party_key=key).order_by("id").values_list("kind",
                                                                               flat=True)
    assert kinds == ["export_locked", "export_released"]


async def test_over_a_thousand_renewals_the_sample_is_five_percent(deps: Deps) -> None:
    """R-P2.6: 1,000 unchanged renewals of a good owner: about 5 % sampled to review, the
    rest approved by rule; asked again, every filing gets the same answer."""
    clock.freeze(T0)
    key = _key(deps)
    await _crossings(key)
    user = await driver_user()
    common = {"applicant_id": user.id, "category": FilingCategory.PERSONAL, "owner_key": key}
    await Filing.bulk_create([Filing(
        **common, status=FilingStatus.APPROVED, vin=f"OLD{i:014d}", plate_number=f"云A{i:05d}",
        vin_slot=0, approved_at=T0 - timedelta(days=330), expires_at=T0 + timedelta(days=35))
        for i in range(1000)])
    olds = await Filing.filter(vin__startswith="OLD").order_by("id")
    await Filing.bulk_create([Filing(
        **common, status=FilingStatus.SUBMITTED, vin=old.vin, plate_number=old.plate_number,
        vin_slot=1, renews_id=old.id, renewal_changes=[], submitted_at=T0) for old in olds])
    renewals = await Filing.filter(renews_id__not_isnull=True).order_by("id")
    outcomes = [await fast_lane.consider(deps, f) for f in renewals]
    sampled = sum(1 for d in outcomes if d is not None and d.outcome == fast_lane.SAMPLED)
    assert 30 <= sampled <= 70, sampled  # 5 % ± 2 %
    assert await Filing.filter(renews_id__not_isnull=True,
                               status=FilingStatus.SUBMITTED).count() == sampled
    assert await FastLaneDecision.filter(outcome="approved").count() == 1000 - sampled
    for f in renewals[:50]:  # retried: the same decision, nothing new
        again = await fast_lane.consider(deps, await Filing.get(id=f.id))
        assert again is None or again.outcome == fast_lane.SAMPLED
    assert await FastLaneDecision.all().count() == 1000
    points = [fast_lane.sample_point(deps, f.id) for f in renewals]
    assert points == [fast_lane.sample_point(deps, f.id) for f in renewals]


async def test_a_changed_renewal_or_a_restricted_owner_skips_the_fast_lane(deps: Deps) -> None:
    clock.freeze(T0)
    key = _key(deps)
    await _crossings(key)
    user = await driver_user()
    old = await Filing.create(applicant_id=user.id, category=FilingCategory.PERSONAL,
                              owner_key=key, status=FilingStatus.APPROVED, vin="V" * 17)
    renewal = await Filing.create(applicant_id=user.id, category=FilingCategory.PERSONAL,
                                  owner_key=key, status=FilingStatus.SUBMITTED, vin="V" * 17,
                                  vin_slot=1, renews_id=old.id,
                                  renewal_changes=["drivers[0].phone"])
    assert await fast_lane.consider(deps, renewal) is None  # changed: review as today
    renewal.renewal_changes = []
    await record_event(party_kind="person", party_key=key, kind=rules.VIOLATION,
                       source="agency:customs", ref="case-9")
    assert await fast_lane.consider(deps, renewal) is None  # restricted (R-P2.8)
    assert await FastLaneDecision.all().count() == 0


async def test_a_renewal_decided_meanwhile_leaves_no_fast_lane_record(deps: Deps) -> None:
    """R-P2.6: a reviewer returned it between the submission and the rule: nothing is
    approved and no decision is kept."""
    clock.freeze(T0)
    key = _key(deps)
    await _crossings(key)
    user = await driver_user()
    old = await Filing.create(applicant_id=user.id, category=FilingCategory.PERSONAL,
                              owner_key=key, status=FilingStatus.APPROVED, vin="W" * 17,
                              expires_at=T0 + timedelta(days=30))
    stale = await Filing.create(applicant_id=user.id, category=FilingCategory.PERSONAL,
                                owner_key=key, status=FilingStatus.SUBMITTED, vin="W" * 17,
                                vin_slot=1, renews_id=old.id, renewal_changes=[])
    await Filing.filter(id=stale.id).update(status=FilingStatus.RETURNED)
    share = deps.credit_sample_share
    object.__setattr__(deps, "credit_sample_share", 0.0)  # never sampled: the rule decides
    try:
        assert await fast_lane.consider(deps, stale) is None
    finally:
        object.__setattr__(deps, "credit_sample_share", share)
    assert await FastLaneDecision.all().count() == 0
    assert (await Filing.get(id=stale.id)).status is FilingStatus.RETURNED


async def test_the_trips_feed_reads_open_trips_again_until_they_close(deps: Deps) -> None:
    """R-P2.7: a trip read while open is read again; closed on time it counts once, closed
    late or overstayed it never counts."""
    from borderpass.models import Trip
    from borderpass.models.credit import CreditCursor
    from borderpass.models.enums import TripStatus

    clock.freeze(T0)
    key = _key(deps)
    user = await driver_user()
    filing = await Filing.create(applicant_id=user.id, category=FilingCategory.PERSONAL,
                                 owner_key=key, status=FilingStatus.APPROVED, vin="Z" * 17)
    deadline = T0 + timedelta(days=10)
    trips = [await Trip.create(filing=filing, vin=f"v{i}", exited_at=T0, deadline=deadline)
             for i in range(3)]
    assert await feed.ingest_trips() == 0
    assert (await CreditCursor.get(name="trips")).pending == [t.id for t in trips]
    await Trip.filter(id=trips[0].id).update(status=TripStatus.CLOSED,
                                             returned_at=T0 + timedelta(days=2))
    await Trip.filter(id=trips[1].id).update(status=TripStatus.CLOSED,
                                             returned_at=deadline + timedelta(hours=1))
    await Trip.filter(id=trips[2].id).update(overstayed_at=deadline)
    assert await feed.ingest_trips() == 1
    assert await feed.ingest_trips() == 0
    assert (await CreditCursor.get(name="trips")).pending == []
    refs = await CreditEvent.filter(party_key=key).values_list("ref", flat=True)
    assert refs == [f"trip:{trips[0].id}"]
