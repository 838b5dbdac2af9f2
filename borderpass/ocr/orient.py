"""Turning a photo upright (0/90/180/270) from the geometry and sense of one reading.

Detection boxes tell the axis of the text lines: long boxes standing up mean the photo
lies on its side (90 or 270), lying down mean upright or upside down (0 or 180). Which
of the two is decided by the document itself: the boxes are mapped into each candidate
frame and parsed, and the frame where labels are followed by well-formed values wins
(an upside-down page puts every value left of its label). The image is re-read only
when that first reading makes no sense in any frame, e.g. an engine without a text
direction classifier that read upside-down lines as noise. An engine that turns the photo
itself before reading (:mod:`borderpass.ocr.direction`) hands the reader lines that make
sense in the frame it chose, so the same check confirms its choice at no cost.

``angle`` is how far the photo was turned counter-clockwise from upright.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from borderpass.ocr.engine import Point, TextLine

ANGLES = (0, 90, 180, 270)


def text_axis(lines: Sequence[TextLine]) -> str:
    """'horizontal' or 'vertical': the direction most long text boxes run along."""
    return box_axis([line.box for line in lines], [max(len(line.text), 1) for line in lines])


def box_axis(boxes: Sequence[Sequence[Point]], lengths: Sequence[int] | None = None) -> str:
    """'horizontal' or 'vertical' from boxes alone (4 corners each, clockwise), each long box
    voting with its length, times the square root of its text length when known."""
    votes = {"horizontal": 0.0, "vertical": 0.0}
    for index, box in enumerate(boxes):
        (x0, y0), (x1, y1), (x2, y2) = box[0], box[1], box[2]
        top, side = math.hypot(x1 - x0, y1 - y0), math.hypot(x2 - x1, y2 - y1)
        long_side, short_side = max(top, side), min(top, side)
        if long_side < 1.5 * max(short_side, 1.0):
            continue  # one or two characters: square boxes say nothing
        along = (x1 - x0, y1 - y0) if top >= side else (x2 - x1, y2 - y1)
        axis = "horizontal" if abs(along[0]) >= abs(along[1]) else "vertical"
        votes[axis] += long_side * (lengths[index] ** 0.5 if lengths else 1.0)
    return "vertical" if votes["vertical"] > votes["horizontal"] else "horizontal"


def candidates(lines: Sequence[TextLine]) -> tuple[int, int]:
    """The two angles the text axis allows, the likelier (by convention) first."""
    return (0, 180) if text_axis(lines) == "horizontal" else (90, 270)


def _undo(point: Point, angle: int, width: int, height: int) -> Point:
    """Map a point of a photo turned ``angle`` CCW (size width×height) to the upright page."""
    x, y = point
    if angle == 90:
        return (height - y, x)
    if angle == 180:
        return (width - x, height - y)
    if angle == 270:
        return (y, width - x)
    return (x, y)


def _clockwise(points: list[Point]) -> tuple[Point, Point, Point, Point]:
    """Order four corners clockwise from the top-left, as engines give boxes."""
    cx = sum(p[0] for p in points) / 4
    cy = sum(p[1] for p in points) / 4
    ordered = sorted(points, key=lambda p: math.atan2(p[1] - cy, p[0] - cx))
    start = min(range(4), key=lambda i: ordered[i][0] + ordered[i][1])
    rot = ordered[start:] + ordered[:start]
    return (rot[0], rot[1], rot[2], rot[3])


def upright_lines(
    lines: Sequence[TextLine], angle: int, width: int, height: int
) -> list[TextLine]:
    """The lines of a photo turned ``angle`` CCW, with boxes in the upright page's frame."""
    if angle == 0:
        return list(lines)
    return [
        TextLine(
            line.text,
            _clockwise([_undo(p, angle, width, height) for p in line.box]),
            line.score,
            line.doubts,
        )
        for line in lines
    ]


def upright_image(image: np.ndarray, angle: int) -> np.ndarray:
    """The photo turned back clockwise by ``angle`` (lossless quarter turns)."""
    turns = (angle // 90) % 4
    if turns == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=-turns))


def text_quality(lines: Sequence[TextLine]) -> float:
    """Length-weighted mean recognition score: low when lines were read upside down."""
    weights = [(len(line.text.strip()), line.score) for line in lines]
    total = sum(n for n, _ in weights)
    return sum(n * s for n, s in weights) / total if total else 0.0
