"""Decoding a line recogniser's output with its doubts, and a second look at a hesitant line.

The CTC recogniser gives, for each step of a line crop, a probability per character; its
usual reading keeps the most likely one and scores the line by the mean of their
probabilities, so one character read at 0.5 among twenty at 0.99 leaves a line scored
0.97. Here the reading also keeps, per character, the runner-up and its probability:

- a line with a character whose runner-up reaches :data:`HESITANT` is read again from a
  few other crops of the same box (a pixel or two wider, enlarged 1.5 and 2×) and the
  probabilities of the readings of the same length are averaged per character — small or
  blurred print read one way from one crop and the other way from the next settles on
  the reading most crops agree on;
- a character still hesitant after that caps the line's score at its own probability,
  so a field read from it is never shown as certain (R-P5);
- the runner-ups from :data:`DOUBT` up travel with the line (``TextLine.doubts``) for
  checks that know a value's form (:func:`trust.mend`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

_CJK = re.compile("[\u4e00-\u9fff]")

HESITANT = 0.2  # a runner-up this likely: the character is a guess between two
DOUBT = 0.05  # a runner-up this likely is kept for the checks
_GROW = (1.0, 2.0)  # pixels added around the box for another crop
_ENLARGE = (1.5, 2.0)  # and enlargements of the crop itself

Cropper = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Reading:
    """One line's text with, per character, its probability row (n, C) and the text
    offset of each character."""

    text: str
    rows: np.ndarray
    offsets: tuple[int, ...]
    score: float
    charset: Sequence[str]

    @functools.cached_property
    def _top_two(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per character: its probability, the runner-up's index and probability."""
        if not len(self.rows):
            empty = np.zeros(0)
            return empty, empty.astype(int), empty
        order = _top_three(self.rows)
        first = self.rows[np.arange(len(self.rows)), order[:, 0]]
        # The runner-up is a character, never the blank (index 0).
        second_idx = np.where(order[:, 1] == 0, order[:, 2], order[:, 1])
        second = self.rows[np.arange(len(self.rows)), second_idx]
        return first, second_idx, second

    @property
    def hesitant(self) -> bool:
        """Whether some character's runner-up is nearly as likely as the character."""
        return bool(len(self.rows)) and float(self._top_two[2].max()) >= HESITANT

    @functools.cached_property
    def voted(self) -> np.ndarray:
        """Per character, whether other crops decide it (:func:`reread`): a hesitant Chinese
        character. Letters and digits keep the first crop's reading."""
        second = self._top_two[2]
        return np.array([bool(second[i] >= HESITANT
                              and _CJK.fullmatch(self.charset[int(row.argmax())]))
                         for i, row in enumerate(self.rows)], dtype=bool)

    @property
    def worth_rereading(self) -> bool:
        """Whether other crops could change the reading (a line hesitating only on letters
        or digits would come back as it is, at the cost of four more recognitions)."""
        return bool(self.voted.any())

    @property
    def capped_score(self) -> float:
        """The line's score, no higher than its least sure hesitant character's."""
        first, _, second = self._top_two
        hesitant = first[second >= HESITANT]
        return min(self.score, round(float(hesitant.min()), 5)) if len(hesitant) else self.score

    @property
    def doubts(self) -> tuple[tuple[int, str, float], ...]:
        """(text offset, runner-up character, its probability) from :data:`DOUBT` up."""
        _, second_idx, second = self._top_two
        return tuple(
            (self.offsets[i], self.charset[int(second_idx[i])], round(float(second[i]), 3))
            for i in range(len(self.rows)) if second[i] >= DOUBT
        )


def _top_three(rows: np.ndarray) -> np.ndarray:
    """Per row, the indices of its three largest values, largest first (a partition, not a
    sort of the whole charset: sorting 18,710 columns per character was a quarter of a
    photo's time)."""
    if rows.shape[1] <= 3:
        return np.argsort(-rows, axis=1, kind="stable")
    top = np.argpartition(-rows, 3, axis=1)[:, :3]
    return np.take_along_axis(
        top, np.argsort(-np.take_along_axis(rows, top, axis=1), axis=1, kind="stable"), axis=1)


def decode(probs: np.ndarray, charset: Sequence[str]) -> Reading:
    """Greedy CTC decoding of one line's (T, C) probabilities, as rapidocr does it (repeats
    merged, blanks dropped, score the mean of the kept steps' probabilities)."""
    best = probs.argmax(axis=1)
    keep = best != 0
    keep[1:] &= best[1:] != best[:-1]
    return _reading(probs[keep], charset)


def _reading(rows: np.ndarray, charset: Sequence[str]) -> Reading:
    """A reading of per-character probability rows (blank never chosen)."""
    if not len(rows):
        return Reading("", rows, (), 0.0, charset)
    best = rows.argmax(axis=1)
    choice = np.where(best == 0, _top_three(rows)[:, 1], best)
    chars = [charset[int(i)] for i in choice]
    offsets, at = [], 0
    for char in chars:
        offsets.append(at)
        at += len(char)
    score = round(float(np.mean(np.round(rows[np.arange(len(rows)), choice], 5))), 5)
    return Reading("".join(chars), rows, tuple(offsets), score, charset)


def variants(image: np.ndarray, quad: np.ndarray, crop: np.ndarray,
             cropper: Cropper) -> list[np.ndarray]:
    """Other crops of one text box: the box grown by a pixel or two, the crop enlarged."""
    import cv2

    centre = quad.mean(axis=0)
    out = [cropper(image, (quad + np.sign(quad - centre) * grow).astype(np.float32))
           for grow in _GROW]
    out += [cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
            for factor in _ENLARGE]
    return out


def reread(first: Reading, others: Sequence[np.ndarray], charset: Sequence[str]) -> Reading:
    """``first`` with each hesitant Chinese character decided by the mean of its
    probabilities over the crops whose readings have as many characters (others cannot be
    aligned). Letters and digits keep the first crop's reading: they are narrow, a grown
    or enlarged crop changes what the recogniser sees of their neighbours, and their
    fields have check digits and formats instead."""
    rows = [first.rows]
    for probs in others:
        reading = decode(probs, charset)
        if len(reading.rows) == len(first.rows):
            rows.append(reading.rows)
    if len(rows) == 1:
        return first
    fused = first.rows.copy()
    fused[first.voted] = np.mean(rows, axis=0)[first.voted]
    return _reading(fused, charset)
