"""Which way up a photo lies, from a glance instead of a full reading.

Text boxes found on a small copy of the photo give the axis of the lines (upright or
upside down against lying on a side, see :func:`orient.box_axis`); a 0/180° text-line
classifier, shown the longest lines turned as if the page were upright, tells which of
the two. That costs a small detection and one or two classifier batches, where telling
the turn by reading the page costs a reading per candidate frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, TypeVar

import cv2
import numpy as np

from borderpass.ocr import orient
from borderpass.ocr.engine import Point, TextLine

# Lines shown to the classifier: the longest ones say the most and a dozen is two batches.
CHECKED_LINES = 12
# A box this much longer than high is a line of several characters (the classifier is
# unreliable on one or two).
_LONG = 2.0

Classify = Callable[[list[np.ndarray]], Sequence[tuple[str, float]]]
Found = TypeVar("Found", bound=Collection[Any])  # an engine's own text boxes


def _extent(box: Sequence[Point]) -> tuple[float, float]:
    """Long and short side of a box (corners clockwise)."""
    xs, ys = [p[0] for p in box], [p[1] for p in box]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    return max(width, height), min(width, height)


def line_crops(
    image: np.ndarray, boxes: Sequence[Sequence[Point]], base: int, count: int = CHECKED_LINES
) -> list[np.ndarray]:
    """The longest lines' pixels, turned clockwise by ``base`` (0 or 90): upright crops if
    the photo is turned ``base``, upside-down ones if it is turned ``base`` + 180."""
    long_boxes = [box for box in boxes if _extent(box)[0] >= _LONG * max(_extent(box)[1], 1.0)]
    long_boxes.sort(key=lambda box: -_extent(box)[0])
    height, width = image.shape[:2]
    crops = []
    for box in long_boxes[:count]:
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        x0, x1 = max(int(min(xs)), 0), min(int(max(xs)) + 1, width)
        y0, y1 = max(int(min(ys)), 0), min(int(max(ys)) + 1, height)
        if x1 - x0 >= 4 and y1 - y0 >= 4:
            crops.append(orient.upright_image(image[y0:y1, x0:x1], base))
    return crops


def decide(
    image: np.ndarray, boxes: Sequence[Sequence[Point]], classify: Classify
) -> int | None:
    """The photo's turn (0/90/180/270 CCW) from its text boxes and the line classifier's
    votes (labels "0"/"180" with scores); None without long lines to judge by."""
    base = 0 if orient.box_axis(boxes) == "horizontal" else 90
    crops = line_crops(image, boxes, base)
    if not crops:
        return None
    votes = sum(score if "180" in label else -score for label, score in classify(crops))
    return base + 180 if votes > 0 else base


def read_turned(
    bgr: np.ndarray,
    detect: Callable[[np.ndarray], Found],
    corners: Callable[[Any], Sequence[Point]],
    classify: Classify,
    recognise: Callable[[np.ndarray, Found], list[TextLine]],
    as_given: Callable[[], list[TextLine]],
) -> tuple[int, list[TextLine]]:
    """An engine's upright reading: detect lines once, tell the turn from them, detect a
    turned photo again upright (boxes found on turned text fit its lines less well), then
    recognise each line once; ``as_given`` reads a photo with no long line to judge by."""
    found = detect(bgr)
    if len(found) == 0:
        return 0, []
    turn = decide(bgr, [corners(box) for box in found], classify)
    if turn is None:
        return 0, as_given()
    if turn:
        bgr = orient.upright_image(bgr, turn)
        found = detect(bgr)
    return turn, recognise(bgr, found)


class LineClassifier:
    """The 0/180° text-line classifier of PP-OCR (the ONNX file in rapidocr's wheel) on
    onnxruntime, for engines that bring none of their own."""

    LABELS = ("0", "180")
    SHAPE = (48, 192)  # height, width the model takes

    def __init__(self, model: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name

    def __call__(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Label and score of each BGR crop."""
        if not crops:
            return []
        batch = np.stack([self._normalise(crop) for crop in crops])
        probs = self._session.run(None, {self._input: batch})[0]
        return [(self.LABELS[int(p.argmax())], float(p.max())) for p in probs]

    def _normalise(self, crop: np.ndarray) -> np.ndarray:
        """Scaled to the model's height (width capped), left-aligned, values in [-1, 1]."""
        height, width = self.SHAPE
        scaled = min(width, max(1, math.ceil(height * crop.shape[1] / crop.shape[0])))
        pixels = cv2.resize(crop, (scaled, height)).astype(np.float32)
        out = np.zeros((3, height, width), np.float32)
        out[:, :, :scaled] = pixels.transpose(2, 0, 1) / 127.5 - 1.0
        return out
