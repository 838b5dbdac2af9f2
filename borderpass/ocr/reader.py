"""Reading a document photo: image → upright text lines → validated, canonical fields.

R-P1: what OCR reads here is offered once and reused by every later step, so every field
says how sure it is and why it may be wrong (warning codes) instead of guessing quietly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from PIL import Image

from borderpass.core.errors import FieldError
from borderpass.ocr import card, layout, orient, trust
from borderpass.ocr.engine import OcrEngine, TextLine
from borderpass.ocr.parsers import FIELDS_BY_KIND, KINDS, LABELS_BY_KIND, PARSERS
from borderpass.ocr.parsers.base import FieldReading, Page, missing

__all__ = ["FIELDS_BY_KIND", "KINDS", "DocumentReading", "FieldReading", "read_document"]

# A reading this sure of its text and this complete is accepted without a second look.
_GOOD_QUALITY = 0.85
_GOOD_SHARE = 0.6
# Median text box height (pixels) under which print counts as small, and the height a
# second reading enlarges it to.
_SMALL_PRINT = 27.0
_LIKED_HEIGHT = 36.0
_MAX_READINGS = 3  # engine readings one photo may cost at most
# A value read with a character the recogniser hesitated on scores below this
# (``recognition.HESITANT``): worth another reading, and the surer of two readings wins.
_UNSURE = 0.8


@dataclass
class DocumentReading:
    """All fields of one document photo, document-level warnings and the photo's turn."""

    kind: str
    fields: dict[str, FieldReading]
    warnings: list[str] = field(default_factory=list)
    angle: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form for the doors; ``check`` marks each value to show for the
        user to check rather than to trust (R-P5)."""
        fields = {}
        for name, reading in self.fields.items():
            plain = reading.to_dict()
            fields[name] = plain | {"check": trust.needs_check(plain)}
        return {
            "kind": self.kind,
            "fields": fields,
            "warnings": list(self.warnings),
            "angle": self.angle,
        }


@dataclass
class _Attempt:
    """One parse of one engine reading in one frame."""

    angle: int
    fields: dict[str, FieldReading]
    evidence: float
    quality: float
    order: float
    text_height: float
    reread: bool = False
    # Fields two readings of this photo read differently, each passing every check.
    doubted: frozenset[str] = frozenset()

    @property
    def sense(self) -> float:
        """Fields found plus label reading order: which frame of a photo is upright."""
        return self.evidence + 3 * self.order


def _evidence(fields: dict[str, FieldReading]) -> float:
    """How much sense a parse makes: found fields, more for those passing their checks."""
    return sum(_rank(reading) / 2 for reading in fields.values())


def _rank(reading: FieldReading) -> int:
    """2 for a clean value, 1 for a flagged one, 0 for none."""
    if reading.value is None:
        return 0
    return 1 if reading.warnings else 2


def _parse(
    kind: str, lines: list[TextLine], angle: int, shape: tuple[int, ...], scale: float = 1.0
) -> _Attempt:
    """Parse lines read on a photo turned ``angle``, mapping them upright first; ``scale``
    is how much larger the print is here than in the photo itself (enlarged, flattened)."""
    height, width = shape[:2]
    lines = [trust.mend(line) for line in lines]  # the recogniser's second choices (R-P5)
    upright = layout.to_lines(orient.upright_lines(lines, angle, width, height))
    parsed = PARSERS[kind](upright)
    fields = {name: parsed.get(name) or missing() for name in FIELDS_BY_KIND[kind]}
    for reading in fields.values():
        reading.height /= scale  # the print's height in the photo's own pixels (R-P5)
    trust.check_shapes(kind, fields)  # a misshapen value ranks as flagged between readings
    order = Page(upright, LABELS_BY_KIND[kind]).order_score()
    heights = sorted(line.h for line in upright if len(line.compact) >= 2) or [0.0]
    return _Attempt(
        angle,
        fields,
        _evidence(fields),
        orient.text_quality(lines),
        order,
        heights[len(heights) // 2],
    )


def _good(attempt: _Attempt, kind: str) -> bool:
    """Whether an attempt is sure enough to skip re-reading the photo."""
    share = attempt.evidence / len(FIELDS_BY_KIND[kind])
    return attempt.quality >= _GOOD_QUALITY and share >= _GOOD_SHARE


def _complete(attempt: _Attempt) -> bool:
    """Every field found, passing its checks and read without hesitation."""
    return all(_rank(reading) == 2 and reading.confidence >= _UNSURE
               for reading in attempt.fields.values())


def _better(reading: FieldReading, other: FieldReading) -> bool:
    """Whether ``other`` beats ``reading``: it passes more checks, or as many with a
    different value read surely where ``reading`` hesitated."""
    if _rank(other) != _rank(reading):
        return _rank(other) > _rank(reading)
    return (reading.confidence < _UNSURE and other.value != reading.value
            and other.confidence > reading.confidence)


def _reread(
    kind: str, image: np.ndarray, engine: OcrEngine, angle: int, scale: float = 1.0,
    enlarged: float = 1.0,
) -> _Attempt:
    """Read the photo again turned upright (and enlarged by ``scale`` when its print is
    small); ``enlarged`` says how much larger than the photo's own ``image`` already is."""
    upright = orient.upright_image(image, angle)
    if scale != 1.0:
        height, width = upright.shape[:2]
        size = (round(width * scale), round(height * scale))
        upright = np.asarray(Image.fromarray(upright).resize(size, Image.Resampling.BICUBIC))
    again = _parse(kind, engine.read(upright, upright=True), 0, upright.shape, scale * enlarged)
    again.angle = angle
    again.reread = True
    return again


