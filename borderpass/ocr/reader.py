"""Reading a document photo: image → upright text lines → validated, canonical fields.

R-P1: what OCR reads here is offered once and reused by every later step, so every field
says how sure it is and why it may be wrong (warning codes) instead of guessing quietly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from borderpass.core.errors import FieldError
from borderpass.ocr import layout, orient
from borderpass.ocr.engine import OcrEngine, TextLine
from borderpass.ocr.parsers import FIELDS_BY_KIND, KINDS, LABELS_BY_KIND, PARSERS
from borderpass.ocr.parsers.base import FieldReading, Page

__all__ = ["FIELDS_BY_KIND", "KINDS", "DocumentReading", "FieldReading", "read_document"]

# A reading this sure of its text and this complete is accepted without a second look.
_GOOD_QUALITY = 0.85
_GOOD_SHARE = 0.6


@dataclass
class DocumentReading:
    """All fields of one document photo, document-level warnings and the photo's turn."""

    kind: str
    fields: dict[str, FieldReading]
    warnings: list[str] = field(default_factory=list)
    angle: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form for the doors."""
        return {
            "kind": self.kind,
            "fields": {name: reading.to_dict() for name, reading in self.fields.items()},
            "warnings": list(self.warnings),
            "angle": self.angle,
        }


@dataclass
class _Attempt:
    angle: int
    fields: dict[str, FieldReading]
    evidence: float
    quality: float
    order: float

    @property
    def sense(self) -> float:
        """Fields found plus label reading order: which frame of a photo is upright."""
        return self.evidence + 3 * self.order


def _evidence(fields: dict[str, FieldReading]) -> float:
    """How much sense a parse makes: found fields, more for those passing their checks."""
    total = 0.0
    for reading in fields.values():
        if reading.value is not None:
            total += 0.5 if reading.warnings else 1.0
    return total


def _parse(kind: str, lines: list[TextLine], angle: int, shape: tuple[int, ...]) -> _Attempt:
    """Parse lines read on a photo turned ``angle``, mapping them upright first."""
    height, width = shape[:2]
    upright = layout.to_lines(orient.upright_lines(lines, angle, width, height))
    fields = PARSERS[kind](upright)
    order = Page(upright, LABELS_BY_KIND[kind]).order_score()
    fields = {
        name: fields.get(name) or FieldReading(None, 0.0, ["not_found"])
        for name in FIELDS_BY_KIND[kind]
    }
    return _Attempt(angle, fields, _evidence(fields), orient.text_quality(lines), order)


def _good(attempt: _Attempt, kind: str) -> bool:
    """Whether an attempt is sure enough to skip re-reading the photo."""
    share = attempt.evidence / len(FIELDS_BY_KIND[kind])
    return attempt.quality >= _GOOD_QUALITY and share >= _GOOD_SHARE


def _empty(kind: str) -> DocumentReading:
    """The answer for a photo without any text."""
    fields = {name: FieldReading(None, 0.0, ["no_text"]) for name in FIELDS_BY_KIND[kind]}
    return DocumentReading(kind, fields, ["no_text"], 0)


def read_document(kind: str, image: np.ndarray, engine: OcrEngine) -> DocumentReading:
    """Read one document photo of ``kind`` in any quarter turn into canonical fields."""
    if kind not in PARSERS:
        raise FieldError("ocr_kind", field="kind", kinds=list(KINDS))
    lines = engine.read(image)
    if not lines:
        return _empty(kind)
    first, second = orient.candidates(lines)
    attempts = [_parse(kind, lines, angle, image.shape) for angle in (first, second)]
    best = max(attempts, key=lambda a: (a.sense, a.angle == first))
    warnings: list[str] = []
    if not _good(best, kind):
        # The first reading makes little sense: read again with the photo turned upright.
        for angle in sorted((first, second), key=lambda a: a != best.angle):
            again = engine.read(orient.upright_image(image, angle))
            retry = _parse(kind, again, 0, image.shape)
            retry.angle = angle
            attempts.append(retry)
            if _good(retry, kind):
                break
        best = max(attempts, key=lambda a: (a.sense, a.quality))
        if not _good(best, kind):
            warnings.append("low_confidence")
    return DocumentReading(kind, best.fields, warnings, best.angle)
