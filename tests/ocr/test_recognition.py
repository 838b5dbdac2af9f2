"""Decoding the recogniser with its doubts, and the second look at a hesitant line
(issue #25: 艾喃 read 艾哺 at 0.50 against 0.46 from small print)."""

from __future__ import annotations

import numpy as np

from borderpass.ocr import recognition

CHARSET = ["blank", "艾", "喃", "哺", "C", "Q", "2", " "]


def _probs(*steps: dict[str, float]) -> np.ndarray:
    """(T, C) probabilities: each step's named characters, the rest of its mass blank."""
    out = np.zeros((len(steps), len(CHARSET)), np.float32)
    for t, step in enumerate(steps):
        for char, p in step.items():
            out[t, CHARSET.index(char)] = p
        out[t, 0] += 1.0 - out[t].sum()
    return out


def test_decode_merges_repeats_drops_blanks_and_keeps_runner_ups() -> None:
    probs = _probs({"艾": 0.99}, {"艾": 0.98}, {}, {"哺": 0.5, "喃": 0.46}, {})
    reading = recognition.decode(probs, CHARSET)
    assert reading.text == "艾哺"
    assert abs(reading.score - (0.99 + 0.5) / 2) < 1e-6  # rapidocr's mean of kept steps
    assert reading.hesitant
    assert reading.capped_score == 0.5  # no surer than its least sure character
    assert reading.doubts == ((1, "喃", 0.46),)


def test_a_sure_reading_keeps_its_score_and_small_doubts() -> None:
    reading = recognition.decode(_probs({"艾": 0.9, "哺": 0.08}, {"喃": 0.99}), CHARSET)
    assert reading.text == "艾喃" and not reading.hesitant
    assert reading.capped_score == reading.score
    assert reading.doubts == ((0, "哺", 0.08),)


def test_other_crops_decide_a_hesitant_chinese_character() -> None:
    first = recognition.decode(_probs({"艾": 0.99}, {"哺": 0.5, "喃": 0.46}), CHARSET)
    others = [_probs({"艾": 0.99}, {"喃": 0.8, "哺": 0.18}),
              _probs({"艾": 0.98}, {"喃": 0.6, "哺": 0.38}),
              _probs({"艾": 0.99}, {}, {"喃": 0.9}, {"2": 0.9})]  # three characters: unaligned
    again = recognition.reread(first, others, CHARSET)
    assert again.text == "艾喃"
    assert again.capped_score < 0.9  # still hesitant after the vote: never certain


def test_letters_and_digits_keep_the_first_crops_reading() -> None:
    # C2 read Q2 from every enlarged crop of a phone photo: narrow glyphs are not voted on.
    first = recognition.decode(_probs({"C": 0.45, "Q": 0.41}, {"2": 0.99}), CHARSET)
    others = [_probs({"Q": 0.9, "C": 0.1}, {"2": 0.99})] * 3
    again = recognition.reread(first, others, CHARSET)
    assert again.text == "C2" and again.capped_score == 0.45
    assert first.hesitant and not first.worth_rereading  # the engine reads no other crop


def test_a_hesitant_chinese_character_is_worth_other_crops() -> None:
    first = recognition.decode(_probs({"C": 0.99}, {"哺": 0.5, "喃": 0.46}), CHARSET)
    assert first.worth_rereading
    sure = recognition.decode(_probs({"艾": 0.9, "哺": 0.08}, {"喃": 0.99}), CHARSET)
    assert not sure.worth_rereading


def test_variants_grow_the_box_and_enlarge_the_crop() -> None:
    image = np.zeros((60, 120, 3), np.uint8)
    quad = np.array([[10, 10], [90, 10], [90, 40], [10, 40]], np.float32)
    seen: list[np.ndarray] = []

    def cropper(img: np.ndarray, box: np.ndarray) -> np.ndarray:
        seen.append(box)
        width, height = np.ptp(box[:, 0]), np.ptp(box[:, 1])
        return np.zeros((int(height), int(width), 3), np.uint8)

    crop = cropper(image, quad)
    out = recognition.variants(image, quad, crop, cropper)
    assert [c.shape[:2] for c in out] == [(32, 82), (34, 84), (45, 120), (60, 160)]
