"""OCR prefill of a draft filing (R-P1): what a document says fills the form once.

Never overwrites what the user typed: an empty field is filled and marked as read
by OCR until the user confirms it; a field that already holds another value gets a
conflict for the user to settle. Submission waits until both are settled.

Only a value the reader is sure of fills a field (R-P5): one below the calibrated
threshold, failing a check, or read differently on the user's other documents (name and
ID number across ID card, licence and permit; VIN across vehicle licence and VIN plate)
is not filled but listed under ``check`` for the user to look at.
"""

from __future__ import annotations

from typing import Any

from borderpass.core.errors import Conflict, FieldError
from borderpass.models import Document, Filing, FilingDocument, FilingDriver, User
from borderpass.models.enums import FilingCategory
from borderpass.ocr import trust
from borderpass.services.filings import documents
from borderpass.services.filings.filing_forms import EDITABLE, SEALED_DRIVER_FIELDS, check_value
from borderpass.services.filings.requirements import DRIVER_FIELDS, VEHICLE_FIELDS, FieldSpec
from borderpass.services.ports import Deps

# OCR field of each document kind → form field (drivers: relative to the driver).
VEHICLE_MAP = {
    "vehicle_licence": {"plate_number": "vehicle.plate_number", "vin": "vehicle.vin",
                        "vehicle_type": "vehicle.vehicle_type", "model": "vehicle.model",
                        "owner": "vehicle.owner_name", "register_date": "vehicle.register_date"},
    "vin_plate": {"vin": "vehicle.vin"},
}
DRIVER_MAP = {
    "id_card_front": {"name": "name", "id_number": "id_number"},
    "driving_licence": {"licence_number": "licence_number"},
    "exit_entry_permit": {"permit_number": "permit_number"},
}
_SPECS: dict[str, FieldSpec] = {s.name: s for s in VEHICLE_FIELDS}
_DRIVER_SPECS: dict[str, FieldSpec] = {s.name: s for s in DRIVER_FIELDS}


def _usable(reading: dict[str, Any], spec: FieldSpec, path: str) -> str | None:
    """The OCR value when the reader is sure of it (R-P5) and it passes the form's own
    check, else None (never a guess). A value the form refuses is marked with the form's
    error code, so it is listed for the user to check."""
    value = reading.get("value")
    if not isinstance(value, str) or not value or trust.needs_check(reading):
        return None
    try:
        checked = check_value(FieldSpec(spec.name, spec.type, spec.label, False), value, path)
    except FieldError as exc:
        reading["warnings"] = [*reading.get("warnings", []), exc.code]
        return None
    return str(checked) if checked is not None else None


def _note(marks: dict[str, Any], path: str, doc: Document, value: str, confidence: Any) -> None:
    marks[path] = {"document_id": doc.id, "value": value, "confidence": confidence}


