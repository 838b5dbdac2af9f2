"""WeChat's size limits on the texts the bot sends, kept by construction: one function splits
a reply into a passive reply (≤ 2,048 UTF-8 bytes, ending "more follows") and the
customer-service messages that carry the rest, in order (issue #18: the Burmese credit
commitment is 4,406 bytes and must be read whole before it is accepted).

Texts are cut at a paragraph, else a line, else a space, else between characters — never
inside a Myanmar syllable (before a combining sign or after the stacking virama U+1039).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from borderpass.bot import texts as T
from borderpass.core.i18n import translate

PASSIVE_MAX_BYTES = 2048  # passive text reply (被动回复)
CUSTOM_MAX_BYTES = 2048  # customer-service text (客服消息), kept to the same bound
_VIRAMA, _JOINERS = "\u1039", "\u200c\u200d"


def size(text: str) -> int:
    """UTF-8 bytes, as WeChat counts them."""
    return len(text.encode())


def _safe_cut(text: str, end: int) -> int:
    """The largest index ≤ ``end`` that does not split a grapheme or a Myanmar syllable."""
    while end > 1:
        after = text[end] if end < len(text) else ""
        joined = bool(after) and (unicodedata.category(after).startswith("M")
                                  or after in _JOINERS)
        if not joined and text[end - 1] not in _VIRAMA + _JOINERS:
            break
        end -= 1
    return end


def _cut(text: str, limit: int) -> int:
    """Where to end the first chunk of ``text`` so it holds at most ``limit`` bytes."""
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix within the limit
        mid = (lo + hi + 1) // 2
        if size(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    head = text[:lo]
    for sep in ("\n\n", "\n", " ", "。", "။", "၊"):
        at = head.rfind(sep)
        if at > lo // 3:  # a break in the last two thirds, so chunks stay full enough
            return at + len(sep)
    return _safe_cut(text, lo)


def split_text(text: str, limit: int = CUSTOM_MAX_BYTES) -> list[str]:
    """``text`` as chunks of at most ``limit`` bytes whose concatenation is ``text``."""
    chunks: list[str] = []
    while size(text) > limit:
        end = max(_cut(text, limit), 1)
        chunks.append(text[:end])
        text = text[end:]
    if text or not chunks:
        chunks.append(text)
    return chunks


@dataclass
class Fitted:
    """A reply within the limits: the passive text and the pushes that follow it, in order."""

    passive: str | None
    follow_up: list[str] = field(default_factory=list)


def more_follows(locale: str) -> str:
    """The line that ends a passive reply whose rest comes as customer-service messages."""
    return translate(T.MORE_FOLLOWS, locale)


def fit(text: str | None, locale: str, follow_up: list[str] | None = None) -> Fitted:
    """Split ``text`` into a passive reply ≤ 2,048 bytes and pushes ≤ 2,048 bytes each."""
    rest = [part for item in follow_up or [] for part in split_text(item)]
    if text is None or size(text) <= PASSIVE_MAX_BYTES:
        return Fitted(text, rest)
    marker = "\n" + more_follows(locale)
    head = split_text(text, PASSIVE_MAX_BYTES - size(marker))[0]
    tail = split_text(text[len(head):].lstrip("\n"))
    return Fitted(head.rstrip() + marker, tail + rest)
