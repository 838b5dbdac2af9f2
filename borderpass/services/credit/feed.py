"""The background share of credit (R-P2.7): on-time trip closures read from ``trips`` by a
stored cursor, export cancellations that went overdue, and classes that time changed.

The gate's own writes (services/gate/gate_record.py, trip_record.py) stay untouched: the loop
reads after them. The cursor keeps the last trip id read and the ids it read while still
open (one open trip per vehicle at most), read again each run until they close or
overstay. Every event is idempotent by ``(source, ref)``, so a run cut short, two runs or a
cursor set back count nothing twice. Runs under the sweeps' lock (services/sweeps.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from borderpass.models import Filing, Trip
from borderpass.models.credit import CreditCursor
from borderpass.models.enums import TripStatus
from borderpass.models.export import Cancellation, LicenceVehicle, VehicleState
from borderpass.services import clock
from borderpass.services.credit import events, rules, sources
from borderpass.services.ports import Deps

TRIPS = "trips"
EXPORT_LOCKS = "export_locks"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def on_time(trip: Trip) -> bool:
    """A trip closed by an entry before its deadline, never marked overstayed (R-P2.4)."""
    return (trip.status is TripStatus.CLOSED and trip.overstayed_at is None
            and trip.returned_at is not None and trip.returned_at <= trip.deadline)


async def _cursor(name: str) -> CreditCursor:
    await CreditCursor.bulk_create([CreditCursor(name=name)], ignore_conflicts=True)
    return await CreditCursor.get(name=name)


async def _ingest(trip: Trip, filing: Filing) -> int:
    if not on_time(trip) or (party := sources.party_of(filing)) is None:
        return 0
    assert trip.returned_at is not None
    await events.record_event(party_kind=party[0], party_key=party[1],
                              kind=rules.CROSSING_ON_TIME, source="trips",
                              ref=f"trip:{trip.id}", occurred_at=trip.returned_at,
                              detail={"filing_id": filing.id, "trip_id": trip.id})
    return 1


async def ingest_trips(batch: int = 500) -> int:
    """Read trips past the cursor and the ones pending; record each on-time closure once."""
    cursor = await _cursor(TRIPS)
    pending = set(cursor.pending)
    fresh = await Trip.filter(id__gt=cursor.position).order_by("id").limit(batch)
    again = await Trip.filter(id__in=sorted(pending)) if pending else []
    filings = {f.id: f for f in await Filing.filter(
        id__in={t.filing_id for t in [*fresh, *again]})}  # type: ignore[attr-defined]
    written = 0
    for trip in [*again, *fresh]:
        if trip.status is TripStatus.OPEN and trip.overstayed_at is None:
            pending.add(trip.id)  # not decided yet: read again next run
            continue
        pending.discard(trip.id)
        written += await _ingest(trip, filings[trip.filing_id])  # type: ignore[attr-defined]
    position = fresh[-1].id if fresh else cursor.position
    await CreditCursor.filter(name=TRIPS).update(position=position, pending=sorted(pending))
    return written


async def sweep_export_locks(deps: Deps, batch: int = 500) -> int:
    """Record a lock for each exported vehicle whose cancellation deadline passed since the
    last run without a cancellation (R-E7); the cursor is the last deadline read."""
    cursor = await _cursor(EXPORT_LOCKS)
    since = datetime.fromtimestamp(cursor.position / 1e6, UTC) if cursor.position else EPOCH
    now = clock.now()
    rows = await LicenceVehicle.filter(state=VehicleState.CLEARED, cancel_due_at__gt=since,
                                       cancel_due_at__lte=now) \
        .order_by("cancel_due_at", "id").limit(batch).prefetch_related("licence__enterprise")
    done: set[object] = set(await Cancellation.filter(vehicle_id__in=[r.id for r in rows])
                            .values_list("vehicle_id", flat=True))
    written = 0
    for row in rows:
        assert row.cancel_due_at is not None
        if row.id not in done:
            enterprise = row.licence.enterprise
            async with in_transaction():
                await sources.export_locked(deps, row.id, row.vin, enterprise.uscc,
                                            enterprise.name, row.cancel_due_at)
            written += 1
    last = now
    if len(rows) == batch and rows[-1].cancel_due_at is not None:
        # a full batch: read its last moment again next run (ties); events are idempotent
        last = rows[-1].cancel_due_at - timedelta(microseconds=1)
    await CreditCursor.filter(name=EXPORT_LOCKS).update(
        position=int((last - EPOCH).total_seconds() * 1e6))
    return written


async def run(deps: Deps) -> dict[str, int]:
    """One pass of the credit loop: crossings, export locks, time-driven classes."""
    return {"credit_crossings": await ingest_trips(),
            "credit_export_locks": await sweep_export_locks(deps),
            "credit_rederived": await events.rederive_due()}
