"""The OCR engine interface: an image in, text lines with box and score out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

Point = tuple[float, float]


@dataclass(frozen=True)
class TextLine:
    """One detected line of text: its content, quadrilateral box (4 points, clockwise
    from top-left, in pixels of the image given to the engine) and recognition score."""

    text: str
    box: tuple[Point, Point, Point, Point]
    score: float


class OcrEngine(Protocol):
    """What every engine (rapidocr, paddleocr) provides."""

    name: str

    def read(self, image: np.ndarray) -> list[TextLine]:
        """Read all text lines of an RGB uint8 image of shape (h, w, 3)."""
        ...
