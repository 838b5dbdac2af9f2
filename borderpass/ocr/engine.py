"""The OCR engine interface: an image in, text lines with box and score out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

Point = tuple[float, float]


@dataclass(frozen=True)
class TextLine:
    """One detected line of text: its content, quadrilateral box (4 points, clockwise
    from top-left, in pixels of the image given to the engine) and recognition score;
    ``doubts`` names the recogniser's runner-up for characters it was not sure of:
    (index in ``text``, character, probability), for checks that know the value's form."""

    text: str
    box: tuple[Point, Point, Point, Point]
    score: float
    doubts: tuple[tuple[int, str, float], ...] = ()


class OcrEngine(Protocol):
    """What every engine (rapidocr, paddleocr) provides."""

    name: str

    def read(self, image: np.ndarray, upright: bool = False) -> list[TextLine]:
        """Read all text lines of an RGB uint8 image of shape (h, w, 3); ``upright`` says the
        caller has turned the photo upright, so lines need no 0/180° check of their own."""
        ...

    def read_upright(self, image: np.ndarray) -> tuple[int, list[TextLine]]:
        """Turn the photo upright and read it: how far it was turned counter-clockwise
        (0, 90, 180 or 270) and its lines, boxes in the frame of the photo turned back."""
        ...
