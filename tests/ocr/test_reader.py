"""Reading accuracy over the DEV sample photos, per level, with floors that catch regressions.

Targets of issue 3 are ≥ 98 % exact fields on upright photos and ≥ 95 % on turned ones
(bench/ocr.py measures them); the floors here sit a little below what the reader reaches,
so engine noise does not make the suite flaky but a real regression fails it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ocr_helpers import SAMPLES_MISSING, make_engine, samples_dir
from PIL import Image

from borderpass.ocr import trust
from borderpass.ocr.reader import read_document

pytest.importorskip("rapidocr")
SAMPLES = samples_dir()
# Reading all 192 photos (re-readings included) is one fixture: on a loaded 2-core host it
# takes over the suite's 300 s per test.
pytestmark = [pytest.mark.skipif(SAMPLES is None, reason=SAMPLES_MISSING),
              pytest.mark.timeout(900)]
FLOORS = {"clean": 0.97, "mild": 0.97, "hard": 0.97, "lowres": 0.9, "rot90": 0.96, "rot180": 0.96,
          "phone": 0.97, "dim": 0.97}
DEV_SEEDS = frozenset({0, 1, 4, 5})  # the prefill threshold was calibrated on these
UPRIGHT_FLOOR = 0.975  # clean, mild, hard and lowres together; the target is 0.98


@pytest.fixture(scope="module")
def outcomes() -> dict[str, list[tuple[str, str, Any, Any, int, int, float, int]]]:
    """Every sample read once: per level, (file, field, want, got, angle, expected angle,
    confidence, seed)."""
    assert SAMPLES is not None
    engine = make_engine()
    truth = json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8"))["images"]
    by_level: dict[str, list[tuple[str, str, Any, Any, int, int, float, int]]] = defaultdict(
        list)
    for entry in truth:
        image = np.asarray(Image.open(Path(SAMPLES) / entry["file"]).convert("RGB"))
        result = read_document(entry["kind"], image, engine)
        turn = {"rot90": 90, "rot180": 180}.get(entry["level"], 0)
        for name, want in entry["fields"].items():
            got, confidence = result.fields[name].value, result.fields[name].confidence
            by_level[entry["level"]].append((entry["file"], name, want, got, result.angle, turn,
                                             confidence, entry["seed"]))
    return by_level


@pytest.mark.parametrize("level", sorted(FLOORS))
def test_exact_fields_per_level(level: str, outcomes: dict[str, list[Any]]) -> None:
    rows = outcomes[level]
    assert rows, f"no samples of level {level}"
    wrong = [(f, name, want, got) for f, name, want, got, *_ in rows if want != got]
    share = 1 - len(wrong) / len(rows)
    assert share >= FLOORS[level], f"{level}: {share:.1%} exact; wrong: {wrong}"


def test_exact_fields_upright_overall(outcomes: dict[str, list[Any]]) -> None:
    rows = [row for level in ("clean", "mild", "hard", "lowres") for row in outcomes[level]]
    share = sum(row[2] == row[3] for row in rows) / len(rows)
    assert share >= UPRIGHT_FLOOR, f"upright: {share:.1%} exact"


def test_every_photo_is_turned_upright(outcomes: dict[str, list[Any]]) -> None:
    turned_wrong = {row[0] for rows in outcomes.values() for row in rows if row[4] != row[5]}
    assert not turned_wrong


def test_no_wrong_value_is_sure_enough_to_prefill(outcomes: dict[str, list[Any]]) -> None:
    """R-P5: a wrong value at or above the prefill threshold is a silent error. None on the
    seeds the threshold was calibrated on; on the held-out seeds at most 0.3 % of fields."""
    rows = [row for level in outcomes.values() for row in level]
    silent = [row for row in rows
              if row[3] is not None and row[3] != row[2] and row[6] >= trust.PREFILL_THRESHOLD]
    dev = [row for row in silent if row[7] in DEV_SEEDS]
    assert len(dev) <= 1, f"silent errors on DEV seeds: {silent}"
    assert len(silent) <= 0.003 * len(rows), f"silent errors: {silent}"
