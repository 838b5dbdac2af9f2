"""Field validators — 字段校验: identity numbers, VINs, plates, credit codes, phones, names, dates.

Pure functions without I/O. Each ``check_*`` normalises what people and OCR actually
produce (full-width characters, spaces, separators, lower case) and either returns the
canonical value or raises :class:`FieldError` with a code and the exact position, so the
door can say precisely what is wrong. Error params never echo a whole identity number
(R-U7: it would end up in logs). ``choice`` and ``found`` give the enum member a request
names or the row a lookup returned, else the error. The ``make_*`` functions build valid
values for tests and demo fixtures.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Literal, TypeVar

from borderpass.core.errors import FieldError, NotFound

__all__ = [
    "IdNumberInfo",
    "check_id_number",
    "check_name",
    "check_phone",
    "check_plate",
    "check_uscc",
    "check_vin",
    "choice",
    "found",
    "make_id_number",
    "make_uscc",
    "make_vin",
    "parse_date",
    "suggest_vin_repairs",
    "vin_check_digit",
]

_DIGITS = "0123456789"


def _compact(value: str, separators: str = "") -> str:
    """Fold full-width forms (NFKC) and drop whitespace and separators, as IME and OCR add them."""
    folded = unicodedata.normalize("NFKC", value)
    return "".join(c for c in folded if not c.isspace() and c not in separators)


# --- Resident identity number — 公民身份号码 (GB 11643-1999) -------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
# GB/T 2260 province-level codes, plus 71 (Taiwan) and 81/82/83 used by residence permits
# for Hong Kong, Macao and Taiwan residents.
_PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
    "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
    "63", "64", "65", "71", "81", "82", "83",
})  # fmt: skip
_OLDEST_BIRTH = date(1900, 1, 1)


@dataclass(frozen=True, slots=True)
class IdNumberInfo:
    """What a valid resident identity number tells: region, birth date and sex."""

    number: str
    region: str
    birth_date: date
    sex: Literal["男", "女"]


def _id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character over the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _id_birth_date(number: str, field: str, today: date) -> date:
    """Birth date at positions 7–14; must exist and lie between 1900 and today."""
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise FieldError("id_birth_date", field, reason="invalid") from None
    if born > today:
        raise FieldError("id_birth_date", field, reason="future")
    if born < _OLDEST_BIRTH:
        raise FieldError("id_birth_date", field, reason="too_old")
    return born


def check_id_number(
    value: str, field: str = "id_number", *, today: date | None = None
) -> IdNumberInfo:
    """Validate an 18-digit resident identity number and decode it, so typos are caught early."""
    number = _compact(value).upper()
    if len(number) != 18:
        raise FieldError("id_length", field, length=len(number), expected=18)
    for pos, char in enumerate(number, start=1):
        if char not in _DIGITS and not (pos == 18 and char == "X"):
            raise FieldError("id_chars", field, position=pos)
    if number[:2] not in _PROVINCE_CODES:
        raise FieldError("id_region", field, region=number[:2])
    born = _id_birth_date(number, field, today or date.today())
    expected = _id_check_char(number[:17])
    if number[17] != expected:
        raise FieldError("id_checksum", field, position=18, expected=expected, found=number[17])
    sex: Literal["男", "女"] = "男" if int(number[16]) % 2 else "女"
    return IdNumberInfo(number=number, region=number[:6], birth_date=born, sex=sex)


def make_id_number(region: str, birth: date, seq: int) -> str:
    """Build a valid identity number (odd ``seq`` → male) for tests and demo data."""
    if len(region) != 6 or not region.isdigit() or not 0 <= seq <= 999:
        raise ValueError("region must be 6 digits and seq 0..999")
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + _id_check_char(first17)


# --- Vehicle identification number — 车辆识别代号 (GB 16735-2019, ISO 3779) -----------------

_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_VALUES = {
    **{d: int(d) for d in _DIGITS},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
# R-E4: I, O and Q are never used; name the letter and the digit it was probably meant as.
_VIN_LOOKALIKES = {"O": "0", "I": "1", "Q": "0"}
_VIN_CHECK_POSITION = 9


def _vin_weighted_check(vin17: str) -> str:
    """Check character of a 17-character VIN whose characters are all legal."""
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin17, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_check_digit(vin17: str) -> str:
    """Check digit a 17-character VIN should carry at position 9 (the 9th is ignored)."""
    vin = vin17.upper()
    if len(vin) != 17 or any(c not in _VIN_VALUES for c in vin):
        raise ValueError("need 17 VIN characters (digits and capitals except I, O, Q)")
    return _vin_weighted_check(vin)


def check_vin(value: str, field: str = "vin", *, verify_check_digit: bool = True) -> str:
    """Validate a VIN and return it canonical; errors name the first bad position (R-E4)."""
    vin = _compact(value).upper()
    if len(vin) != 17:
        raise FieldError("vin_length", field, length=len(vin), expected=17)
    for pos, char in enumerate(vin, start=1):
        if char in _VIN_LOOKALIKES:
            raise FieldError(
                f"vin_letter_{char.lower()}",
                field,
                position=pos,
                char=char,
                suggestion=_VIN_LOOKALIKES[char],
            )
        if char not in _VIN_VALUES:
            raise FieldError("vin_char", field, position=pos, char=char)
    expected = _vin_weighted_check(vin)
    found = vin[_VIN_CHECK_POSITION - 1]
    if verify_check_digit and found != expected:
        # R-E4: the check digit only says that some character is wrong, not which one;
        # proposing a digit would make a wrong VIN pass. No expected digit is given out.
        raise FieldError("vin_checksum", field, position=_VIN_CHECK_POSITION)
    return vin


def suggest_vin_repairs(value: str) -> tuple[str, list[str]]:
    """Replace the look-alike letters O, I, Q by 0, 1, 0 (OCR slips), with one note per change."""
    vin = _compact(value).upper()
    notes = [
        f"position {pos}: {char} -> {_VIN_LOOKALIKES[char]}"
        for pos, char in enumerate(vin, start=1)
        if char in _VIN_LOOKALIKES
    ]
    repaired = "".join(_VIN_LOOKALIKES.get(c, c) for c in vin)
    return repaired, notes


def make_vin(without_check: str) -> str:
    """Insert the right check digit at position 9 of 16 VIN characters, for tests and demos."""
    chars = without_check.upper()
    if len(chars) != 16:
        raise ValueError("need the 16 VIN characters other than the check digit")
    draft = chars[:8] + "0" + chars[8:]
    return chars[:8] + vin_check_digit(draft) + chars[8:]


# --- Motor vehicle plate — 机动车号牌 (GA 36-2018) -----------------------------------------

_PROVINCES = frozenset("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O
_PLATE_ALNUM = _DIGITS + _PLATE_LETTERS
# Suffix replacing the last serial character: trailer, learner, police, Hong Kong, Macao,
# consulate, test, oversize.
_PLATE_SUFFIXES = "挂学警港澳领试超"
# Small new-energy plates: D/F originally, A B C E (battery) and G H J K (other) since 2021.
_SMALL_NEV_LETTERS = "DABCEFGHJK"
_LARGE_NEV_LETTERS = "DF"
_PLATE_SEPARATORS = "·•‧・.-_"
_EMBASSY_PLATE = re.compile(r"使\d{6}|\d{6}使", re.ASCII)


def _plate_serial_ok(serial: str) -> bool:
    """Serial after province and issuing letter: ordinary, suffixed or new-energy."""
    if len(serial) == 5:
        body = serial[:4] if serial[4] in _PLATE_SUFFIXES else serial
        return all(c in _PLATE_ALNUM for c in body)
    if len(serial) != 6:
        return False
    small_nev = (
        serial[0] in _SMALL_NEV_LETTERS and serial[1] in _PLATE_ALNUM and serial[2:].isdigit()
    )
    large_nev = serial[:5].isdigit() and serial[5] in _LARGE_NEV_LETTERS
    return small_nev or large_nev


def check_plate(value: str, field: str = "plate_number") -> str:
    """Validate a Chinese plate and return it without separators: '云S·12345' → '云S12345'."""
    plate = _compact(value, _PLATE_SEPARATORS).upper()
    if _EMBASSY_PLATE.fullmatch(plate):
        return plate
    if not plate or "使" in plate:
        raise FieldError("plate_format", field)
    if plate[0] not in _PROVINCES:
        raise FieldError("plate_province", field, char=plate[0])
    if len(plate) < 2 or plate[1] not in _PLATE_LETTERS:
        raise FieldError("plate_letter", field, position=2, char=plate[1:2])
    if not _plate_serial_ok(plate[2:]):
        raise FieldError("plate_format", field)
    return plate


# --- Unified social credit code — 统一社会信用代码 (GB 32100-2015, GB 11714-1997) ----------

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Registration authority (position 1) → its institution types (position 2): GB 32100-2015
# table plus the codes assigned since (justice, culture, tourism, religion, unions, army,
# agriculture).
_USCC_TYPES = {
    "1": "1239", "2": "19", "3": "123459", "4": "19", "5": "1239", "6": "129",
    "7": "129", "8": "19", "9": "123", "A": "19", "N": "1239", "Y": "1",
}  # fmt: skip


def _org_check_char(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _uscc_check_char(first17: str) -> str:
    """GB 32100 MOD 31 check character over the first 17 characters."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[-total % 31]


