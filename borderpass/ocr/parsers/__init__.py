"""Document parsers, one module per kind: text lines in, canonical fields out."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from borderpass.ocr.layout import Line
from borderpass.ocr.parsers import (
    business_licence,
    driving_licence,
    exit_entry_permit,
    id_card_back,
    id_card_front,
    vehicle_licence,
    vin_plate,
)
from borderpass.ocr.parsers.base import FieldReading

_MODULES: dict[str, ModuleType] = {
    "id_card_front": id_card_front,
    "id_card_back": id_card_back,
    "driving_licence": driving_licence,
    "vehicle_licence": vehicle_licence,
    "exit_entry_permit": exit_entry_permit,
    "vin_plate": vin_plate,
    "business_licence": business_licence,
}
KINDS: tuple[str, ...] = tuple(_MODULES)
FIELDS_BY_KIND: dict[str, tuple[str, ...]] = {k: m.FIELDS for k, m in _MODULES.items()}
PARSERS: dict[str, Callable[[list[Line]], dict[str, FieldReading]]] = {
    k: m.parse for k, m in _MODULES.items()
}
LABELS_BY_KIND: dict[str, dict[str, tuple[str, ...]]] = {k: m.LABELS for k, m in _MODULES.items()}
