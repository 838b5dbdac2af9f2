"""Export licences — 二手车出口许可证 (R-E2, R-E3, R-E5, R-E8): apply, issue, refuse, return."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel import Locale
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from borderpass.core.errors import Conflict, FieldError, FieldErrors, Forbidden, NotFound
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.export import (
    Cancellation,
    Enterprise,
    EnterpriseMember,
    Licence,
    LicenceStatus,
    LicenceVehicle,
    VehicleState,
)
from borderpass.services import clock
from borderpass.services.export import forms
from borderpass.services.export.calendar import working_day_deadline, working_days_between
from borderpass.services.export.enterprises import current_filing, last_expiry
from borderpass.services.export.obligations import overdue_vins
from borderpass.services.export.vehicles import VehicleRow, parse_vehicles
from borderpass.services.identity.access import require_role
from borderpass.services.ports import Deps
from borderpass.services.validators import found

ISSUE_WORKING_DAYS = 3  # R-E5
GOODS_STATE = "used"  # R-E8: 商品状态 "旧"
LICENCE_DOCUMENTS = ("export_contract", "market_access_statement")
OFFICER_ROLES = (Role.CUSTOMS, Role.ADMIN)
LICENCE_KEYS = frozenset({"enterprise_id", "commodity_code", "destination", "customs_zone",
                          "exporter", "consignor", "goods_state", "documents", "vehicles"})
_COMMODITY = re.compile(r"87\d{6}(?:\d{2})?", re.ASCII)
# ISO 3166 alpha-2 codes, less Babel's groupings and the unknown region.
_TERRITORIES = frozenset(str(k) for k in Locale("en").territories
                         if len(str(k)) == 2 and str(k).isalpha()) - {"EU", "EZ", "UN", "QO", "ZZ"}
_FIELDS = frozenset({"general", *LICENCE_KEYS})


async def _gate(enterprise: Enterprise, now: datetime) -> None:
    """R-E2: an approved, unexpired filing. R-E7: no overdue cancellation."""
    if await current_filing(enterprise.id, now) is None:
        expired = await last_expiry(enterprise.id)
        if expired is not None:
            raise Forbidden("export_filing_expired", "enterprise_id",
                            date=expired.date().isoformat())
        raise Forbidden("export_filing_required", "enterprise_id")
    if overdue := await overdue_vins(enterprise.id, now):
        raise Forbidden("export_locked", "enterprise_id", count=len(overdue),
                        vins=", ".join(overdue))


def _header(body: dict[str, Any], enterprise: Enterprise,
            problems: list[FieldError]) -> dict[str, str]:
    """Commodity code, destination (R-E8), exporter, consignor and goods state (R-E8)."""
    code = forms.text(body, "commodity_code", 10, problems)
    if code and not _COMMODITY.fullmatch(code):
        problems.append(FieldError("export_commodity_code", "commodity_code"))
    destination = forms.text(body, "destination", 2, problems).upper()
    zone = forms.text(body, "customs_zone", 100, problems, required=False)
    if destination and destination not in _TERRITORIES:
        problems.append(FieldError("export_destination", "destination"))
    elif zone and destination and destination != "CN":
        problems.append(FieldError("export_zone_destination", "destination"))
    elif destination == "CN" and not zone:
        problems.append(FieldError("export_china_needs_zone", "customs_zone"))
    for party in ("exporter", "consignor"):  # R-E8: both are the enterprise itself
        given = forms.text(body, party, 100, problems, required=False)
        if given and given != enterprise.name:
            problems.append(FieldError("export_party", party, name=enterprise.name))
    state = body.get("goods_state", GOODS_STATE)
    if state != GOODS_STATE:
        problems.append(FieldError("export_goods_state", "goods_state"))
    return {"commodity_code": code, "destination": destination, "customs_zone": zone}


async def apply(deps: Deps, user: User, body: dict[str, Any]) -> Licence:
    """Apply for a licence of ≤ 20 vehicles for the user's own enterprise (R-E2, R-E3)."""
    enterprise = await forms.member_enterprise(user, body.get("enterprise_id"))
    now = clock.now()
    await _gate(enterprise, now)
    problems: list[FieldError] = []
    header = _header(body, enterprise, problems)
    docs = await forms.documents(user, body.get("documents"), LICENCE_DOCUMENTS, problems)
    rows = await parse_vehicles(user, body.get("vehicles"), now, now.astimezone(deps.tz).date(),
                                problems)
    if problems:
        raise FieldErrors(problems)
    due = working_day_deadline(now, ISSUE_WORKING_DAYS, deps.tz, deps.holidays)  # R-E5
    try:
        async with in_transaction():
            licence = await Licence.create(
                enterprise=enterprise, applicant=user, exporter=enterprise.name,
                consignor=enterprise.name, goods_state=GOODS_STATE, documents=docs,
                vehicle_count=len(rows), submitted_at=now, issue_due_at=due,
                commodity_code=header["commodity_code"], destination=header["destination"],
                customs_zone=header["customs_zone"])
            await _store_vehicles(licence, rows)
    except IntegrityError as exc:  # another application took one of these VINs meanwhile
        raise Conflict("export_vin_taken", "vehicles") from exc
    return licence


