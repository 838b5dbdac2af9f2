"""Helpers for the OCR reading tests: synthetic text lines, turned photos, the engine."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from borderpass.ocr.engine import OcrEngine, TextLine

REPO = Path(__file__).resolve().parents[2]


def line(text: str, x: float, y: float, w: float | None = None, h: float = 30.0) -> TextLine:
    """An upright text line with its top-left corner at (x, y); width from its length."""
    width = w if w is not None else h * 0.9 * max(len(text), 1)
    box = ((x, y), (x + width, y), (x + width, y + h), (x, y + h))
    return TextLine(text, box, 0.99)


def scaled(lines: Sequence[TextLine], factor: float) -> list[TextLine]:
    """The same page photographed ``factor`` times larger (or smaller)."""
    return [TextLine(item.text, tuple((x * factor, y * factor) for x, y in item.box),
                     item.score) for item in lines]  # type: ignore[misc]


def _turn(
    point: tuple[float, float], angle: int, width: float, height: float
) -> tuple[float, float]:
    """Where an upright page's point lands on a photo turned ``angle`` degrees CCW."""
    x, y = point
    if angle == 90:
        return (y, width - x)
    if angle == 180:
        return (width - x, height - y)
    if angle == 270:
        return (height - y, x)
    return (x, y)


def turned(lines: Sequence[TextLine], angle: int, width: float, height: float) -> list[TextLine]:
    """The same lines as an engine with a direction classifier reads them on a turned photo."""
    out = []
    for item in lines:
        pts = [_turn(p, angle, width, height) for p in item.box]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        box = ((min(xs), min(ys)), (max(xs), min(ys)), (max(xs), max(ys)), (min(xs), max(ys)))
        out.append(TextLine(item.text, box, item.score))
    return out


class FakeEngine:
    """An engine answering fixed lines, counting how often it was asked."""

    name = "fake"

    def __init__(self, *answers: Sequence[TextLine]) -> None:
        self.answers = [list(a) for a in answers]
        self.calls = 0

    def read(self, image: np.ndarray, upright: bool = False) -> list[TextLine]:
        """The next prepared answer (the last one repeats)."""
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return answer

    def read_upright(self, image: np.ndarray) -> tuple[int, list[TextLine]]:
        """No turn of its own: the reader tells the turn from the lines."""
        return 0, self.read(image)


SAMPLES_MISSING = (
    "OCR sample photos not found: set BORDERPASS_OCR_SAMPLES to a folder holding truth.json "
    "and the photos (default ../shared/ocr-samples beside the clone); the reader is still "
    "tested on generated documents in tests/ocr/test_generalise.py"
)


def samples_dir() -> Path | None:
    """The OCR sample photos: $BORDERPASS_OCR_SAMPLES or ../shared/ocr-samples."""
    configured = os.environ.get("BORDERPASS_OCR_SAMPLES")
    path = Path(configured) if configured else REPO.parent / "shared" / "ocr-samples"
    return path if (path / "truth.json").is_file() else None


class _LocalRapidOcr:
    """Stand-in over the rapidocr package until the product's engine module exists."""

    name = "rapidocr-local"

    def __init__(self) -> None:
        from rapidocr import RapidOCR

        self._ocr = RapidOCR(
            params={
                "Global.log_level": "warning",
                "Global.use_cls": True,
                "Det.limit_side_len": 960,
                "Det.limit_type": "max",
            }
        )

    def read_upright(self, image: np.ndarray) -> tuple[int, list[TextLine]]:
        """No turn of its own: the reader tells the turn from the lines."""
        return 0, self.read(image)

    def read(self, image: np.ndarray, upright: bool = False) -> list[TextLine]:
        """Read an RGB image (rapidocr wants BGR)."""
        result: Any = self._ocr(np.ascontiguousarray(image[:, :, ::-1]))
        if result.boxes is None:
            return []
        out = []
        for box, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
            (a, b, c, d) = [(float(x), float(y)) for x, y in box]
            out.append(TextLine(text, (a, b, c, d), float(score)))
        return out


@functools.cache
def make_engine() -> OcrEngine:
    """The product's rapidocr engine if present, else the local stand-in; one per process."""
    try:
        from borderpass.ocr.engines import make_engine as product_engine
    except ImportError:
        return _LocalRapidOcr()
    return product_engine("rapidocr")
