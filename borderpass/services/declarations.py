"""Declarations (申报) of each exit and entry, and the trips they open and close (R-F7, R-F8)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from borderpass.core import ids, rows
from borderpass.core.errors import Conflict, FieldError, Forbidden, NotFound
from borderpass.models import Declaration, Trip, User
from borderpass.models.enums import DeclarationStatus, Direction, FilingStatus, TripStatus
from borderpass.services import clock, filing_rows, land_ports, notify, pass_claims
from borderpass.services.filing_checks import add_months
from borderpass.services.notify import outbox
from borderpass.services.ports import Deps

STAY_ABROAD_MONTHS = 3  # R-F8
PLAN_AHEAD = timedelta(days=7)
PLAN_BEHIND = timedelta(hours=12)
OPEN_TRIP_INDEX = "trips_one_open"  # R-F7: one open trip per filing (migration 0004)


def trip_deadline(exited_at: datetime, filing_expires: datetime) -> datetime:
    """R-F8: back within 3 calendar months of the exit, and before the filing expires."""
    three_months = exited_at + (add_months(exited_at.date(), STAY_ABROAD_MONTHS)
                                - exited_at.date())
    return min(three_months, filing_expires)


def _parse_request(body: dict[str, Any]) -> tuple[int, int, Direction, str, datetime]:
    filing_id = ids.body_id(body.get("filing_id"), "filing_id", "filing_not_found")
    driver_id = ids.body_id(body.get("driver_id"), "driver_id", "driver_not_on_filing")
    try:
        direction = Direction(str(body.get("direction")))
    except ValueError as exc:
        raise FieldError("choice", "direction", choices="exit, entry") from exc
    port = body.get("port")  # checked against the ports table by create()
    planned = body.get("planned_at")
    now = clock.now()
    if planned is None:
        planned_at = now
    else:
        try:
            planned_at = datetime.fromisoformat(str(planned))
        except ValueError as exc:
            raise FieldError("type_datetime", "planned_at") from exc
        if planned_at.tzinfo is None:
            raise FieldError("datetime_tz", "planned_at")
        if not now - PLAN_BEHIND <= planned_at <= now + PLAN_AHEAD:
            raise FieldError("planned_window", "planned_at", days=PLAN_AHEAD.days)
    return filing_id, driver_id, direction, str(port), planned_at


async def create(deps: Deps, user: User, body: dict[str, Any]) -> Declaration:
    """Declare one crossing by an approved, unexpired filing, by one of its drivers (R-F7)."""
    filing_id, driver_id, direction, port, planned_at = _parse_request(body)
    port = await land_ports.active_code(port)  # an active port of the table (issue 26)
    found = await filing_rows.load_to_declare(filing_id, driver_id)  # one round trip
    if found is None:
        raise FieldError("filing_not_found", "filing_id")
    filing, parts, to_declare = found
    driver = parts.driver(driver_id)
    if filing.applicant_id != user.id and (driver is None or driver["user_id"] != user.id):  # type: ignore[attr-defined]
        raise FieldError("filing_not_found", "filing_id")
    if driver is None:
        raise FieldError("driver_not_on_filing", "driver_id")
    now = clock.now()
    if filing.status is not FilingStatus.APPROVED or (filing.expires_at and
                                                      filing.expires_at <= now):
        raise Conflict("filing_not_approved", "filing_id", status=filing.status.value)  # R-F7
    if to_declare.listed:  # R-F9
        raise Forbidden("blacklisted", "filing_id")
    deadline = None
    if direction is Direction.EXIT:
        assert filing.expires_at is not None
        deadline = trip_deadline(planned_at, filing.expires_at)  # R-F8
    values = {"filing": filing, "driver_id": driver_id, "declared_by": user,
              "direction": direction, "port": port, "planned_at": planned_at}
    try:
        if to_declare.declaration_id is None:
            return await _write_in_transaction(values, deadline, user.locale)
        return await _write_at_once(to_declare.declaration_id, values, deadline, user.locale)
    except IntegrityError as exc:
        if not _second_open_trip(exc):
            raise
        raise Conflict("trip_open", "direction") from exc  # R-F7: no second exit before an entry


def _second_open_trip(exc: IntegrityError) -> bool:
    """True when the database refused a filing's second open trip (R-F7, migration 0004)."""
    text = str(exc)
    return OPEN_TRIP_INDEX in text or f"{Trip._meta.db_table}.filing_id" in text


