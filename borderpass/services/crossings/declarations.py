"""Declarations (申报): the driver's intent to cross, valid for its pass's window (R-F7).

A declaration opens and closes nothing: trips follow the crossings the gate records
(services/crossings/trip_record.py). An exit is refused while the vehicle is abroad per the gate's
record (an open trip), an entry unless it is; a blacklisted owner or driver cannot declare
an exit but can always declare the return (R-F9).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from borderpass.adapters import rows
from borderpass.core import ids
from borderpass.core.errors import Conflict, FieldError, Forbidden, NotFound
from borderpass.models import Declaration, Filing, Trip, User
from borderpass.models.enums import DeclarationStatus, Direction, TripStatus
from borderpass.services import clock, notify
from borderpass.services.credit import restrictions as credit_restrictions
from borderpass.services.crossings import land_ports, pass_claims
from borderpass.services.exchange import kinds as exchange_kinds
from borderpass.services.exchange import log as exchange_log
from borderpass.services.exchange import payloads as exchange_payloads
from borderpass.services.filings import filing_rows, filing_validity, subjects
from borderpass.services.notify import outbox
from borderpass.services.ports import Deps

PLAN_AHEAD = timedelta(days=7)
PLAN_BEHIND = timedelta(hours=12)


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
    # R-F7, R-F3: the filing in force at the planned time (across a renewal), else refused
    in_force = await filing_validity.for_declaration(filing, driver, to_declare.renewed_until,
                                                     planned_at, clock.now())
    filing, driver_id = in_force.filing, in_force.driver_id
    if direction is Direction.EXIT:
        if to_declare.listed:  # R-F9: no exit; the return is always allowed
            raise Forbidden("blacklisted", "filing_id")
        if to_declare.abroad:  # R-F7: the gate saw it leave and not come back yet
            raise Conflict("trip_open", "direction")
        await credit_restrictions.check_exit(filing.owner_key, user.locale)  # R-P2.8
    elif not to_declare.abroad:  # R-F7: an entry needs the vehicle abroad
        raise Conflict("no_open_trip", "direction")
    values = {"filing": filing, "driver_id": driver_id, "declared_by": user,
              "direction": direction, "port": port, "planned_at": planned_at}
    if to_declare.declaration_id is None:
        return await _write_in_transaction(values, user.locale)
    return await _write_at_once(to_declare.declaration_id, values, user.locale)


async def _write_at_once(declaration_id: int, values: dict[str, Any],
                         locale: str) -> Declaration:
    """PostgreSQL: the declaration, its message and its event for the agencies (issue #21 B)
    in one statement: one round trip, one commit. The read reserved the id."""
    filing = values["filing"]
    declaration, made, made_params = rows.insert_sql(Declaration, id=declaration_id, **values)
    message, message_params = outbox.insert_sql(
        notify.declaration_accepted(declaration, filing, locale), "EXISTS (SELECT 1 FROM d)")
    subject, data = exchange_payloads.declaration(declaration, filing)
    event, event_params, lock = exchange_log.insert_sql(
        exchange_kinds.DECLARATION_CREATED, subject, data, "EXISTS (SELECT 1 FROM d)")
    await rows.values(
        Declaration, f"WITH d AS ({made} RETURNING id), n AS ({message}), {lock}, "
        f"e AS ({event}) SELECT count(*) AS made FROM d",
        *made_params, *message_params, *event_params)
    declaration._saved_in_db = True
    return declaration


async def _write_in_transaction(values: dict[str, Any], locale: str) -> Declaration:
    """SQLite: the same writes as separate statements in one transaction."""
    async with in_transaction():
        declaration = await rows.insert(Declaration, **values)
        await outbox.enqueue([notify.declaration_accepted(declaration, values["filing"],
                                                          locale)])
        subject, data = exchange_payloads.declaration(declaration, values["filing"])
        await exchange_log.append(exchange_kinds.DECLARATION_CREATED, subject, data)
    return declaration


async def cancel(deps: Deps, user: User, declaration_id: int) -> Declaration:
    """Cancel an unused declaration (trips are the gate's: nothing else changes).

    The update contends with the pass's release on the declaration row (R-G2): a lane
    scanning the pass at the same moment either opened first (then this is refused as
    used) or is refused (services/crossings/pass_claims.py)."""
    declaration = await visible(user, declaration_id)
    if declaration.status is not DeclarationStatus.APPROVED:
        raise Conflict("declaration_not_cancellable", "status", status=declaration.status.value)
    if await pass_claims.crossed(declaration.id, declaration.direction.value):
        raise Conflict("declaration_not_cancellable", "status",
                       status=DeclarationStatus.USED.value)
    async with in_transaction():
        changed = await Declaration.filter(id=declaration.id,
                                           status=DeclarationStatus.APPROVED) \
            .update(status=DeclarationStatus.CANCELLED, cancelled_at=clock.now())
        if not changed or await pass_claims.crossed(declaration.id,
                                                    declaration.direction.value):
            raise Conflict("declaration_not_cancellable", "status",  # a lane opened first
                           status=DeclarationStatus.USED.value)
        filing = declaration.filing
        await declaration.refresh_from_db()
        subject, data = exchange_payloads.declaration(declaration, filing)
        await exchange_log.append(exchange_kinds.DECLARATION_CANCELLED, subject, data)
    return declaration


async def is_abroad(filing_id: int) -> bool:
    """True when the filing's vehicle is abroad per the gate's record (an open trip)."""
    found = await rows.values(
        Trip, f"SELECT 1 AS abroad FROM {Trip._meta.db_table} t JOIN {Filing._meta.db_table} f"
        f" ON t.vin = {subjects.vehicle_key_sql('f')} WHERE f.id = {{}} AND t.status = {{}}"
        " LIMIT 1", filing_id, TripStatus.OPEN.value)
    return bool(found)


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