async def _store_vehicles(licence: Licence, rows: list[VehicleRow]) -> None:
    for position, row in enumerate(rows):
        await LicenceVehicle.create(
            licence=licence, position=position, vin=row.vin, live_vin=row.vin,
            brand=row.brand, model=row.model, certificate_number=row.certificate_number,
            certificate_document_id=row.certificate_document_id,
            pending_export_on=row.pending_export_on, owner_changed_on=row.owner_changed_on)


async def queue(deps: Deps, officer: User, limit: int = 100) -> list[LicenceView]:
    """Applications awaiting issuance, oldest first, against the 3-working-day target (R-E5)."""
    require_role(officer, *OFFICER_ROLES)
    rows = await Licence.filter(status=LicenceStatus.SUBMITTED).order_by("submitted_at", "id") \
        .limit(limit).prefetch_related("vehicles")
    return [view(lic, deps) for lic in rows]


async def awaiting_clearance(deps: Deps, officer: User, limit: int = 100
                             ) -> list[LicenceView]:
    """Issued licences not yet used for their one clearance, oldest issue first (R-E3)."""
    require_role(officer, *OFFICER_ROLES)
    rows = await Licence.filter(status=LicenceStatus.ISSUED).order_by("issued_at", "id") \
        .limit(limit).prefetch_related("vehicles")
    return [view(lic, deps) for lic in rows]


async def _submitted(licence_id: int) -> Licence:
    licence = found(await Licence.get_or_none(id=licence_id), "export_licence_not_found")
    if licence.status is not LicenceStatus.SUBMITTED:
        raise Conflict("export_licence_not_submitted", "status", status=licence.status.value)
    return licence


async def issue(deps: Deps, officer: User, licence_id: int) -> Licence:
    """Issue a licence, recording the working days it took (R-E5)."""
    require_role(officer, *OFFICER_ROLES)
    licence = await _submitted(licence_id)
    now = clock.now()
    if await current_filing(licence.enterprise_id, now) is None:  # type: ignore[attr-defined]
        raise Conflict("export_filing_required", "enterprise_id")  # R-E2
    took = working_days_between(licence.submitted_at, now, deps.tz, deps.holidays)
    number = f"{now.astimezone(deps.tz):%y}EX{licence.id:08d}"
    changed = await Licence.filter(id=licence.id, status=LicenceStatus.SUBMITTED).update(
        status=LicenceStatus.ISSUED, issued_at=now, issue_working_days=took, number=number,
        officer_id=officer.id)
    if not changed:
        raise Conflict("export_licence_not_submitted", "status")
    await licence.refresh_from_db()
    return licence


async def _release(licence: Licence, states: tuple[VehicleState, ...]) -> None:
    await LicenceVehicle.filter(licence_id=licence.id, state__in=states).update(
        state=VehicleState.RELEASED, live_vin=None)


async def refuse(officer: User, licence_id: int, reasons: object) -> Licence:
    """Refuse with every reason at once; the vehicles are free for a new application."""
    require_role(officer, *OFFICER_ROLES)
    licence = await _submitted(licence_id)
    cleaned = forms.reasons(reasons, _FIELDS)
    async with in_transaction():
        changed = await Licence.filter(id=licence.id, status=LicenceStatus.SUBMITTED).update(
            status=LicenceStatus.REFUSED, refusal_reasons=cleaned, officer_id=officer.id)
        if not changed:
            raise Conflict("export_licence_not_submitted", "status")
        await _release(licence, (VehicleState.APPLIED,))
    await licence.refresh_from_db()
    return licence


