"""Reminder sweeps: derive due reminders from trips, filings and exported vehicles, reading
only due rows.

Each sweep remembers how far in time it has looked (a SweepMark). A run covers the time
since the last one, so reminders missed during downtime are found once; of the stages
that fell due meanwhile only the latest is queued (the earlier ones are superseded), and
the sender checks again at send time. Dedupe keys make a rerun or an overlap harmless.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from borderpass.models import Filing, Trip
from borderpass.models.enums import FilingStatus, TripStatus
from borderpass.models.export import LicenceVehicle, VehicleState
from borderpass.models.notify import SweepMark
from borderpass.services import clock
from borderpass.services.notify import cancellations, kinds
from borderpass.services.notify.outbox import Intent, enqueue

FIRST_LOOKBACK = timedelta(hours=1)  # the very first run looks back this far
PAGE = 5000
OVERDUE = ("overdue", timedelta(0))  # the deadline itself: the blacklisting notice (R-F9)
EXPIRED = ("expired", timedelta(0))  # the expiry itself ends the series; nothing is sent


def stage_windows(stages: tuple[tuple[str, timedelta], ...], since: datetime, until: datetime
                  ) -> Iterator[tuple[str, datetime, datetime]]:
    """For each stage, the deadlines whose stage fell due in (since, until] and is still the
    latest due one: (max(since + lead, until + next lead), until + lead]."""
    for i, (name, lead) in enumerate(stages):
        following = stages[i + 1][1] if i + 1 < len(stages) else None
        low = since + lead if following is None else max(since + lead, until + following)
        high = until + lead
        if low < high:
            yield name, low, high


async def _mark(name: str, now: datetime) -> datetime:
    mark = await SweepMark.get_or_none(name=name)
    return mark.swept_until if mark is not None else now - FIRST_LOOKBACK


async def _save_mark(name: str, now: datetime) -> None:
    await SweepMark.update_or_create(defaults={"swept_until": now}, name=name)


async def _pages(model: Any, column: str, low: datetime, high: datetime, fields: tuple[str, ...],
                 **where: Any) -> AsyncIterator[list[dict[str, Any]]]:
    """Rows with ``column`` in (low, high], a page at a time in (column, id) order."""
    after: tuple[datetime, int] | None = None
    while True:
        query = model.filter(**where, **{f"{column}__gt": low, f"{column}__lte": high})
        if after is not None:
            later: dict[str, Any] = {f"{column}__gt": after[0]}
            same: dict[str, Any] = {column: after[0], "id__gt": after[1]}
            query = query.filter(Q(**later) | Q(**same))
        rows = await query.order_by(column, "id").limit(PAGE).values("id", column, *fields)
        if rows:
            yield rows
        if len(rows) < PAGE:
            return
        after = (rows[-1][column], rows[-1]["id"])


TRIP_FIELDS = ("filing_id", "filing__plate_number", "filing__applicant_id",
               "filing__applicant__locale")  # what a due trip's reminder needs


def _trip_intent(row: dict[str, Any], stage: str) -> Intent:
    """A due trip's reminder (or blacklisting notice): its payload is built here alone, on
    both back ends (docs/one-write.md)."""
    payload = {"trip_id": row["id"], "filing_id": row["filing_id"],
               "plate": row["filing__plate_number"] or "",
               "deadline": row["deadline"].isoformat(), "stage": stage}
    if stage == OVERDUE[0]:  # R-F9
        return Intent(f"trip:{row['id']}:blacklisted", row["filing__applicant_id"],
                      kinds.BLACKLISTED, row["filing__applicant__locale"], payload)
    return Intent(f"trip:{row['id']}:{stage}", row["filing__applicant_id"],
                  kinds.TRIP_DEADLINE, row["filing__applicant__locale"], payload)  # R-F8


async def sweep_trips(now: datetime) -> int:
    """Queue the trip-deadline reminders (R-F8) and blacklisting notices (R-F9) now due."""
    since = await _mark("trips", now)
    queued = 0
    for stage, low, high in stage_windows((*kinds.TRIP_STAGES, OVERDUE), since, now):
        async for rows in _pages(Trip, "deadline", low, high, TRIP_FIELDS,
                                 status=TripStatus.OPEN):
            queued += await enqueue([_trip_intent(r, stage) for r in rows])
    await _save_mark("trips", now)
    return queued


def _filing_intent(row: dict[str, Any], stage: str) -> Intent:
    expires: datetime = row["expires_at"]
    return Intent(f"filing:{row['id']}:expiry:{expires.date().isoformat()}:{stage}",
                  row["applicant_id"], kinds.FILING_EXPIRING, row["applicant__locale"],
                  {"filing_id": row["id"], "plate": row["plate_number"] or "",
                   "expires_at": expires.isoformat(), "stage": stage})


async def sweep_filings(now: datetime) -> int:
    """Queue the filing-expiry reminders (30 and 7 days before, R-F3) now due."""
    since = await _mark("filings", now)
    queued = 0
    fields = ("plate_number", "applicant_id", "applicant__locale")
    for stage, low, high in stage_windows((*kinds.FILING_STAGES, EXPIRED), since, now):
        if stage == EXPIRED[0]:
            continue
        async for rows in _pages(Filing, "expires_at", low, high, fields,
                                 status=FilingStatus.APPROVED):
            queued += await enqueue([_filing_intent(r, stage) for r in rows])
    await _save_mark("filings", now)
    return queued


async def sweep_cancellations(now: datetime) -> int:
    """Queue the registration-cancellation reminders (14 and 3 days before) and overdue
    notices of cleared export vehicles now due, to every member of the enterprise (R-E7)."""
    since = await _mark("export_cancellations", now)
    queued = 0
    stages = (*kinds.CANCEL_STAGES, (cancellations.OVERDUE_STAGE, timedelta(0)))
    for stage, low, high in stage_windows(stages, since, now):
        async for rows in _pages(LicenceVehicle, "cancel_due_at", low, high,
                                 cancellations.VEHICLE_FIELDS, state=VehicleState.CLEARED):
            queued += await enqueue(await cancellations.intents(rows, stage))
    await _save_mark("export_cancellations", now)
    return queued


async def sweep_reminders() -> dict[str, int]:
    """Run every reminder sweep once (the caller holds the sweeps lock)."""
    now = clock.now()
    return {"trip_reminders": await sweep_trips(now), "filing_reminders": await sweep_filings(now),
            "cancellation_reminders": await sweep_cancellations(now)}
