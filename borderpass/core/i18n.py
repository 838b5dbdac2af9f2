"""Locales: gettext catalogs from ``borderpass/locales`` (zh_CN is the source language).

The ``.po`` files are compiled in memory at start-up with Babel, so no build step
and no committed ``.mo`` files are needed.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("zh_CN", "my", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locales"

_ALIASES = {"zh": "zh_CN", "zh_cn": "zh_CN", "zh_hans": "zh_CN", "my": "my", "my_mm": "my",
            "en": "en", "en_us": "en", "en_gb": "en"}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalog of one locale (the source language needs none)."""
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def normalize_locale(value: str | None) -> str | None:
    """Map 'zh-CN', 'en-US', 'my_MM' … onto one of LOCALES, or None."""
    if not value:
        return None
    key = value.strip().replace("-", "_").lower()
    return _ALIASES.get(key) or _ALIASES.get(key.split("_")[0])


def negotiate(accept_language: str | None) -> str:
    """Pick the best supported locale from an Accept-Language header."""
    if accept_language:
        weighted: list[tuple[float, str]] = []
        for part in accept_language.split(","):
            tag, _, q = part.strip().partition(";q=")
            try:
                weight = float(q) if q else 1.0
            except ValueError:
                weight = 0.0
            loc = normalize_locale(tag)
            if loc:
                weighted.append((weight, loc))
        if weighted:
            return max(weighted, key=lambda item: item[0])[1]
    return DEFAULT_LOCALE


def translate(message: str, locale: str, **params: Any) -> str:
    """Translate a source (Chinese) message into ``locale`` and fill its {placeholders}."""
    text = translations(locale if locale in LOCALES else DEFAULT_LOCALE).gettext(message)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text
