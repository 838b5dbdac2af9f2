"""Vehicles of a licence application: VIN (R-E4), certificate data (R-E8), history (R-E6, R-E7)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from borderpass.core.errors import FieldError
from borderpass.models import User
from borderpass.models.export import (
    Cancellation,
    LicenceVehicle,
    OwnerChangeClearance,
    VehicleState,
)
from borderpass.services.export import forms
from borderpass.services.validators import check_vin

MAX_VEHICLES = 20  # R-E3
VEHICLE_KEYS = frozenset({"vin", "brand", "model", "certificate_number",
                          "certificate_document_id", "pending_export_on", "owner_changed_on"})
_CERTIFICATE_NUMBER = re.compile(r"[0-9A-Z]{6,20}", re.ASCII)


@dataclass
class VehicleRow:
    """One checked vehicle, ready to be stored."""

    vin: str
    brand: str
    model: str
    certificate_number: str
    certificate_document_id: int
    pending_export_on: date | None
    owner_changed_on: date | None


def licence_label(row: LicenceVehicle) -> str:
    """How an error names the licence a VIN is held by: its number, or its application id."""
    return row.licence.number or f"#{row.licence.id}"


async def vin_problem(vin: str, field: str, now: datetime) -> FieldError | None:
    """Why a VIN cannot go on a new licence: cancelled, on a live licence, or locked."""
    if await Cancellation.filter(vin=vin).exists():
        return FieldError("export_vin_cancelled", field)  # R-E7
    row = await LicenceVehicle.get_or_none(live_vin=vin).prefetch_related("licence")
    if row is None:
        return None
    label = licence_label(row)
    if row.state is VehicleState.LEFT_OFF:  # R-E3: left off a short clearance
        return_by = row.licence.return_by
        if return_by is not None and return_by <= now:
            return FieldError("export_vin_locked", field, licence=label)
        return FieldError("export_vin_short_licence", field, licence=label)
    return FieldError("export_vin_on_licence", field, licence=label)


async def owner_change_problem(row: VehicleRow, field: str) -> FieldError | None:
    """R-E6: an owner change after transfer-pending-export is refused unless cleared."""
    if row.pending_export_on is None or row.owner_changed_on is None:
        return None
    if row.owner_changed_on <= row.pending_export_on:
        return None
    if await OwnerChangeClearance.filter(vin=row.vin).exists():
        return None
    return FieldError("export_owner_changed", field)


async def _one(user: User, item: object, i: int, today: date,
               problems: list[FieldError]) -> VehicleRow | None:
    path = f"vehicles[{i}]"
    if not isinstance(item, dict):
        problems.append(FieldError("type_object", path))
        return None
    before = len(problems)
    for key in item:
        if key not in VEHICLE_KEYS:
            problems.append(FieldError("unknown_field", f"{path}.{key}"))
    vin = ""
    raw_vin = item.get("vin")
    if not isinstance(raw_vin, str) or not raw_vin.strip():
        problems.append(FieldError("required", f"{path}.vin"))
    else:
        try:
            vin = check_vin(raw_vin, f"{path}.vin")  # R-E4: exact position and likely slip
        except FieldError as err:
            problems.append(err)
    # R-E8: brand and model exactly as on the registration certificate: trimmed, never rewritten.
    values: dict[str, Any] = {
        key: forms.text(item, key, 50, problems) for key in ("brand", "model")}
    number = forms.text(item, "certificate_number", 20, problems).upper()
    if number and not _CERTIFICATE_NUMBER.fullmatch(number):
        problems.append(FieldError("export_certificate_number", f"{path}.certificate_number"))
    doc_id = await forms.document_of_kind(user, item.get("certificate_document_id"),
                                          "vehicle_registration_certificate",
                                          f"{path}.certificate_document_id", problems)
    pending = forms.past_date(item.get("pending_export_on"), f"{path}.pending_export_on",
                              today, problems)
    changed = forms.past_date(item.get("owner_changed_on"), f"{path}.owner_changed_on",
                              today, problems)
    if len(problems) > before or doc_id is None:
        return None
    return VehicleRow(vin, values["brand"], values["model"], number, doc_id, pending, changed)


async def parse_vehicles(user: User, value: object, now: datetime, today: date,
                         problems: list[FieldError]) -> list[VehicleRow]:
    """Every vehicle of an application checked, every problem collected (R-E3, R-E4, R-E6)."""
    if not isinstance(value, list) or not value:
        problems.append(FieldError("export_vehicles_required", "vehicles"))
        return []
    if len(value) > MAX_VEHICLES:  # R-E3
        problems.append(FieldError("export_too_many_vehicles", "vehicles", max=MAX_VEHICLES,
                                   count=len(value)))
        return []
    rows: list[VehicleRow] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        row = await _one(user, item, i, today, problems)
        if row is None:
            continue
        if row.vin in seen:
            problems.append(FieldError("export_vin_duplicate", f"vehicles[{i}].vin"))
            continue
        seen.add(row.vin)
        problem = await vin_problem(row.vin, f"vehicles[{i}].vin", now) \
            or await owner_change_problem(row, f"vehicles[{i}].owner_changed_on")
        if problem is not None:
            problems.append(problem)
            continue
        rows.append(row)
    return rows
