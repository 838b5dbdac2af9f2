"""Reading accuracy over the sample photos, per level, with floors that catch regressions.

Targets (issues #3 and #25: ≥ 98 % exact fields upright, ≥ 95 % turned, no silent error)
are measured by bench/ocr.py on all 192 photos. Reading them all here took 10–15 minutes
on a loaded 2-core host, so the tests read one photo per kind and level — the seed turning
with kind and level, so every seed and every kind/level pair is read — plus the photos on
which issue #25's silent errors were seen. ``BORDERPASS_OCR_ALL_SAMPLES=1`` reads all 192.
The floors sit a little below what the reader reaches, so engine noise does not make the
suite flaky but a real regression fails it; the engine is built once per session.
"""

from __future__ import annotations

import json
import os
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
# The fixture reads ~52 photos (about a minute of CPU): on a host shared by eight busy
# processes that is up to four minutes, near the suite's 300 s per test.
pytestmark = [pytest.mark.skipif(SAMPLES is None, reason=SAMPLES_MISSING),
              pytest.mark.timeout(600)]
# On the photos read here: 38 fields a level, so one wrong field is 97.4 %. The `phone`
# photos read include a permit whose sex line the detector never sees and the address
# read 景颜族 (returned flagged): two wrong fields, 94.7 %.
FLOORS = {"clean": 0.97, "mild": 0.97, "hard": 0.97, "lowres": 0.9, "rot90": 0.96, "rot180": 0.96,
          "phone": 0.94, "dim": 0.97}
UPRIGHT_FLOOR = 0.975  # clean, mild, hard and lowres together; the target is 0.98
HAND_HELD = ("phone", "dim")  # seeds 4–7; the other levels have seeds 0–3
# Where the recogniser was sure of a wrong value (issue #25): 乔宏琰 read 乔宏琐 at 0.98–0.99
# on a card and a licence, the permit's sex line read as its name, 景颇族 read 景颜族.
SILENT_BEFORE = frozenset({"id_card_front_lowres_s2.jpg", "driving_licence_lowres_s2.jpg",
                           "exit_entry_permit_lowres_s3.jpg", "vehicle_licence_phone_s5.jpg"})
Row = tuple[str, str, Any, Any, int, int, float, list[str]]
ALL = os.environ.get("BORDERPASS_OCR_ALL_SAMPLES") == "1"
TRUTH: dict[str, Any] = (
    json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8")) if SAMPLES else {})


def _seed_turn(entry: dict[str, Any]) -> bool:
    """One seed per kind and level, turning with both, so that every seed is read."""
    turn = (TRUTH["kinds"].index(entry["kind"]) + TRUTH["levels"].index(entry["level"])) % 4
    return bool(entry["seed"] == turn + (4 if entry["level"] in HAND_HELD else 0))


def _fair(rows: list[Row]) -> list[Row]:
    """Rows of photos chosen by seed: accuracy is not judged on the hard cases added for
    the silent-error test (unless every photo is read)."""
    chosen = {e["file"] for e in TRUTH["images"] if ALL or _seed_turn(e)}
    return [row for row in rows if row[0] in chosen]


@pytest.fixture(scope="module")
def outcomes() -> dict[str, list[Row]]:
    """The chosen samples read once: per level, (file, field, want, got, angle, expected
    angle, confidence, warnings)."""
    assert SAMPLES is not None
    engine = make_engine()
    by_level: dict[str, list[Row]] = defaultdict(list)
    for entry in TRUTH["images"]:
        if not (ALL or _seed_turn(entry) or entry["file"] in SILENT_BEFORE):
            continue
        image = np.asarray(Image.open(Path(SAMPLES) / entry["file"]).convert("RGB"))
        result = read_document(entry["kind"], image, engine)
        turn = {"rot90": 90, "rot180": 180}.get(entry["level"], 0)
        for name, want in entry["fields"].items():
            got = result.fields[name]
            by_level[entry["level"]].append((entry["file"], name, want, got.value, result.angle,
                                             turn, got.confidence, got.warnings))
    return by_level


def test_every_kind_level_and_seed_is_read(outcomes: dict[str, list[Row]]) -> None:
    files = {row[0] for rows in outcomes.values() for row in rows}
    assert len(outcomes) == len(FLOORS)
    assert {int(name.rsplit("_s", 1)[1][0]) for name in files} == set(range(8))
    assert {name.rsplit("_", 1)[0] for name in files} == {
        f"{kind}_{level}" for kind in TRUTH["kinds"] for level in FLOORS}


@pytest.mark.parametrize("level", sorted(FLOORS))
def test_exact_fields_per_level(level: str, outcomes: dict[str, list[Row]]) -> None:
    rows = _fair(outcomes[level])
    assert rows, f"no samples of level {level}"
    wrong = [(f, name, want, got) for f, name, want, got, *_ in rows if want != got]
    share = 1 - len(wrong) / len(rows)
    assert share >= FLOORS[level], f"{level}: {share:.1%} exact; wrong: {wrong}"


def test_exact_fields_upright_overall(outcomes: dict[str, list[Row]]) -> None:
    rows = _fair([row for level in ("clean", "mild", "hard", "lowres")
                  for row in outcomes[level]])
    share = sum(row[2] == row[3] for row in rows) / len(rows)
    assert share >= UPRIGHT_FLOOR, f"upright: {share:.1%} exact"


def test_every_photo_is_turned_upright(outcomes: dict[str, list[Row]]) -> None:
    turned_wrong = {row[0] for rows in outcomes.values() for row in rows if row[4] != row[5]}
    assert not turned_wrong


def test_no_wrong_value_is_sure_enough_to_prefill(outcomes: dict[str, list[Row]]) -> None:
    """R-P5: a wrong value at or above the prefill threshold is a silent error; none, on
    the photos where the recogniser was sure of a wrong value before either."""
    rows = [row for level in outcomes.values() for row in level]
    assert {row[0] for row in rows} >= SILENT_BEFORE
    silent = [row for row in rows
              if row[3] is not None and row[3] != row[2] and row[6] >= trust.PREFILL_THRESHOLD]
    assert not silent, f"silent errors: {silent}"
    for row in rows:
        if row[3] is not None and row[3] != row[2]:
            assert row[7], f"a wrong value without a warning: {row}"
