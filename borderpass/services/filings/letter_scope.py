"""What a unit's official letter (单位公函) names, and whether a filing stays inside it (R-F2).

The seed: the letter names the vehicles and people to be filed, and the port office
approves it before a vehicle it names can be filed. So the applicant types the letter's
vehicles (plate and/or VIN) and people (name and identity number) when submitting it, the
reviewer checks them against the letter's photo before approving, and a filing under the
letter is refused when its vehicle or one of its drivers is not on it.

Identity numbers are sealed and found by the same blind index as drivers' (R-U7).
"""

from __future__ import annotations

from typing import Any

from borderpass.core.errors import FieldError, FieldErrors
from borderpass.core.masking import mask_number
from borderpass.models import Filing, FilingDriver, OfficialLetter
from borderpass.services.ports import Deps
from borderpass.services.validators import check_id_number, check_plate, check_vin

MAX_ITEMS = 50  # vehicles or people one letter may name


def _items(value: object, field: str, keys: frozenset[str],
           errors: list[FieldError]) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        errors.append(FieldError("letter_names_required", field))
        return []
    if len(value) > MAX_ITEMS:
        errors.append(FieldError("too_many", field, max=MAX_ITEMS))
        return []
    items = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            errors.append(FieldError("type_object", f"{field}[{i}]"))
            continue
        errors += [FieldError("unknown_field", f"{field}[{i}].{k}") for k in item
                   if k not in keys]
        items.append(item)
    return items


def _vehicle(item: dict[str, Any], path: str, errors: list[FieldError]) -> dict[str, str]:
    entry: dict[str, str] = {}
    for key, check in (("plate", check_plate), ("vin", check_vin)):
        value = item.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            errors.append(FieldError("type_string", f"{path}.{key}"))
            continue
        try:
            entry[key] = check(value, f"{path}.{key}")
        except FieldError as exc:
            errors.append(exc)
    if not item.get("plate") and not item.get("vin"):
        errors.append(FieldError("required", f"{path}.plate"))
    return entry


def _person(deps: Deps, item: dict[str, Any], path: str,
            errors: list[FieldError]) -> dict[str, str]:
    name, number = item.get("name"), item.get("id_number")
    if not isinstance(name, str) or not name.strip():
        errors.append(FieldError("required", f"{path}.name"))
    elif len(name.strip()) > 50:
        errors.append(FieldError("length", f"{path}.name", max=50))
    if not isinstance(number, str) or not number.strip():
        errors.append(FieldError("required", f"{path}.id_number"))
        return {}
    try:
        canonical = check_id_number(number, f"{path}.id_number").number
    except FieldError as exc:
        errors.append(exc)
        return {}
    return {"name": str(name).strip(), "id_masked": mask_number(canonical) or "",
            "id_sealed": deps.cipher.encrypt(canonical, "letter.id_number"),
            "id_key": deps.cipher.blind_index(canonical, "id_number")}


def parse(deps: Deps, vehicles: object,
          people: object) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The letter's vehicles and people as typed by the applicant, checked; every problem
    at once (R-F6), each naming its field (``named_vehicles[1].vin``,
    ``named_people[0].id_number``)."""
    errors: list[FieldError] = []
    cars = [_vehicle(item, f"named_vehicles[{i}]", errors) for i, item in
            enumerate(_items(vehicles, "named_vehicles", frozenset({"plate", "vin"}),
                                  errors))]
    persons = [_person(deps, item, f"named_people[{i}]", errors) for i, item in
               enumerate(_items(people, "named_people", frozenset({"name", "id_number"}),
                                  errors))]
    if errors:
        raise FieldErrors(errors)
    return cars, persons


def _names_vehicle(entry: dict[str, str], filing: Filing) -> bool:
    """An entry names the filing's vehicle when every part it gives (plate, VIN) matches."""
    given = [(entry[k], v) for k, v in (("plate", filing.plate_number), ("vin", filing.vin))
             if entry.get(k)]
    return bool(given) and all(listed == (value or "").upper() for listed, value in given)


def problems(letter: OfficialLetter, filing: Filing,
             drivers: list[FilingDriver]) -> list[FieldError]:
    """R-F2: the filing's vehicle and every driver must be named by its letter."""
    found = []
    if (filing.plate_number or filing.vin) and not any(
            _names_vehicle(v, filing) for v in letter.vehicles):
        field = "vehicle.plate_number" if filing.plate_number else "vehicle.vin"
        found.append(FieldError("letter_vehicle_not_listed", field))
    listed = {p.get("id_key") for p in letter.people}
    found += [FieldError("letter_driver_not_listed", f"drivers[{i}].id_number")
              for i, d in enumerate(drivers) if d.id_key and d.id_key not in listed]
    return found
