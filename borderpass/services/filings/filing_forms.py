"""Applying a draft edit to a filing: each value checked by its type, sensitive ones sealed.

An edit is all-or-nothing: the first bad value is refused with its field path and the
filing is left as it was (RULES: "reject" changes nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from borderpass.core import ids
from borderpass.core.errors import FieldError
from borderpass.models import Filing, FilingDriver, User
from borderpass.models.enums import FilingCategory, FilingStatus, LetterStatus
from borderpass.services import validators as v
from borderpass.services.filings.documents import owned_document
from borderpass.services.filings.requirements import (
    DOCUMENT_KINDS,
    DRIVER_FIELDS,
    FieldSpec,
    category_fields,
)
from borderpass.services.ports import Deps

SEALED_FIELDS = frozenset({"owner.id_number"})
SEALED_DRIVER_FIELDS = ("id_number", "licence_number", "permit_number")
MAX_DRIVERS = 10
EDITABLE = (FilingStatus.DRAFT, FilingStatus.RETURNED)
NON_SECTION_KEYS = frozenset({"drivers", "documents", "official_letter_id", "category",
                              "confirm_prefill", "profile_id"})


def check_value(spec: FieldSpec, value: Any, path: str) -> Any:
    """The canonical value of one field, or a FieldError naming ``path``."""
    if value is None:
        if spec.required:
            raise FieldError("required", path)
        return None
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise FieldError("type_bool", path)
        return value
    if spec.type == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise FieldError("type_int", path)
        if not -ids.INT_MAX <= value <= ids.INT_MAX:  # an int column
            raise FieldError("type_int", path)
        return value
    if not isinstance(value, str):
        raise FieldError("type_string", path)
    text = value.strip()
    if not text:
        raise FieldError("required", path)
    checkers: dict[str, Callable[[str, str], Any]] = {
        "plate": v.check_plate, "vin": v.check_vin, "id_number": lambda s, f: v.check_id_number(
            s, f).number, "uscc": v.check_uscc, "phone": v.check_phone,
        "date": lambda s, f: v.parse_date(s, f).isoformat(),
    }
    if spec.type in checkers:
        return checkers[spec.type](text, path)
    if spec.type == "choice" and text not in spec.choices:
        raise FieldError("choice", path, choices=", ".join(spec.choices))
    if len(text) > 100:
        raise FieldError("length", path, max=100)
    return text


def _section_specs(category: FilingCategory) -> dict[str, dict[str, FieldSpec]]:
    sections: dict[str, dict[str, FieldSpec]] = {}
    for spec in category_fields(category):
        section, _, name = spec.name.rpartition(".")
        sections.setdefault(section, {})[name] = spec
    return sections


def apply_sections(deps: Deps, filing: Filing, body: dict[str, Any]) -> None:
    """Set vehicle/owner/organisation fields and the letter id on the filing (unsaved)."""
    sections = _section_specs(filing.category)
    data, sealed = dict(filing.data), dict(filing.sealed)
    for section, values in body.items():
        if section in NON_SECTION_KEYS:
            continue
        if section not in sections or section == "":
            raise FieldError("unknown_field", section)
        if not isinstance(values, dict):
            raise FieldError("type_object", section)
        stored = dict(data.get(section, {}))
        for name, raw in values.items():
            path = f"{section}.{name}"
            spec = sections[section].get(name)
            if spec is None:
                raise FieldError("unknown_field", path)
            value = check_value(FieldSpec(spec.name, spec.type, spec.label, False, spec.choices),
                                raw, path)
            if path in SEALED_FIELDS:
                if value is None:
                    sealed.pop(path, None)
                else:
                    sealed[path] = deps.cipher.encrypt(value, path)
                    stored[name] = True  # presence marker; the value itself is sealed
            elif value is None:
                stored.pop(name, None)
            else:
                stored[name] = value
        data[section] = stored
    filing.data, filing.sealed = data, sealed
    vehicle = data.get("vehicle", {})
    filing.plate_number = vehicle.get("plate_number")
    filing.vin = vehicle.get("vin")
    if filing.category is FilingCategory.PERSONAL and "owner.id_number" in sealed:
        owner_id = deps.cipher.decrypt(sealed["owner.id_number"], "owner.id_number")
        filing.owner_key = deps.cipher.blind_index(owner_id, "id_number")
    elif uscc := data.get("organisation", {}).get("uscc"):
        filing.owner_key = deps.cipher.blind_index(uscc, "uscc")


async def apply_letter(user: User, filing: Filing, body: dict[str, Any]) -> None:
    """Point an official filing at the applicant's approved official letter (R-F2)."""
    if "official_letter_id" not in body:
        return
    if filing.category is not FilingCategory.OFFICIAL:
        raise FieldError("unknown_field", "official_letter_id")
    from borderpass.models import OfficialLetter

    letter_id = body["official_letter_id"]
    if letter_id is None:
        filing.official_letter_id = None
        return
    letter_id = ids.body_id(letter_id, "official_letter_id", "letter_not_found")
    letter = await OfficialLetter.get_or_none(id=letter_id, applicant_id=user.id)
    if letter is None:
        raise FieldError("letter_not_found", "official_letter_id")
    if letter.status is not LetterStatus.APPROVED:
        raise FieldError("letter_not_approved", "official_letter_id")  # R-F2
    filing.official_letter_id = letter.id