async def apply_reading(
    deps: Deps, user: User, filing_id: int, doc: Document, slot: str, reading: dict[str, Any]
) -> dict[str, Any]:
    """Fill the draft from one document's OCR reading; report what was filled or clashed."""
    filing = await Filing.get_or_none(id=filing_id, applicant_id=user.id)
    if filing is None:
        raise FieldError("filing_not_found", "filing_id")
    if filing.status not in EDITABLE:
        raise Conflict("filing_not_editable", "filing_id", status=filing.status.value)
    data = dict(filing.data)
    prefilled, conflicts = dict(data.get("prefilled", {})), dict(data.get("conflicts", {}))
    filled: list[str] = []
    clashed: list[str] = []
    matched: list[str] = []
    kind = doc.kind
    fields, others = await _cross_checked(deps, filing, doc, slot, reading.get("fields", {}))
    if kind in VEHICLE_MAP:
        vehicle = dict(data.get("vehicle", {}))
        for ocr_name, path in VEHICLE_MAP[kind].items():
            value = _usable(fields.get(ocr_name, {}), _SPECS[path], path)
            if value is None:
                continue
            name = path.split(".", 1)[1]
            current = vehicle.get(name)
            conf = fields[ocr_name].get("confidence")
            if current is None:
                vehicle[name] = value
                _note(prefilled, path, doc, value, conf)
                filled.append(path)
            elif str(current) != value:
                _note(conflicts, path, doc, value, conf)
                clashed.append(path)
            else:
                matched.append(path)  # read exactly what is already there
        data["vehicle"] = vehicle
        if "vehicle.plate_number" in filled:
            filing.plate_number = vehicle["plate_number"]
        if "vehicle.vin" in filled:
            filing.vin = vehicle["vin"]
    elif kind in DRIVER_MAP:
        index = int(slot.split("#", 1)[1]) - 1 if "#" in slot else 0
        await _fill_driver(deps, filing, index, doc, fields, DRIVER_MAP[kind],
                           prefilled, conflicts, filled, clashed, matched)
    data["prefilled"], data["conflicts"] = prefilled, conflicts
    filing.data = data
    await filing.save()
    await mark_owner_drivers(filing)
    return {"filled": filled, "conflicts": clashed, "matched": matched,
            "check": to_check(kind, slot, fields, others)}


def _driver_index(slot: str) -> int:
    """The driver a per-driver slot is for: 'driving_licence#2' → 1; no suffix → 0."""
    return int(slot.split("#", 1)[1]) - 1 if "#" in slot else 0


def _form_path(kind: str, slot: str, ocr_name: str) -> str | None:
    """The form field an OCR field of ``kind`` fills, if any."""
    if kind in VEHICLE_MAP:
        return VEHICLE_MAP[kind].get(ocr_name)
    name = DRIVER_MAP.get(kind, {}).get(ocr_name)
    return f"drivers[{_driver_index(slot)}].{name}" if name else None


async def _cross_checked(deps: Deps, filing: Filing, doc: Document, slot: str,
                         fields: dict[str, Any]
                         ) -> tuple[dict[str, Any], dict[str, tuple[str, dict[str, Any]]]]:
    """The reading's fields with disagreements against the filing's other documents of
    the same person or vehicle added as warnings (R-P5), and those documents' fields."""
    driver = _driver_index(slot) if doc.kind in DRIVER_MAP or "#" in slot else None
    others: dict[str, tuple[str, dict[str, Any]]] = {}
    for link in await FilingDocument.filter(filing=filing).exclude(document_id=doc.id):
        other_kind = link.kind.split("#", 1)[0]
        other_driver = _driver_index(link.kind) if "#" in link.kind else None
        if other_kind == doc.kind or other_driver != driver:
            continue
        other = await Document.get_or_none(id=link.document_id)  # type: ignore[attr-defined]
        read = documents.reading_of(deps, other) if other is not None else None
        if read and isinstance(read.get("fields"), dict):
            others[other_kind] = (link.kind, read["fields"])
    checked = {name: dict(field) for name, field in fields.items() if isinstance(field, dict)}
    against = {kind: read for kind, (_, read) in others.items()}
    for name, codes in trust.disagreements(doc.kind, checked, against).items():
        field = checked[name]
        field["warnings"] = [*field.get("warnings", []), *codes]
        field["confidence"] = min(float(field.get("confidence") or 0), trust.FLAGGED_CEILING)
        field["check"] = True
    return checked, others


