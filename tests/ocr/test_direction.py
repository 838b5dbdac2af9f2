"""Telling a photo's turn from its text boxes and a line classifier; the reader trusting it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from ocr_helpers import FakeEngine, line, turned
from ocr_pages import ID, id_front

from borderpass.ocr import direction, orient
from borderpass.ocr.engine import TextLine
from borderpass.ocr.reader import read_document

WIDTH, HEIGHT = 900, 500


def _photo(angle: int) -> tuple[np.ndarray, list[TextLine]]:
    """A page whose text rows are dark on the left half of each line (so a crop shows
    which way it runs), turned ``angle`` CCW, with its lines' boxes on the photo."""
    page = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
    lines = id_front()
    for item in lines:
        (x0, y0), (x1, _), (_, y1), _ = item.box
        page[int(y0) : int(y1), int(x0) : int((x0 + x1) / 2)] = 0
    photo = np.ascontiguousarray(np.rot90(page, k=angle // 90))
    return photo, turned(lines, angle, WIDTH, HEIGHT)


def _classify(crops: list[np.ndarray]) -> Sequence[tuple[str, float]]:
    """A stand-in line classifier: upright when the ink sits on the crop's left half."""
    out = []
    for crop in crops:
        half = crop.shape[1] // 2
        left, right = crop[:, :half].mean(), crop[:, half:].mean()
        out.append(("0", 0.95) if left < right else ("180", 0.95))
    return out


@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_decide_tells_each_quarter_turn(angle: int) -> None:
    photo, lines = _photo(angle)
    assert direction.decide(photo, [item.box for item in lines], _classify) == angle


def test_only_long_lines_are_shown_to_the_classifier() -> None:
    photo, lines = _photo(0)
    seen: list[np.ndarray] = []

    def spy(crops: list[np.ndarray]) -> Sequence[tuple[str, float]]:
        seen.extend(crops)
        return _classify(crops)

    direction.decide(photo, [item.box for item in lines], spy)
    assert 0 < len(seen) <= direction.CHECKED_LINES
    assert all(crop.shape[1] >= 2 * crop.shape[0] for crop in seen)


def test_no_long_line_means_no_decision() -> None:
    square = [line("男", 10, 10).box, line("女", 60, 10).box]
    photo = np.full((100, 100, 3), 255, np.uint8)
    assert direction.decide(photo, square, _classify) is None


def test_box_axis_ignores_square_boxes() -> None:
    boxes = [line("ABCDEFGH", 0, 0).box] + [line("男", 0, 50 * i).box for i in range(20)]
    assert orient.box_axis(boxes) == "horizontal"


class _TurningEngine(FakeEngine):
    """An engine that turns photos itself: it answers upright lines and the turn."""

    def __init__(self, turn: int, *answers: Sequence[TextLine]) -> None:
        super().__init__(*answers)
        self.turn = turn

    def read_upright(self, image: np.ndarray) -> tuple[int, list[TextLine]]:
        """The prepared (upright) lines and the prepared turn."""
        return self.turn, self.read(image)


@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_reader_takes_the_engines_turn_with_one_reading(angle: int) -> None:
    engine = _TurningEngine(angle, id_front())
    shape = (HEIGHT, WIDTH, 3) if angle in (0, 180) else (WIDTH, HEIGHT, 3)
    result = read_document("id_card_front", np.zeros(shape, np.uint8), engine)
    assert (result.angle, result.fields["id_number"].value) == (angle, ID)
    assert engine.calls == 1


def test_reader_corrects_a_wrong_turn_by_the_sense_of_the_lines() -> None:
    # The engine said upright, but its lines only make sense upside down.
    engine = _TurningEngine(0, turned(id_front(), 180, WIDTH, HEIGHT), id_front())
    result = read_document("id_card_front", np.zeros((HEIGHT, WIDTH, 3), np.uint8), engine)
    assert (result.angle, result.fields["id_number"].value) == (180, ID)
