"""Hand-held photos: the card's outline is found and its perspective flattened."""

from __future__ import annotations

import numpy as np
import pytest

from borderpass.ocr import card

cv2 = pytest.importorskip("cv2")
CORNERS = np.array([[150, 120], [820, 60], [860, 560], [110, 500]], dtype=np.float32)


def _photo(dim: bool = False) -> np.ndarray:
    """A light card held at an angle over a dark, textured table."""
    rng = np.random.default_rng(3)
    photo = rng.integers(40, 90, (700, 1000, 3), dtype=np.uint8)
    cv2.fillPoly(photo, [CORNERS.astype(np.int32)], (235, 235, 228))
    cv2.putText(photo, "LINE 1234", (300, 300), cv2.FONT_HERSHEY_SIMPLEX, 2, (20, 20, 20), 4)
    return (photo * 0.45).astype(np.uint8) if dim else photo


def test_the_card_outline_is_found_corner_by_corner() -> None:
    found = card.find_card(_photo())
    assert found is not None
    assert np.abs(found - CORNERS).max() < 12  # pixels, on a 1000-pixel photo


def test_the_flattened_card_is_a_rectangle_of_the_card_alone() -> None:
    flat = card.rectified(_photo())
    assert flat is not None
    height, width = flat.shape[:2]
    assert max(height, width) == 1280 and 1.2 < width / height < 1.6
    # Corners of the flattened photo are card, not table.
    assert flat[30, 30].mean() > 180 and flat[-30, -30].mean() > 180


def test_a_dim_card_is_brightened() -> None:
    dim = _photo(dim=True)
    assert card.is_dim(dim)
    flat = card.rectified(dim)
    assert flat is not None and np.percentile(flat.mean(axis=2), 95) > 150


def test_no_outline_no_guess() -> None:
    flat_scan = np.full((600, 900, 3), 235, np.uint8)  # a scan: the card is the whole photo
    assert card.find_card(flat_scan) is None
    assert card.rectified(np.zeros((600, 900, 3), np.uint8)) is None


def test_the_flattening_says_how_much_it_enlarged_the_print() -> None:
    found = card.rectify(_photo())
    assert found is not None
    flat, scale = found
    long_side = float(np.linalg.norm(CORNERS[2] - CORNERS[3]))  # the card's longest edge
    assert scale == pytest.approx(max(flat.shape[:2]) / long_side, rel=0.03)
