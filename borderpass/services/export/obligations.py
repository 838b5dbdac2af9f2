"""After issuance: one clearance (R-E3), exits, cancellation within 2 months (R-E7)."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from borderpass.core.errors import Conflict, FieldError, FieldErrors, NotFound
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.export import (
    Cancellation,
    Enterprise,
    Licence,
    LicenceStatus,
    LicenceVehicle,
    OwnerChangeClearance,
    VehicleExit,
    VehicleState,
)
from borderpass.services import clock
from borderpass.services.credit import sources as credit_sources
from borderpass.services.export import forms
from borderpass.services.filings.filing_checks import add_months
from borderpass.services.identity.access import require_role
from borderpass.services.ports import Deps
from borderpass.services.validators import check_vin

CANCEL_WITHIN_MONTHS = 2  # R-E7
CUSTOMS_ROLES = (Role.CUSTOMS, Role.ADMIN)
_DECLARATION_NUMBER = re.compile(r"\d{18}", re.ASCII)


def _months_later(moment: datetime, months: int) -> datetime:
    return moment + (add_months(moment.date(), months) - moment.date())


def _vin(value: object, field: str, problems: list[FieldError]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(FieldError("required", field))
        return ""
    try:
        return check_vin(value, field)  # R-E4
    except FieldError as err:
        problems.append(err)
        return ""


def _vins(value: object, field: str, problems: list[FieldError]) -> list[str]:
    if not isinstance(value, list) or not value:
        problems.append(FieldError("required", field))
        return []
    found: list[str] = []
    for i, raw in enumerate(value):
        vin = _vin(raw, f"{field}[{i}]", problems)
        if not vin:
            continue
        if vin in found:
            problems.append(FieldError("export_vin_duplicate", f"{field}[{i}]"))
        found.append(vin)
    return found


async def record_clearance(officer: User, licence_id: int, body: dict[str, Any]) -> Licence:
    """Customs clears an issued licence once; fewer vehicles than licensed → return it (R-E3)."""
    require_role(officer, *CUSTOMS_ROLES)
    licence = await Licence.get_or_none(id=licence_id).prefetch_related("vehicles")
    if licence is None:
        raise NotFound("export_licence_not_found", "id")
    if licence.status is not LicenceStatus.ISSUED:
        raise Conflict("export_licence_not_issued", "status", status=licence.status.value)
    problems: list[FieldError] = []
    vins = _vins(body.get("vins"), "vins", problems)
    on_licence = {v.vin for v in licence.vehicles}
    problems += [FieldError("export_vin_not_on_licence", f"vins[{i}]")
                 for i, vin in enumerate(vins) if vin not in on_licence]
    number = body.get("declaration_number")
    if number is not None and (not isinstance(number, str)
                               or not _DECLARATION_NUMBER.fullmatch(number)):
        problems.append(FieldError("export_declaration_number", "declaration_number"))
    if problems:
        raise FieldErrors(problems)
    now = clock.now()
    due = _months_later(now, CANCEL_WITHIN_MONTHS)
    short = len(set(vins)) < licence.vehicle_count
    async with in_transaction():
        changed = await Licence.filter(id=licence.id, status=LicenceStatus.ISSUED).update(
            status=LicenceStatus.SHORT if short else LicenceStatus.CLEARED, cleared_at=now,
            cleared_count=len(vins), declaration_number=number or "",
            return_by=due if short else None)
        if not changed:
            raise Conflict("export_licence_not_issued", "status")
        await LicenceVehicle.filter(licence_id=licence.id, vin__in=vins).update(
            state=VehicleState.CLEARED, cleared_at=now, cancel_due_at=due)
        await LicenceVehicle.filter(licence_id=licence.id, state=VehicleState.APPLIED).update(
            state=VehicleState.LEFT_OFF)
    await licence.refresh_from_db()
    return licence


async def _cleared(vin: str) -> LicenceVehicle | None:
    return await LicenceVehicle.get_or_none(live_vin=vin, state=VehicleState.CLEARED) \
        .prefetch_related("licence")


async def vin_cleared_for_exit(vin: str) -> bool:
    """For the gate bridge: True when the VIN is on a cleared licence and has not left yet."""
    try:
        canonical = check_vin(vin)
    except FieldError:
        return False
    row = await _cleared(canonical)
    return row is not None and not await VehicleExit.filter(vehicle_id=row.id).exists()


async def record_exit(vin: str, *, source: str, actor: User | None = None, port: str = "",
                      at: datetime | None = None) -> VehicleExit:
    """Record that a cleared vehicle left the country (customs now, the gate bridge later)."""
    canonical = check_vin(vin)
    row = await _cleared(canonical)
    if row is None:
        raise FieldError("export_not_cleared", "vin")
    moment = at or clock.now()
    if moment > clock.now() or (row.cleared_at and moment < row.cleared_at):
        raise FieldError("export_exit_time", "exited_at")
    try:
        return await VehicleExit.create(vehicle=row, vin=canonical, exited_at=moment,
                                        source=source, port=port[:40], recorded_by=actor)
    except IntegrityError as exc:
        raise Conflict("export_exit_recorded", "vin") from exc


async def record_cancellation(deps: Deps, user: User, body: dict[str, Any]) -> Cancellation:
    """Record a vehicle's registration cancellation, only after it left (R-E7)."""
    problems: list[FieldError] = []
    vin = _vin(body.get("vin"), "vin", problems)
    qr_text = forms.text(body, "qr_text", 1000, problems)
    today = clock.now().astimezone(deps.tz).date()
    cancelled_on = forms.past_date(body.get("cancelled_on"), "cancelled_on", today, problems)
    if body.get("cancelled_on") is None:
        problems.append(FieldError("required", "cancelled_on"))
    doc_id = None
    if body.get("document_id") is not None:
        doc_id = await forms.document_of_kind(user, body["document_id"],
                                              "deregistration_certificate", "document_id",
                                              problems)
    if problems:
        raise FieldErrors(problems)
    assert cancelled_on is not None
    if await Cancellation.filter(vin=vin).exists():
        raise Conflict("export_already_cancelled", "vin")
    row = await _cleared(vin)
    if row is None or not await forms.is_member_of(user, row.licence.enterprise_id):  # type: ignore[attr-defined]
        raise FieldError("export_not_cleared", "vin")
    exit_ = await VehicleExit.get_or_none(vehicle_id=row.id)
    if exit_ is None:
        raise Conflict("export_not_exited", "vin")  # R-E7: 不得先注销后出口
    exit_day = exit_.exited_at.astimezone(deps.tz).date()
    if cancelled_on < exit_day:
        raise FieldError("export_cancel_before_exit", "cancelled_on",
                         date=cancelled_on.isoformat(), exit_date=exit_day.isoformat())
    qr_key = hashlib.sha256(qr_text.encode()).hexdigest()
    if await Cancellation.filter(qr_key=qr_key).exists():
        raise FieldError("export_qr_reused", "qr_text")
    assert row.cancel_due_at is not None
    now = clock.now()
    try:
        async with in_transaction():  # the cancellation and the release of its lock (R-P2.7)
            done = await Cancellation.create(
                vehicle=row, vin=row.vin, cancelled_on=cancelled_on, qr_text=qr_text,
                qr_key=qr_key, document_id=doc_id, late=now > row.cancel_due_at,
                recorded_by=user)
            if done.late:
                enterprise = await Enterprise.get(id=row.licence.enterprise_id)  # type: ignore[attr-defined]
                await credit_sources.export_released(deps, row.id, row.vin, enterprise.uscc,
                                                     enterprise.name, row.cancel_due_at, now)
            return done
    except IntegrityError as exc:
        raise Conflict("export_already_cancelled", "vin") from exc


