"""What a renewal changed against the filing it renews (R-F3), for the reviewer and for rules.

The answer is a sorted list of form paths, the same paths the form and the return reasons
use (``vehicle.plate_number``, ``owner.id_number``, ``drivers[1].phone``, ``drivers``,
``documents.id_card_front#1``): an empty list is an unchanged renewal, which a later
credit rule (R-P2) may approve on its own. Sealed values are compared in clear here and
never written out; only their paths are. Documents a renewal must bring anew
(``renewals.FRESH_DOCUMENTS``) are new by rule and not listed as changes.
"""

from __future__ import annotations

from typing import Any

from borderpass.models import Filing, FilingDocument, FilingDriver
from borderpass.services.filings.filing_forms import SEALED_DRIVER_FIELDS
from borderpass.services.filings.requirements import category_fields
from borderpass.services.ports import Deps

DRIVER_PLAIN = ("name", "is_owner")
DRIVER_SEALED = (*SEALED_DRIVER_FIELDS, "phone")


def _clear(deps: Deps, sealed: dict[str, str], key: str, context: str) -> str | None:
    return deps.cipher.decrypt(sealed[key], context) if key in sealed else None


def _field_changes(deps: Deps, old: Filing, new: Filing) -> list[str]:
    changed = []
    for spec in category_fields(new.category):
        if spec.name == "official_letter_id":
            if old.official_letter_id != new.official_letter_id:  # type: ignore[attr-defined]
                changed.append(spec.name)
            continue
        section, _, name = spec.name.rpartition(".")
        if spec.name in new.sealed or spec.name in old.sealed:
            before = _clear(deps, old.sealed, spec.name, spec.name)
            after = _clear(deps, new.sealed, spec.name, spec.name)
        else:
            before = old.data.get(section, {}).get(name)
            after = new.data.get(section, {}).get(name)
        if before != after:
            changed.append(spec.name)
    return changed


def _driver_values(deps: Deps, driver: FilingDriver) -> dict[str, Any]:
    values: dict[str, Any] = {k: getattr(driver, k) for k in DRIVER_PLAIN}
    for key in DRIVER_SEALED:
        values[key] = _clear(deps, driver.sealed, key, f"driver.{key}")
    if values["phone"] is None and driver.phone:  # clear from before sealing (R-U7)
        values["phone"] = driver.phone
    return values


def _driver_changes(deps: Deps, old: list[FilingDriver], new: list[FilingDriver]) -> list[str]:
    changed = ["drivers"] if len(old) != len(new) else []
    for i, driver in enumerate(new):
        after = _driver_values(deps, driver)
        before = _driver_values(deps, old[i]) if i < len(old) else {}
        changed += [f"drivers[{i}].{k}" for k, v in after.items() if before.get(k) != v]
    return changed


def _document_changes(old: dict[str, int], new: dict[str, int],
                      fresh: frozenset[str]) -> list[str]:
    slots = set(old) | set(new)
    return [f"documents.{slot}" for slot in slots
            if slot.split("#", 1)[0] not in fresh and old.get(slot) != new.get(slot)]


async def _slots(filing: Filing) -> dict[str, int]:
    rows = await FilingDocument.filter(filing_id=filing.id).values_list("kind", "document_id")
    return {str(kind): int(doc) for kind, doc in rows}


async def changes(deps: Deps, old: Filing, new: Filing, fresh: frozenset[str]) -> list[str]:
    """The form paths where ``new`` (a renewal) differs from ``old``, sorted (R-F3, R-P2)."""
    old_drivers = await FilingDriver.filter(filing_id=old.id).order_by("position", "id")
    new_drivers = await FilingDriver.filter(filing_id=new.id).order_by("position", "id")
    found = (_field_changes(deps, old, new) + _driver_changes(deps, old_drivers, new_drivers)
             + _document_changes(await _slots(old), await _slots(new), fresh))
    return sorted(set(found))