def to_check(kind: str, slot: str, fields: dict[str, Any],
             others: dict[str, tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Every value read that the user must look at (R-P5): on this document, those not sure
    enough to prefill; on the other documents, those this one disagrees with."""
    out: list[dict[str, Any]] = []
    for name, field in fields.items():
        if not trust.needs_check(field):
            continue
        warnings = list(field.get("warnings") or []) or ["low_confidence"]
        out.append({"document": kind, "field": name, "path": _form_path(kind, slot, name),
                    "warnings": warnings})
        for code in warnings:
            other_kind = code.removeprefix("disagrees_")
            if other_kind == code or other_kind not in others:
                continue
            other_slot = others[other_kind][0]
            for group in trust.AGREEING:
                if (kind, name) not in group:
                    continue
                for group_kind, other_name in group:
                    if group_kind == other_kind:
                        out.append({"document": other_kind, "field": other_name,
                                    "path": _form_path(other_kind, other_slot, other_name),
                                    "warnings": [f"disagrees_{kind}"]})
    return out


def read_values(reading: dict[str, Any]) -> list[str]:
    """The OCR fields a reading holds a value for, whether or not the form uses them (an ID
    card's back side: issuing authority and validity, kept for the reviewer)."""
    fields = reading.get("fields") or {}
    return [name for name, field in fields.items()
            if isinstance(field, dict) and field.get("value") not in (None, "")]


async def mark_owner_drivers(filing: Filing) -> None:
    """A driver whose identity number is the owner's is the owner (R-F2, R-U5): stored with
    ``is_owner`` whichever door or document brought the number (blind indexes compared)."""
    if filing.category is FilingCategory.PERSONAL and filing.owner_key:
        await FilingDriver.filter(filing_id=filing.id, id_key=filing.owner_key,
                                  is_owner=False).update(is_owner=True)


async def _fill_driver(deps: Deps, filing: Filing, index: int, doc: Document,
                       fields: dict[str, Any], mapping: dict[str, str],
                       prefilled: dict[str, Any], conflicts: dict[str, Any],
                       filled: list[str], clashed: list[str], matched: list[str]) -> None:
    drivers = await FilingDriver.filter(filing=filing).order_by("position")
    driver = drivers[index] if index < len(drivers) else None
    if driver is None:
        driver = FilingDriver(filing=filing, position=index, name="", sealed={})
    for ocr_name, name in mapping.items():
        path = f"drivers[{index}].{name}"
        value = _usable(fields.get(ocr_name, {}), _DRIVER_SPECS[name], path)
        if value is None:
            continue
        conf = fields[ocr_name].get("confidence")
        if name in SEALED_DRIVER_FIELDS:
            sealed = driver.sealed.get(name)
            current = deps.cipher.decrypt(sealed, f"driver.{name}") if sealed else None
        else:
            current = getattr(driver, name) or None
        if current is None:
            if name in SEALED_DRIVER_FIELDS:
                driver.sealed = {**driver.sealed,
                                 name: deps.cipher.encrypt(value, f"driver.{name}")}
                if name == "id_number":
                    driver.id_key = deps.cipher.blind_index(value, "id_number")
            else:
                setattr(driver, name, value)
            # A sealed value is never copied into the marks, only where it came from.
            shown = "" if name in SEALED_DRIVER_FIELDS else value
            _note(prefilled, path, doc, shown, conf)
            filled.append(path)
        elif current != value:
            _note(conflicts, path, doc, "" if name in SEALED_DRIVER_FIELDS else value, conf)
            clashed.append(path)
        else:
            matched.append(path)
    if filled or driver.id:
        await driver.save()


def settle(filing: Filing, touched: set[str], confirm: bool) -> None:
    """A user edit settles the marks of the fields it touched; ``confirm`` accepts the rest
    of the OCR-filled values (conflicts still need an explicit choice)."""
    data = dict(filing.data)
    prefilled = {k: v for k, v in data.get("prefilled", {}).items()
                 if k not in touched and not confirm}
    conflicts = {k: v for k, v in data.get("conflicts", {}).items() if k not in touched}
    data["prefilled"], data["conflicts"] = prefilled, conflicts
    filing.data = data


def unsettled(filing: Filing) -> list[FieldError]:
    """Prefilled values not yet confirmed and conflicts not yet chosen (R-P1)."""
    problems = [FieldError("ocr_unconfirmed", path) for path in filing.data.get("prefilled", {})]
    problems += [FieldError("ocr_conflict", path, value=mark.get("value", ""))
                 for path, mark in filing.data.get("conflicts", {}).items()]
    return problems
