"""Printed forms → canonical values: dates, sex, ethnicity, codes; certain OCR slips undone."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# Letters OCR reads in place of digits inside an all-digit context (dates, ID numbers).
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1"})
_DATE = re.compile(r"(\d{4})\s*[年.\-/,，·]\s*(\d{1,2})\s*[月.\-/,，·]\s*(\d{1,2})\s*日?")
_MONTH = re.compile(r"(\d{4})\s*[年.\-/]\s*(\d{1,2})\s*月?")
_LONG_TERM = ("长期", "長期")


def fold(text: str) -> str:
    """Full-width to half-width (NFKC) and whitespace removed, as OCR output varies."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def digits_context(text: str) -> str:
    """Undo letter-for-digit slips; only used where the text must be numeric."""
    return text.translate(_DIGIT_LOOKALIKES)


def _iso(year: str, month: str, day: str) -> str | None:
    """ISO date string if the parts make a real date, else None."""
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def find_dates(text: str) -> list[str | None]:
    """Every date in the text, in order, as ISO strings (None where it is not a real date)."""
    folded = digits_context(fold(text))
    return [_iso(*match.groups()) for match in _DATE.finditer(folded)]


def parse_date(text: str) -> str | None:
    """The first date of the text as 'YYYY-MM-DD' (1990年1月2日, 2015.03.01, 2015-03-01)."""
    found = find_dates(text)
    return found[0] if found else None


def parse_month(text: str) -> str | None:
    """A year and month as 'YYYY-MM' (2019年02月, 2019.02, 2019-02)."""
    match = _MONTH.search(digits_context(fold(text)))
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return f"{match.group(1)}-{int(match.group(2)):02d}"


def is_long_term(text: str) -> bool:
    """Whether a validity end reads 长期 (no expiry)."""
    return any(word in fold(text) for word in _LONG_TERM)


def parse_sex(text: str) -> str | None:
    """男 or 女 from '男', '女/F', 'M'; None if neither can be told."""
    flat = fold(text)
    if "男" in flat and "女" not in flat:
        return "男"
    if "女" in flat and "男" not in flat:
        return "女"
    latin = "".join(c for c in flat if c.isascii() and c.isalpha()).upper()
    return {"M": "男", "F": "女"}.get(latin)


def parse_ethnicity(text: str) -> str | None:
    """Ethnic group as the card prints it, without a trailing 族."""
    flat = "".join(c for c in fold(text) if "\u4e00" <= c <= "\u9fff")
    flat = flat.removesuffix("族")
    return flat or None


def code(text: str) -> str:
    """An alphanumeric code (VIN, engine, licence class): folded, upper case, separators gone."""
    return "".join(c for c in fold(text).upper() if c.isascii() and c.isalnum())


def cjk_text(text: str) -> str:
    """A name, address or authority: folded; stray separators at the ends dropped."""
    return fold(text).strip(":：;；,，.。·-_|/")