def _check_uscc_parts(code: str, field: str) -> None:
    """Authority/type pair and the numeric region code must be plausible."""
    if code[1] not in _USCC_TYPES.get(code[0], ""):
        raise FieldError("uscc_type", field, authority=code[0], type=code[1])
    for pos in range(3, 9):
        if code[pos - 1] not in _DIGITS:
            raise FieldError("uscc_region", field, position=pos, char=code[pos - 1])


def check_uscc(value: str, field: str = "uscc") -> str:
    """Validate an 18-character unified social credit code of a company or institution."""
    code = _compact(value, "-").upper()
    if len(code) != 18:
        raise FieldError("uscc_length", field, length=len(code), expected=18)
    for pos, char in enumerate(code, start=1):
        if char not in _USCC_ALPHABET:
            raise FieldError("uscc_char", field, position=pos, char=char)
    _check_uscc_parts(code, field)
    org_expected = _org_check_char(code[8:16])
    if code[16] != org_expected:
        raise FieldError(
            "uscc_org_checksum", field, position=17, expected=org_expected, found=code[16]
        )
    expected = _uscc_check_char(code[:17])
    if code[17] != expected:
        raise FieldError("uscc_checksum", field, position=18, expected=expected, found=code[17])
    return code


def make_uscc(org_body: str, *, kind: str = "91", region: str = "530000") -> str:
    """Build a valid credit code (default: a Yunnan enterprise) for tests and demo data."""
    if len(org_body) != 8 or any(c not in _USCC_ALPHABET for c in org_body):
        raise ValueError("org_body must be 8 characters of the credit-code alphabet")
    if len(kind) != 2 or len(region) != 6 or not region.isdigit():
        raise ValueError("kind must be 2 characters and region 6 digits")
    first17 = kind + region + org_body + _org_check_char(org_body)
    return first17 + _uscc_check_char(first17)


