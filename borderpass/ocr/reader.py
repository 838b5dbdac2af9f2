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
    reread: bool = False

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


def _complete(attempt: _Attempt) -> bool:
    """Every field found and passing its checks."""
    return all(r.value is not None and not r.warnings for r in attempt.fields.values())


def _reread(kind: str, image: np.ndarray, engine: OcrEngine, angle: int) -> _Attempt:
    """Read the photo again turned upright: no reliance on the engine's line flipping."""
    again = _parse(kind, engine.read(orient.upright_image(image, angle)), 0, image.shape)
    again.angle = angle
    again.reread = True
    return again


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
    if not _good(best, kind):
        # The first reading makes little sense in either frame: try both, turned upright.
        for angle in sorted((first, second), key=lambda a: a != best.angle):
            attempts.append(_reread(kind, image, engine, angle))
            if _good(attempts[-1], kind):
                break
    elif best.angle and not _complete(best):
        # Lines of a turned photo were read by the engine's own flipping; a gap or a failed
        # check is worth one more reading of the photo turned upright.
        attempts.append(_reread(kind, image, engine, best.angle))
    best = max(attempts, key=lambda a: (a.sense, a.reread, a.quality))
    warnings = [] if _good(best, kind) else ["low_confidence"]
    return DocumentReading(kind, best.fields, warnings, best.angle)