async def licences_to_return(enterprise_id: int, licence_id: int | None = None
                             ) -> list[dict[str, Any]]:
    """Short-cleared licences not yet returned, with the VINs their return frees and the
    deadline (R-E3): what a cancellation or the enterprise page reminds of."""
    query = Licence.filter(enterprise_id=enterprise_id, status=LicenceStatus.SHORT)
    if licence_id is not None:
        query = query.filter(id=licence_id)
    found = []
    for licence in await query.order_by("return_by", "id").prefetch_related("vehicles"):
        found.append({
            "id": licence.id, "number": licence.number,
            "return_by": licence.return_by.isoformat() if licence.return_by else None,
            "left_off_vins": sorted(v.vin for v in licence.vehicles
                                    if v.state is VehicleState.LEFT_OFF)})
    return found


async def _uncancelled(rows: list[LicenceVehicle]) -> list[LicenceVehicle]:
    done: set[object] = set(await Cancellation.filter(vehicle_id__in=[r.id for r in rows])
                            .values_list("vehicle_id", flat=True))
    return [r for r in rows if r.id not in done]


async def overdue_vins(enterprise_id: int, now: datetime) -> list[str]:
    """VINs cleared more than 2 months ago and still not cancelled: the lock (R-E7)."""
    rows = await LicenceVehicle.filter(
        licence__enterprise_id=enterprise_id, state=VehicleState.CLEARED, cancel_due_at__lte=now
    ).order_by("cancel_due_at", "id")
    return [r.vin for r in await _uncancelled(rows)]