def _close_trip_sql(declaration_id: int, filing_id: int,
                    returned_at: datetime) -> tuple[str, list[Any]]:
    """The entry's ``UPDATE`` that closes the filing's open trip (``{}`` marks)."""
    return (f"UPDATE {Trip._meta.db_table} SET status = {{}}, entry_declaration_id = {{}}, "
            "returned_at = {} WHERE filing_id = {} AND status = {}",
            [TripStatus.CLOSED.value, declaration_id,
             Trip._meta.fields_map["returned_at"].to_db_value(returned_at, Trip), filing_id,
             TripStatus.OPEN.value])


async def _write_at_once(declaration_id: int, values: dict[str, Any],
                         deadline: datetime | None, locale: str) -> Declaration:
    """PostgreSQL: the declaration, its trip and its message in one statement: one round
    trip, one commit. The read reserved the id. An entry is written only if it closed the
    open trip; an exit's trip fails to insert if one is open (the unique index)."""
    filing, planned_at = values["filing"], values["planned_at"]
    exit_ = values["direction"] is Direction.EXIT
    if exit_:
        _, trip, trip_params = rows.insert_sql(
            Trip, filing=filing, exit_declaration_id=declaration_id, exited_at=planned_at,
            deadline=deadline)
    else:
        trip, trip_params = _close_trip_sql(declaration_id, filing.id, planned_at)
    declaration, made, made_params = rows.insert_sql(
        Declaration, "" if exit_ else "EXISTS (SELECT 1 FROM t)", id=declaration_id, **values)
    message, message_params = outbox.insert_sql(
        notify.declaration_accepted(declaration, filing, deadline, locale),
        "EXISTS (SELECT 1 FROM d)")
    found = await rows.values(
        Declaration, f"WITH t AS ({trip} RETURNING id), d AS ({made} RETURNING id), "
        f"n AS ({message}) SELECT count(*) AS made FROM d",
        *trip_params, *made_params, *message_params)
    if not found[0]["made"]:
        raise Conflict("no_open_trip", "direction")
    declaration._saved_in_db = True
    return declaration


async def _write_in_transaction(values: dict[str, Any], deadline: datetime | None,
                                locale: str) -> Declaration:
    """SQLite: the same writes as separate statements in one transaction."""
    filing, planned_at = values["filing"], values["planned_at"]
    async with in_transaction():
        declaration = await rows.insert(Declaration, **values)
        if values["direction"] is Direction.EXIT:
            await rows.insert(Trip, filing=filing, exit_declaration=declaration,
                              exited_at=planned_at, deadline=deadline)
        else:
            close, params = _close_trip_sql(declaration.id, filing.id, planned_at)
            if not await rows.execute(Trip, close, *params):
                raise Conflict("no_open_trip", "direction")
        await outbox.enqueue([notify.declaration_accepted(declaration, filing, deadline,
                                                          locale)])
    return declaration


