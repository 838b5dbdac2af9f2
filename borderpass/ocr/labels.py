"""Finding printed labels in OCR text, tolerant of the slips OCR makes on small print.

A label is matched, in order of trust: exactly (its Chinese words at the start of a
line), by its English caption ("Date of Birth", "性别/Sex"), or with one misread character
(longer labels, or a short label on a line the engine itself was unsure of).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher

from borderpass.ocr.layout import Line, compact

EXACT, CAPTION, FUZZY = 3, 2, 1
# Separators and an English caption following a label on its line: "性别/Sex", "住址:".
_TAIL = re.compile(r"^[:：|]*(?:/[A-Za-z][A-Za-z .'’]*)?[/:：|]*")
_UNSURE = 0.9  # below this recognition score a short label may carry one wrong character


def strip_tail(rest: str) -> str:
    """Drop the separator and English caption after a label, keep any value text."""
    return _TAIL.sub("", rest, count=1) if rest else rest


@functools.lru_cache(maxsize=4096)
def _caption_of(text: str) -> str | None:
    """The English caption of a line ("…/Date of birth" or a whole English line)."""
    head, _, tail = text.partition("/")
    caption = tail if tail else head
    letters = re.sub(r"[^a-z]", "", caption.lower())
    return letters if len(letters) >= 2 and caption.isascii() else None


def _caption_match(text: str, word: str) -> float:
    """Similarity (0–1) of a line's English caption to an English label word."""
    caption = _caption_of(text)
    if caption is None:
        return 0.0
    target = re.sub(r"[^a-z]", "", word.lower())
    if len(target) <= 4:
        return 1.0 if caption == target else 0.0
    if abs(len(caption) - len(target)) > len(target) // 2:
        return 0.0  # cannot reach the threshold: spare the comparison
    ratio = SequenceMatcher(None, caption, target).ratio()
    return ratio if ratio >= 0.8 else 0.0


def _fuzzy(flat: str, word: str, score: float) -> bool:
    """Whether a line starts with ``word`` save one misread character."""
    if len(word) >= 4:
        wrong = sum(a != b for a, b in zip(flat, word, strict=False))
        return len(flat) >= len(word) and wrong <= 1
    head = flat.split("/", 1)[0]
    return (
        len(word) == len(head)
        and score < _UNSURE
        and sum(a != b for a, b in zip(head, word, strict=False)) == 1
    )


def _rest(rest: str, words: Sequence[str]) -> str:
    """Value text after a label, minus an English caption printed without its slash."""
    rest = strip_tail(rest)
    if rest.isascii() and rest:
        folded = re.sub(r"[^a-z]", "", rest.lower().replace("0", "o"))
        for word in words:
            target = re.sub(r"[^a-z]", "", word.lower())
            if word.isascii() and folded and SequenceMatcher(None, folded, target).ratio() >= 0.6:
                return ""
    return rest


def match(line: Line, words: Sequence[str]) -> tuple[int, float, str] | None:
    """How a line matches a label: (trust, similarity, value text after the label)."""
    flat = compact(line.text)
    for word in words:
        if word.isascii():
            continue
        at = flat.find(word)
        if at == 0 or (at == 1 and len(word) >= 2):
            return EXACT, 1.0, _rest(flat[at + len(word) :], words)
    for word in words:
        if word.isascii():
            similarity = _caption_match(line.text, word)
            if similarity:
                return CAPTION, similarity, ""
    for word in words:
        if not word.isascii() and _fuzzy(flat, word, line.score):
            return FUZZY, 0.5, _rest(flat[len(word) :], words)
    return None


def locate(
    lines: Sequence[Line], labels: Mapping[str, Sequence[str]]
) -> dict[str, tuple[Line, str]]:
    """Assign label lines to label keys, most trusted matches first, one line per key."""
    hits = []
    for key, words in labels.items():
        for index, line in enumerate(lines):
            found = match(line, words)
            if found:
                hits.append((found[0], found[1], line.score, key, index, found[2]))
    hits.sort(key=lambda hit: (-hit[0], -hit[1], -hit[2]))
    placed: dict[str, tuple[Line, str]] = {}
    used: set[int] = set()
    for _, _, _, key, index, rest in hits:
        if key not in placed and index not in used:
            placed[key] = (lines[index], rest)
            used.add(index)
    return placed