async def pending_cancellations(enterprise_id: int) -> list[dict[str, Any]]:
    """Cleared vehicles still awaiting cancellation, soonest deadline first (R-E7)."""
    now = clock.now()
    rows = await LicenceVehicle.filter(licence__enterprise_id=enterprise_id,
                                       state=VehicleState.CLEARED).order_by("cancel_due_at", "id")
    rows = await _uncancelled(rows)
    exits = {e.vehicle_id: e for e in await VehicleExit.filter(  # type: ignore[attr-defined]
        vehicle_id__in=[r.id for r in rows])}
    return [{"vin": r.vin, "licence_id": r.licence_id,  # type: ignore[attr-defined]
             "cancel_due_at": r.cancel_due_at.isoformat() if r.cancel_due_at else None,
             "exited_at": exits[r.id].exited_at.isoformat() if r.id in exits else None,
             "overdue": r.cancel_due_at is not None and r.cancel_due_at <= now}
            for r in rows]


async def due_for_reminder(lead: timedelta, batch: int = 500) -> list[LicenceVehicle]:
    """Uncancelled cleared vehicles whose deadline falls within ``lead``, not yet reminded."""
    rows = await LicenceVehicle.filter(
        state=VehicleState.CLEARED, reminded_at__isnull=True,
        cancel_due_at__lte=clock.now() + lead).order_by("cancel_due_at").limit(batch)
    return await _uncancelled(rows)


async def grant_owner_change(officer: User, body: dict[str, Any]) -> OwnerChangeClearance:
    """The authorities clear an owner change after transfer-pending-export (R-E6)."""
    require_role(officer, *CUSTOMS_ROLES)
    problems: list[FieldError] = []
    vin = _vin(body.get("vin"), "vin", problems)
    reason = forms.text(body, "reason", 500, problems)
    if problems:
        raise FieldErrors(problems)
    try:
        return await OwnerChangeClearance.create(vin=vin, reason=reason, granted_by=officer)
    except IntegrityError as exc:
        raise Conflict("export_clearance_exists", "vin") from exc


async def officer_exit(officer: User, body: dict[str, Any]) -> VehicleExit:
    """Customs records a cleared vehicle's exit by hand (the gate bridge will do it itself)."""
    require_role(officer, *CUSTOMS_ROLES)
    problems: list[FieldError] = []
    vin = _vin(body.get("vin"), "vin", problems)
    port = forms.text(body, "port", 40, problems, required=False)
    at = None
    if (raw := body.get("exited_at")) is not None:
        try:
            at = datetime.fromisoformat(str(raw))
        except ValueError:
            problems.append(FieldError("type_datetime", "exited_at"))
        else:
            if at.tzinfo is None:
                problems.append(FieldError("datetime_tz", "exited_at"))
    if problems:
        raise FieldErrors(problems)
    return await record_exit(vin, source="customs", actor=officer, port=port, at=at)
