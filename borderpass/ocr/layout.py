"""Geometry of a read page: deskewed lines, rows, label → value by position, multi-line values.

Parsers never use fixed pixel positions: a value is found next to (right of or below) its
printed label, measured in units of the label's own text height, so any scale, crop or
slight skew of the photo reads the same.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from borderpass.ocr.engine import TextLine

_SPACE = re.compile(r"\s+")
# English caption words printed under or after the Chinese labels (never values).
_CELL_GAP = 3.0  # text heights of empty space that separate two cells of a row
_CAPTION = re.compile(r"^[A-Za-z][A-Za-z .'’/-]*$")


@dataclass(frozen=True)
class Line:
    """One text line in the upright, deskewed frame of the document."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    score: float

    @property
    def h(self) -> float:
        """Text height, the unit every distance is measured in."""
        return max(self.y1 - self.y0, 1.0)

    @property
    def cy(self) -> float:
        """Vertical centre, what rows are grouped by."""
        return (self.y0 + self.y1) / 2

    @property
    def compact(self) -> str:
        """Text without spaces, as labels and values are compared."""
        return _SPACE.sub("", self.text)


def compact(text: str) -> str:
    """Drop all whitespace: OCR inserts spaces between CJK characters at will."""
    return _SPACE.sub("", text)


def is_caption(text: str) -> bool:
    """True for an English caption line ("Date of Birth", "Plate No."), never a value."""
    stripped = text.strip()
    return bool(_CAPTION.match(stripped)) and any(c.islower() for c in stripped)


def _edge_angle(box: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Angle (degrees, folded into (-90, 90]) and length of the longest box edge."""
    best = (0.0, 0.0)
    for i in range(2):
        (ax, ay), (bx, by) = box[i], box[i + 1]
        length = math.hypot(bx - ax, by - ay)
        if length > best[1]:
            angle = math.degrees(math.atan2(by - ay, bx - ax))
            while angle <= -90:
                angle += 180
            while angle > 90:
                angle -= 180
            best = (angle, length)
    return best


def skew_angle(lines: Iterable[TextLine]) -> float:
    """Median angle of the long, clearly horizontal lines: the slant of the photo."""
    angles: list[tuple[float, float]] = []
    for line in lines:
        angle, length = _edge_angle(line.box)
        short = min(math.dist(line.box[1], line.box[2]), math.dist(line.box[0], line.box[1]))
        if length >= 2.5 * max(short, 1.0) and abs(angle) < 30:
            angles.append((angle, length))
    if not angles:
        return 0.0
    angles.sort()
    half = sum(w for _, w in angles) / 2
    acc = 0.0
    for angle, weight in angles:
        acc += weight
        if acc >= half:
            return angle
    return angles[-1][0]


def to_lines(text_lines: Iterable[TextLine], skew: float | None = None) -> list[Line]:
    """Turn engine lines (already upright) into deskewed :class:`Line` s, top to bottom."""
    items = list(text_lines)
    angle = skew_angle(items) if skew is None else skew
    cos, sin = math.cos(math.radians(-angle)), math.sin(math.radians(-angle))
    out = []
    for item in items:
        xs = [x * cos - y * sin for x, y in item.box]
        ys = [x * sin + y * cos for x, y in item.box]
        text = item.text.strip()
        if text:
            out.append(Line(text, min(xs), min(ys), max(xs), max(ys), float(item.score)))
    out.sort(key=lambda line: (line.cy, line.x0))
    return out


def v_overlap(a: Line, b: Line) -> float:
    """Vertical overlap of two lines as a share of the shorter one."""
    inter = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(inter, 0.0) / min(a.h, b.h)


def same_row(a: Line, b: Line, min_overlap: float = 0.4) -> bool:
    """Whether two lines sit on one printed row."""
    return v_overlap(a, b) >= min_overlap


def rows(lines: Sequence[Line]) -> list[list[Line]]:
    """Group lines into printed rows, each sorted left to right, rows top to bottom."""
    grouped: list[list[Line]] = []
    for line in sorted(lines, key=lambda item: item.cy):
        for row in grouped:
            if any(same_row(line, other, 0.5) for other in row):
                row.append(line)
                break
        else:
            grouped.append([line])
    return [sorted(row, key=lambda item: item.x0) for row in grouped]


def right_of(
    label: Line, lines: Sequence[Line], stops: Sequence[Line] = (), gap: float = _CELL_GAP
) -> list[Line]:
    """Lines on the label's row to its right, left to right, up to the next label or gap."""
    limit = min(
        (
            s.x0
            for s in stops
            if s is not label and s.x0 > label.x1 - label.h and same_row(s, label)
        ),
        default=math.inf,
    )
    found = sorted(
        (
            line
            for line in lines
            if line is not label
            and line not in stops
            and line.x0 >= label.x1 - 0.5 * label.h
            and line.x0 < limit
            and same_row(line, label)
            and not is_caption(line.text)
        ),
        key=lambda item: item.x0,
    )
    # A wide gap ends the value: what follows belongs to another cell of the row.
    edge = found[0].x1 if found else label.x1
    for index, line in enumerate(found):
        if index and line.x0 - edge > gap * label.h:
            return found[:index]
        edge = max(edge, line.x1)
    return found


def below(label: Line, lines: Sequence[Line], stops: Sequence[Line] = ()) -> Line | None:
    """The nearest line under the label, starting within its column (label above value)."""
    best: Line | None = None
    for line in lines:
        if line is label or line in stops or is_caption(line.text):
            continue
        gap = line.y0 - label.y1
        aligned = abs(line.x0 - label.x0) < 2.5 * label.h
        if (
            -0.3 * label.h <= gap < 2.5 * label.h
            and aligned
            and (best is None or line.y0 < best.y0)
        ):
            best = line
    return best


def continuation(
    first: Line, lines: Sequence[Line], stops: Sequence[Line] = (), x_start: float | None = None
) -> list[Line]:
    """Lines continuing a value block below ``first`` (an address wrapped over rows)."""
    block = [first]
    left = first.x0 if x_start is None else x_start
    next_stop = min((s.y0 for s in stops if s.y0 > first.y1 - 0.3 * first.h), default=math.inf)
    while True:
        last = block[-1]
        nxt = [
            line
            for line in lines
            if line not in block
            and line not in stops
            and not is_caption(line.text)
            and 0 <= line.y0 - last.y1 + 0.4 * first.h < 1.2 * first.h
            and abs(line.x0 - left) < 1.5 * first.h
            and line.cy < next_stop - 0.3 * first.h
        ]
        if not nxt:
            return block
        block.append(min(nxt, key=lambda item: item.y0))


def join(lines: Iterable[Line]) -> str:
    """Concatenate the texts of a value's lines, whitespace dropped."""
    return "".join(line.compact for line in lines)


def mean_score(lines: Sequence[Line]) -> float:
    """Mean recognition score of the lines a value came from."""
    return sum(line.score for line in lines) / len(lines) if lines else 0.0
