"""Whether a queued message still applies when its turn comes: send, skip or wait."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from borderpass.models import BlacklistEntry, Declaration, Filing, Trip
from borderpass.models.enums import DeclarationStatus, FilingStatus, TripStatus
from borderpass.models.export import Cancellation, LicenceVehicle, VehicleState
from borderpass.models.notify import Notification
from borderpass.services import clock
from borderpass.services.notify import kinds

BLACKLIST_WAIT = timedelta(minutes=1)
TRIP_KINDS = frozenset({kinds.TRIP_OPENED, kinds.TRIP_DEADLINE, kinds.BLACKLISTED})
FILING_KINDS = frozenset({kinds.FILING_EXPIRING, kinds.FILING_APPROVED, kinds.FILING_RETURNED})
CANCEL_KINDS = frozenset({kinds.EXPORT_CANCEL_DUE, kinds.EXPORT_CANCEL_OVERDUE})


@dataclass(frozen=True)
class Verdict:
    """send, or skip (with why), or wait until a moment."""

    send: bool
    why: str = ""
    wait_until: datetime | None = None


SEND = Verdict(True)


def _skip(why: str) -> Verdict:
    return Verdict(False, why)


@dataclass
class Facts:
    """The current state of everything a batch of rows refers to, read in a few queries."""

    trips: dict[int, Trip] = field(default_factory=dict)
    listed_trips: set[int] = field(default_factory=set)
    filings: dict[int, Filing] = field(default_factory=dict)
    declarations: dict[int, Declaration] = field(default_factory=dict)
    export_vehicles: dict[int, LicenceVehicle] = field(default_factory=dict)
    cancelled_vehicles: set[int] = field(default_factory=set)
    renewed_filings: set[int] = field(default_factory=set)  # a renewal submitted or approved


def _ids(rows: Sequence[Notification], wanted: frozenset[str], key: str) -> list[int]:
    return [int(r.payload[key]) for r in rows if r.kind in wanted]


async def gather(rows: Sequence[Notification]) -> Facts:
    """Load the trips, blacklist entries, filings and declarations the rows mention."""
    facts = Facts()
    if trip_ids := _ids(rows, TRIP_KINDS, "trip_id"):
        trips = await Trip.filter(id__in=trip_ids).only("id", "status", "deadline",
                                                        "overstayed_at")
        facts.trips = {t.id: t for t in trips}
    if listed := _ids(rows, frozenset({kinds.BLACKLISTED}), "trip_id"):
        entries = await BlacklistEntry.filter(trip_id__in=listed, lifted_at=None) \
            .values("trip_id")
        facts.listed_trips = {int(e["trip_id"]) for e in entries}
    if filing_ids := _ids(rows, FILING_KINDS, "filing_id"):
        filings = await Filing.filter(id__in=filing_ids).only(
            "id", "status", "expires_at", "approved_at", "returned_at")
        facts.filings = {f.id: f for f in filings}
        renewed = await Filing.filter(  # R-F3: the applicant has acted on the reminder
            renews_id__in=filing_ids,
            status__in=[FilingStatus.SUBMITTED, FilingStatus.APPROVED]).values_list(
                "renews_id", flat=True)
        facts.renewed_filings = {int(str(i)) for i in renewed}
    if declaration_ids := _ids(rows, frozenset({kinds.DECLARATION_ACCEPTED}), "declaration_id"):
        declarations = await Declaration.filter(id__in=declaration_ids).only("id", "status")
        facts.declarations = {d.id: d for d in declarations}
    if vehicle_ids := _ids(rows, CANCEL_KINDS, "vehicle_id"):
        vehicles = await LicenceVehicle.filter(id__in=vehicle_ids).only("id", "state",
                                                                       "cancel_due_at")
        facts.export_vehicles = {v.id: v for v in vehicles}
        done = await Cancellation.filter(vehicle_id__in=vehicle_ids) \
            .values_list("vehicle_id", flat=True)
        facts.cancelled_vehicles = {int(str(v)) for v in done}
    return facts


def _superseded(stages: tuple[tuple[str, timedelta], ...], stage: str, deadline: datetime,
                now: datetime) -> bool:
    """A later reminder of the same series is already due."""
    following = kinds.next_offset(stages, stage)
    return now >= deadline - (following if following is not None else timedelta(0))


def _trip_deadline(row: Notification, facts: Facts, now: datetime) -> Verdict:  # R-F8
    trip = facts.trips.get(row.payload["trip_id"])
    if trip is None or trip.status is not TripStatus.OPEN:
        return _skip("the trip is closed: the vehicle came back or the exit was cancelled")
    if _superseded(kinds.TRIP_STAGES, row.payload["stage"], trip.deadline, now):
        return _skip("superseded by a later reminder")
    return SEND


def _trip_opened(row: Notification, facts: Facts, now: datetime) -> Verdict:  # R-F8
    trip = facts.trips.get(row.payload["trip_id"])
    if trip is None or trip.status is not TripStatus.OPEN:
        return _skip("the trip is closed: the vehicle came back")
    return SEND


def _blacklisted(row: Notification, facts: Facts, now: datetime) -> Verdict:  # R-F9
    trip_id = row.payload["trip_id"]
    if trip_id in facts.listed_trips:
        return SEND
    trip = facts.trips.get(trip_id)
    if trip is not None and trip.status is TripStatus.OPEN and trip.overstayed_at is None:
        return Verdict(False, "waiting for the overstay sweep", now + BLACKLIST_WAIT)
    return _skip("no active blacklist entry for this trip")


def _filing_expiring(row: Notification, facts: Facts, now: datetime) -> Verdict:  # R-F3
    filing = facts.filings.get(row.payload["filing_id"])
    if filing is None or filing.status is not FilingStatus.APPROVED or filing.expires_at is None:
        return _skip("the filing is no longer approved")
    if filing.expires_at != datetime.fromisoformat(row.payload["expires_at"]):
        return _skip("the filing was renewed")
    if filing.id in facts.renewed_filings:
        return _skip("a renewal is under review or approved")
    if _superseded(kinds.FILING_STAGES, row.payload["stage"], filing.expires_at, now):
        return _skip("superseded by a later reminder")
    return SEND


def _moment(payload: dict[str, object], key: str) -> datetime | None:
    value = payload.get(key)
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _filing_returned(row: Notification, facts: Facts, now: datetime) -> Verdict:  # R-F6
    """A return not yet told is moot once the filing moved on (resubmitted, approved, or
    returned again): the driver would read "returned" after "approved" (issue #18)."""
    filing = facts.filings.get(row.payload["filing_id"])
    if filing is None:  # filings are never deleted: nothing to compare, send as queued
        return SEND
    if filing.status is not FilingStatus.RETURNED \
            or filing.returned_at != _moment(row.payload, "returned_at"):
        return _skip("superseded: the filing was resubmitted or reviewed again since")
    return SEND


def _filing_approved(row: Notification, facts: Facts, now: datetime) -> Verdict:  # R-F3
    filing = facts.filings.get(row.payload["filing_id"])
    approved_at = _moment(row.payload, "approved_at")
    if filing is None:
        return SEND
    if filing.status is not FilingStatus.APPROVED \
            or (approved_at is not None and filing.approved_at != approved_at):
        return _skip("superseded: the filing is no longer in this approval")
    return SEND


def _declaration(row: Notification, facts: Facts, now: datetime) -> Verdict:
    declaration = facts.declarations.get(row.payload["declaration_id"])
    if declaration is None or declaration.status is DeclarationStatus.CANCELLED:
        return _skip("the declaration was cancelled")
    return SEND


def _cancellation(row: Notification, facts: Facts, now: datetime) -> Verdict:  # R-E7
    vehicle_id = row.payload["vehicle_id"]
    if vehicle_id in facts.cancelled_vehicles:
        return _skip("the registration was cancelled")
    vehicle = facts.export_vehicles.get(vehicle_id)
    if vehicle is None or vehicle.state is not VehicleState.CLEARED \
            or vehicle.cancel_due_at is None:
        return _skip("the vehicle is no longer awaiting cancellation")
    if row.kind == kinds.EXPORT_CANCEL_DUE and \
            _superseded(kinds.CANCEL_STAGES, row.payload["stage"], vehicle.cancel_due_at, now):
        return _skip("superseded by a later reminder")
    return SEND


CHECKS = {
    kinds.TRIP_OPENED: _trip_opened,
    kinds.TRIP_DEADLINE: _trip_deadline,
    kinds.BLACKLISTED: _blacklisted,
    kinds.FILING_EXPIRING: _filing_expiring,
    kinds.FILING_APPROVED: _filing_approved,
    kinds.FILING_RETURNED: _filing_returned,
    kinds.DECLARATION_ACCEPTED: _declaration,
    kinds.EXPORT_CANCEL_DUE: _cancellation,
    kinds.EXPORT_CANCEL_OVERDUE: _cancellation,
}


def verdict(row: Notification, facts: Facts) -> Verdict:
    """The verdict on one row now; list changes always apply."""
    checker = CHECKS.get(row.kind)
    return SEND if checker is None else checker(row, facts, clock.now())


async def check(row: Notification) -> Verdict:
    """The verdict on one row, reading what it needs."""
    return verdict(row, await gather([row]))