# --- Small form fields ---------------------------------------------------------------------

_CN_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})", re.ASCII)
# Myanmar mobiles: 9 then 7–11 digits after +95 (old 8-digit to the longest 12-digit form).
_MM_MOBILE = re.compile(r"(?:\+95|0095|0)(9\d{7,11})", re.ASCII)
_NAME_MAX = 50
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def check_phone(value: str, field: str = "phone") -> str:
    """Validate a mainland or Myanmar mobile; mainland → 11 digits, Myanmar → '+959…'."""
    phone = _compact(value, "-()")
    if match := _CN_MOBILE.fullmatch(phone):
        return match.group(1)
    if match := _MM_MOBILE.fullmatch(phone):
        return "+95" + match.group(1)
    raise FieldError("phone_format", field)


def _name_char_ok(char: str) -> bool:
    """Letters, marks, spaces and punctuation pass; digits and control characters do not."""
    category = unicodedata.category(char)
    if category == "Cf":
        return char in "\u200c\u200d"  # joiners are part of Myanmar and Indic spelling
    return category != "Nd" and category[0] != "C"


def check_name(value: str, field: str = "name") -> str:
    """Validate a person's or unit's name (1–50 characters, no digits or control characters)."""
    name = " ".join(unicodedata.normalize("NFKC", value).split())
    if not 1 <= len(name) <= _NAME_MAX:
        raise FieldError("name_length", field, length=len(name), min=1, max=_NAME_MAX)
    for pos, char in enumerate(name, start=1):
        if not _name_char_ok(char):
            raise FieldError("name_chars", field, position=pos)
    return name


def parse_date(value: str, field: str = "date") -> date:
    """Parse a strict ISO date 'YYYY-MM-DD', the one format every door sends."""
    text = value.strip()
    if not _ISO_DATE.fullmatch(text):
        raise FieldError("date_format", field, expected="YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError("date_invalid", field) from None


def check_reason(value: object, field: str = "reason", max_length: int = 500) -> str:
    """A staff member's stated reason (a lift, a refusal, a referral): required, trimmed,
    at most ``max_length`` characters — the audit trail keeps it."""
    if not isinstance(value, str) or not value.strip():
        raise FieldError("required", field)
    if len(value) > max_length:
        raise FieldError("length", field, max=max_length)
    return value.strip()


_Row = TypeVar("_Row")
_Member = TypeVar("_Member", bound=Enum)


def choice(kind: type[_Member], value: object, field: str) -> _Member:
    """``value`` as a member of the enum ``kind``, else ``choice`` on ``field`` with the
    members listed."""
    try:
        return kind(str(value))
    except ValueError as exc:
        raise FieldError("choice", field, choices=", ".join(m.value for m in kind)) from exc


def found(row: _Row | None, code: str) -> _Row:
    """The row a lookup by id returned, else :class:`NotFound` ``code`` on ``id`` (the same
    answer whether it does not exist or is someone else's)."""
    if row is None:
        raise NotFound(code, "id")
    return row