async def cancel(deps: Deps, user: User, declaration_id: int) -> Declaration:
    """Cancel an unused declaration; its trip is undone (exit) or reopened (entry).

    The update contends with the pass's release on the declaration row (R-G2): a lane
    scanning the pass at the same moment either opened first (then this is refused as
    used) or is refused (services/pass_claims.py)."""
    declaration = await visible(user, declaration_id)
    if declaration.status is not DeclarationStatus.APPROVED:
        raise Conflict("declaration_not_cancellable", "status", status=declaration.status.value)
    if declaration.direction is Direction.ENTRY and await Trip.exists(
            filing_id=declaration.filing_id, status=TripStatus.OPEN):  # type: ignore[attr-defined]
        raise Conflict("entry_before_open_trip", "status")  # R-F7: its trip cannot reopen
    if await pass_claims.crossed(declaration.id, declaration.direction.value):
        raise Conflict("declaration_not_cancellable", "status",
                       status=DeclarationStatus.USED.value)
    try:
        async with in_transaction():
            changed = await Declaration.filter(id=declaration.id,
                                               status=DeclarationStatus.APPROVED) \
                .update(status=DeclarationStatus.CANCELLED, cancelled_at=clock.now())
            if not changed or await pass_claims.crossed(declaration.id,
                                                        declaration.direction.value):
                raise Conflict("declaration_not_cancellable", "status",  # a lane opened first
                               status=DeclarationStatus.USED.value)
            if declaration.direction is Direction.EXIT:
                await Trip.filter(exit_declaration_id=declaration.id, status=TripStatus.OPEN) \
                    .update(status=TripStatus.CANCELLED)
            else:
                await Trip.filter(entry_declaration_id=declaration.id).update(
                    status=TripStatus.OPEN, entry_declaration_id=None, returned_at=None)
    except IntegrityError as exc:  # an exit was declared in the meantime
        if not _second_open_trip(exc):
            raise
        raise Conflict("entry_before_open_trip", "status") from exc
    await declaration.refresh_from_db()
    return declaration


async def visible(user: User, declaration_id: int) -> Declaration:
    """A declaration made by the user or on their filing; others get 404."""
    declaration = await Declaration.get_or_none(id=declaration_id).prefetch_related("filing")
    if declaration is None or (declaration.declared_by_id != user.id  # type: ignore[attr-defined]
                               and declaration.filing.applicant_id != user.id):  # type: ignore[attr-defined]
        raise NotFound("declaration_not_found", "id")
    return declaration


async def list_own(user: User) -> list[Declaration]:
    """The user's declarations, newest first."""
    return await Declaration.filter(declared_by_id=user.id).order_by("-id").limit(200)


def describe(declaration: Declaration, locale: str = "zh_CN") -> dict[str, Any]:
    """The declaration as the API shows it, the port named in the reader's language."""
    return {
        "id": declaration.id,
        "filing_id": declaration.filing_id,  # type: ignore[attr-defined]
        "driver_id": declaration.driver_id,  # type: ignore[attr-defined]
        "direction": declaration.direction.value,
        "port": declaration.port,
        "port_name": land_ports.label(declaration.port, locale),
        "planned_at": declaration.planned_at.isoformat(),
        "status": declaration.status.value,
        "created_at": declaration.created_at.isoformat(),
    }


async def trips_of(user: User) -> list[dict[str, Any]]:
    """The user's trips with deadline and days left (R-F8)."""
    now = clock.now()
    trips = await Trip.filter(filing__applicant_id=user.id).exclude(status=TripStatus.CANCELLED) \
        .order_by("-id").limit(200).prefetch_related("filing")
    return [
        {
            "id": t.id,
            "filing_id": t.filing_id,  # type: ignore[attr-defined]
            "plate_number": t.filing.plate_number,
            "status": t.status.value,
            "exited_at": t.exited_at.isoformat(),
            "deadline": t.deadline.isoformat(),
            "returned_at": t.returned_at.isoformat() if t.returned_at else None,
            "days_left": None if t.status is not TripStatus.OPEN
            else clock.days_until(t.deadline, now),
            "overdue": t.status is TripStatus.OPEN and t.deadline <= now,
        }
        for t in trips
    ]


async def mark_used(*declaration_ids: int) -> int:
    """Record that these declarations' passes opened the pole (R-G2); how many changed
    (one already used or cancelled is left as it is)."""
    if not declaration_ids:
        return 0
    marks = ", ".join("{}" for _ in declaration_ids)
    return await rows.execute(
        Declaration, f"UPDATE {Declaration._meta.db_table} SET status = {{}} "
        f"WHERE id IN ({marks}) AND status = {{}}",
        DeclarationStatus.USED.value, *declaration_ids, DeclarationStatus.APPROVED.value)