async def check_documents(
    user: User, filing: Filing, documents: object, trusted: frozenset[int] = frozenset()
) -> dict[str, int | None]:
    """Validate a {slot: document id|null} map: known slot, own document of the right kind."""
    if not isinstance(documents, dict):
        raise FieldError("type_object", "documents")
    checked: dict[str, int | None] = {}
    for slot, doc_id in documents.items():
        path = f"documents.{slot}"
        kind = slot.split("#", 1)[0]
        if kind not in DOCUMENT_KINDS:
            raise FieldError("document_kind", path, kinds=", ".join(DOCUMENT_KINDS))
        if doc_id is None:
            checked[slot] = None
            continue
        doc = await owned_document(user, doc_id, path, trusted)
        if doc.kind != kind:
            raise FieldError("document_wrong_kind", path, expected=kind, found=doc.kind)
        checked[slot] = doc.id
    return checked


def check_drivers(
    deps: Deps, drivers: object, existing: dict[int, FilingDriver]
) -> list[dict[str, Any]]:
    """Validate the drivers list; entries with an ``id`` keep the values they omit."""
    if not isinstance(drivers, list):
        raise FieldError("type_list", "drivers")
    if len(drivers) > MAX_DRIVERS:
        raise FieldError("too_many", "drivers", max=MAX_DRIVERS)
    specs = {s.name: s for s in DRIVER_FIELDS}
    result = []
    for i, entry in enumerate(drivers):
        base = f"drivers[{i}]"
        if not isinstance(entry, dict):
            raise FieldError("type_object", base)
        row: dict[str, Any] = {"id": None, "values": {}, "sealed": {}}
        if "id" in entry:
            old = existing.get(ids.body_id(entry["id"], f"{base}.id", "driver_not_found"))
            if old is None:
                raise FieldError("driver_not_found", f"{base}.id")
            row["id"] = old.id
            row["values"] = {"name": old.name, "phone": "", "is_owner": old.is_owner}
            row["sealed"] = dict(old.sealed)
            if old.phone and "phone" not in old.sealed:  # clear from before sealing (R-U7)
                row["sealed"]["phone"] = deps.cipher.encrypt(old.phone, "driver.phone")
        for name, raw in entry.items():
            if name == "id":
                continue
            spec = specs.get(name)
            if spec is None:
                raise FieldError("unknown_field", f"{base}.{name}")
            value = check_value(FieldSpec(name, spec.type, spec.label, False), raw,
                                f"{base}.{name}")
            if name in SEALED_DRIVER_FIELDS or name == "phone":  # R-U7
                if value is None:
                    row["sealed"].pop(name, None)
                else:
                    row["sealed"][name] = deps.cipher.encrypt(value, f"driver.{name}")
                if name == "phone":
                    row["values"]["phone"] = ""  # never the clear value
            else:
                row["values"][name] = value
        result.append(row)
    return result
