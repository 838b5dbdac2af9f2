"""Shorten text to a subscribe-field limit without splitting a character, syllable or word."""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"
_JOINERS = frozenset("\u200c\u200d\u2060")  # ZWNJ, ZWJ, word joiner
_MY_ASAT, _MY_VIRAMA = "\u103a", "\u1039"  # Myanmar killer and stacking sign
_TRAILING = " \t\n,.;:!?，。；：、！？·-–—(（[【「《"
# A break this close to the end of the room is worth keeping a word whole for.
WORD_SHARE = 0.6


def _attached(ch: str) -> bool:
    """True for a code point that belongs to the one before it (a mark or a joiner)."""
    return unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in _JOINERS \
        or "\ufe00" <= ch <= "\ufe0f"


def _closes_syllable(text: str, i: int) -> bool:
    """Burmese: a consonant carrying asat (or a stacking sign) ends the syllable before it."""
    j = i + 1
    while j < len(text) and _attached(text[j]):
        if text[j] in (_MY_ASAT, _MY_VIRAMA):
            return True
        j += 1
    return False


def is_break(text: str, i: int) -> bool:
    """True when ``text`` may be cut before index ``i`` without breaking a cluster."""
    if i <= 0 or i >= len(text):
        return True
    ch, prev = text[i], text[i - 1]
    if _attached(ch) or prev in _JOINERS or prev == _MY_VIRAMA:
        return False
    return not ("\u1000" <= ch <= "\u109f" and _closes_syllable(text, i))


def fit(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else a clean cut ending in an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    breaks = [i for i in range(room, 0, -1) if is_break(text, i)]
    if not breaks:
        return ELLIPSIS
    words = [i for i in breaks if text[i] == " " or text[i - 1] == " "]
    cut = words[0] if words and words[0] >= room * WORD_SHARE else breaks[0]
    head = text[:cut].rstrip(_TRAILING)
    return (head or text[:breaks[0]]) + ELLIPSIS