def _merge(primary: _Attempt, other: _Attempt) -> _Attempt:
    """Per field, the better of two readings of the same photo (ties keep ``primary``);
    a field both read cleanly but differently is doubted (R-P5)."""
    fields = {
        name: other.fields[name] if _better(reading, other.fields[name]) else reading
        for name, reading in primary.fields.items()
    }
    doubted = {
        name for name, reading in primary.fields.items()
        if _rank(reading) == _rank(other.fields[name]) == 2
        and reading.value != other.fields[name].value
    }
    merged = replace(primary, fields=fields, evidence=_evidence(fields),
                     doubted=primary.doubted | other.doubted | doubted)
    merged.quality = max(primary.quality, other.quality)
    return merged


def _empty(kind: str) -> DocumentReading:
    """The answer for a photo without any text."""
    fields = {name: FieldReading(None, 0.0, ["no_text"]) for name in FIELDS_BY_KIND[kind]}
    return DocumentReading(kind, fields, ["no_text"], 0)


def _upright_reading(
    kind: str, image: np.ndarray, engine: OcrEngine, turn: int, lines: list[TextLine]
) -> tuple[_Attempt, int]:
    """The best parse of the photo in its upright frame, and how many readings it took.

    ``lines`` were read on the photo turned back by ``turn`` (the engine's glance); the
    parse still tries both frames their boxes allow, so a wrong glance costs another
    reading rather than the answer.
    """
    shape = orient.upright_image(image, turn).shape
    first, second = orient.candidates(lines)
    attempts = [_parse(kind, lines, angle, shape) for angle in (first, second)]
    for attempt in attempts:
        attempt.angle = (attempt.angle + turn) % 360
    best = max(attempts, key=lambda a: (a.sense, a.angle == attempts[0].angle))
    if not _good(best, kind):
        # The first reading makes little sense in either frame: try both, turned upright.
        for attempt in sorted(attempts[:2], key=lambda a: a.angle != best.angle):
            if attempt.angle == turn:
                continue  # the first reading was of exactly this image
            attempts.append(_reread(kind, image, engine, attempt.angle))
            if _good(attempts[-1], kind):
                break
        best = max(attempts, key=lambda a: (a.sense, a.reread, a.quality))
        return best, len(attempts) - 1
    if best.angle != turn and not _complete(best):
        # Lines of a turned photo were read by the engine's own flipping; a gap or a failed
        # check is worth one more reading of the photo turned upright.
        again = _reread(kind, image, engine, best.angle)
        return _merge(*sorted((again, best), key=lambda a: -a.sense)), 2
    return best, 1


def read_document(kind: str, image: np.ndarray, engine: OcrEngine) -> DocumentReading:
    """Read one document photo of ``kind`` in any quarter turn into canonical fields."""
    if kind not in PARSERS:
        raise FieldError("ocr_kind", field="kind", kinds=list(KINDS))
    turn, lines = engine.read_upright(image)
    if not lines:
        return _empty(kind)
    best, readings = _upright_reading(kind, image, engine, turn, lines)
    small = 0 < best.text_height < _SMALL_PRINT
    if small and readings < _MAX_READINGS and not _complete(best):
        # Small print misread: once more, enlarged to the size the recogniser likes.
        scale = min(_LIKED_HEIGHT / best.text_height, 2.0)
        best = _merge(best, _reread(kind, image, engine, best.angle, scale))
    if not _complete(best):
        # A hand-held photo: read the card flattened, keep per field the reading that
        # passes more checks (R-P5).
        found = card.rectify(image)
        if found is not None:
            flat, enlarged = found
            best = _merge(best, _reread(kind, flat, engine, best.angle, enlarged=enlarged))
    for name in best.doubted:
        best.fields[name].warn("readings_disagree")  # which one is right, no check tells
    warnings = [] if _good(best, kind) else ["low_confidence"]
    trust.settle(kind, best.fields)  # a failed check weighs more than a clear read (R-P5)
    return DocumentReading(kind, best.fields, warnings, best.angle)