async def give_back(user: User, licence_id: int) -> Licence:
    """Withdraw an unused licence, or return a short-cleared one before its deadline (R-E3)."""
    licence = await visible(user, licence_id, staff=False)
    now = clock.now()
    if licence.status in (LicenceStatus.SUBMITTED, LicenceStatus.ISSUED):
        vehicle_ids = await LicenceVehicle.filter(licence_id=licence.id).values_list(
            "id", flat=True)
        if await Cancellation.filter(vehicle_id__in=list(vehicle_ids)).exists():
            raise Conflict("export_licence_has_cancellation", "id")  # R-E7
        target, states = LicenceStatus.WITHDRAWN, (VehicleState.APPLIED,)
    elif licence.status is LicenceStatus.SHORT:
        # A short licence is returned even after its cleared vehicles were cancelled: the
        # return releases only the vehicles left off, never a cleared or cancelled one, and
        # refusing it would lock the left-off VINs for ever (R-E3, R-E7; docs/export.md).
        if licence.return_by is not None and licence.return_by <= now:
            raise Conflict("export_return_too_late", "id",
                           date=licence.return_by.date().isoformat())
        target, states = LicenceStatus.RETURNED, (VehicleState.LEFT_OFF,)
    else:
        raise Conflict("export_licence_not_returnable", "status", status=licence.status.value)
    async with in_transaction():
        changed = await Licence.filter(id=licence.id, status=licence.status).update(
            status=target, returned_at=now)
        if not changed:
            raise Conflict("export_licence_not_returnable", "status")
        await _release(licence, states)
    await licence.refresh_from_db()
    return licence


async def visible(user: User, licence_id: int, staff: bool = True) -> Licence:
    """A licence of one of the user's enterprises (or any, for an officer)."""
    licence = found(await Licence.get_or_none(id=licence_id).prefetch_related("vehicles"),
                    "export_licence_not_found")
    if staff and user.has_role(*OFFICER_ROLES):
        return licence
    if not await EnterpriseMember.filter(enterprise_id=licence.enterprise_id,  # type: ignore[attr-defined]
                                         user_id=user.id).exists():
        raise NotFound("export_licence_not_found", "id")
    return licence


async def list_own(user: User) -> list[Licence]:
    """Licences of the user's enterprises, newest first."""
    ids = await EnterpriseMember.filter(user_id=user.id).values_list("enterprise_id", flat=True)
    return await Licence.filter(enterprise_id__in=list(ids)).order_by("-id").limit(200) \
        .prefetch_related("vehicles")


async def issuance_stats(deps: Deps, officer: User) -> dict[str, Any]:
    """How often licences are issued within 3 working days (R-E5), and what is waiting."""
    require_role(officer, *OFFICER_ROLES)
    took = await Licence.filter(issue_working_days__isnull=False) \
        .values_list("issue_working_days", flat=True)
    days = [int(str(d)) for d in took if d is not None]
    late_pending = await Licence.filter(status=LicenceStatus.SUBMITTED,
                                        issue_due_at__lte=clock.now()).count()
    within = sum(1 for d in days if d <= ISSUE_WORKING_DAYS)
    return {"issued": len(days), "within_target": within,
            "share_within_target": round(within / len(days), 4) if days else None,
            "max_working_days": max(days) if days else None,
            "pending_overdue": late_pending, "target_working_days": ISSUE_WORKING_DAYS}


@dataclass(frozen=True)
class LicenceView:
    """A licence (its ``vehicles`` fetched) with the working days its issuance took, or
    has taken so far (R-E5)."""

    licence: Licence
    working_days_to_issue: int | None


def view(licence: Licence, deps: Deps) -> LicenceView:
    """A licence with its issuance clock read at this moment."""
    days = licence.issue_working_days if licence.issued_at else working_days_between(
        licence.submitted_at, clock.now(), deps.tz, deps.holidays)
    return LicenceView(licence, days)
