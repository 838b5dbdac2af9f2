"""Cross-checks of read fields: check digits, ID number vs printed birth date and sex, VIN
repair, plate format. A failing field keeps its value and gets a warning code; a value is
changed only when the fix is certain (the repaired code passes its check digit).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from borderpass.core.errors import FieldError
from borderpass.ocr.normalise import code, digits_context, fold
from borderpass.ocr.parsers.base import FieldReading

_VIN_LOOKALIKES = {"O": "0", "I": "1", "Q": "0"}  # R-E4: letters a VIN never has
_PLATE_SEPARATORS = "·•‧・.-_ "
_validators: ModuleType | None = None


def _load() -> ModuleType | None:
    """The domain validators, imported on first use (checks are skipped if absent)."""
    global _validators
    if _validators is None:
        try:
            _validators = importlib.import_module("borderpass.services.validators")
        except ImportError:
            return None
    return _validators


def _validate(name: str, value: str, **kwargs: Any) -> tuple[Any, FieldError | None]:
    """Run validator ``name``: (its result, None) or (None, the error it raised)."""
    module = _load()
    check: Callable[..., Any] | None = getattr(module, name, None) if module else None
    if check is None:
        return value, None
    try:
        return check(value, **kwargs), None
    except FieldError as exc:
        return None, exc


def id_number(field: FieldReading, name: str = "id_number") -> Any:
    """Check an ID number (GB 11643 check digit); returns the decoded info when valid."""
    if field.value is None:
        return None
    raw = fold(field.value).upper()
    value = digits_context(raw[:17]) + raw[17:].replace("x", "X")
    info, error = _validate("check_id_number", value, field=name)
    if error is None:
        if value.upper() != raw:
            field.warn("id_repaired")  # letters read for digits; the check digit confirms
        field.value = value
        return info
    field.warn(error.code)
    return None


def birth_and_sex(fields: dict[str, FieldReading], info: Any, number_field: str) -> None:
    """Printed birth date and sex must agree with those encoded in the ID number."""
    if info is None:
        return
    birth = fields.get("birth_date")
    if birth and birth.value and birth.value != info.birth_date.isoformat():
        birth.warn("birth_date_mismatch")
        fields[number_field].warn("birth_date_mismatch")
    sex = fields.get("sex")
    if sex and sex.value and sex.value != info.sex:
        sex.warn("sex_mismatch")
        fields[number_field].warn("sex_mismatch")


def vin(field: FieldReading) -> None:
    """Check a VIN (R-E4); undo I/O/Q read for 1/0/0 only if the check digit then holds."""
    if field.value is None:
        return
    value = code(field.value)
    field.value = value
    canonical, error = _validate("check_vin", value)
    if error is None:
        field.value = canonical
        return
    if error.code.startswith("vin_letter_"):
        repaired = "".join(_VIN_LOOKALIKES.get(c, c) for c in value)
        fixed, again = _validate("check_vin", repaired)
        if again is None:
            field.value = fixed
            field.warn("vin_repaired")
            return
        field.warn(again.code if again.code != "vin_checksum" else error.code)
    field.warn(error.code)


# Letters a credit code never has (GB 32100-2015), read for the digits they resemble.
_USCC_LOOKALIKES = {"O": "0", "I": "1", "S": "5", "Z": "2"}


def uscc(field: FieldReading) -> None:
    """Check a unified social credit code's check character (R-P1d); undo letters read for
    digits only if the check character then holds, else warn and keep the reading."""
    if field.value is None:
        return
    value = code(field.value)
    field.value = value
    canonical, error = _validate("check_uscc", value)
    if error is None:
        field.value = canonical
        return
    repaired = "".join(_USCC_LOOKALIKES.get(c, c) for c in value)
    if repaired != value:
        fixed, again = _validate("check_uscc", repaired)
        if again is None:
            field.value = fixed
            field.warn("uscc_repaired")
            return
    field.warn(error.code)


def plate(field: FieldReading) -> None:
    """Drop separators (云S·12345 → 云S12345) and check the plate format."""
    if field.value is None:
        return
    value = "".join(c for c in fold(field.value).upper() if c not in _PLATE_SEPARATORS)
    field.value = value
    canonical, error = _validate("check_plate", value)
    if error is None:
        field.value = canonical
    else:
        field.warn(error.code)


def date_order(start: FieldReading | None, end: FieldReading | None) -> None:
    """A validity period must end after it starts."""
    if not start or not end or not start.value or not end.value:
        return
    if end.value[:4].isdigit() and end.value <= start.value:
        end.warn("validity_order")
