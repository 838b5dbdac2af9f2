"""Ids from outside, one parser for every door: path segments and JSON body fields.

An id is ASCII digits only (``str.isdigit`` also takes Arabic-Indic and other Unicode digits,
which ``int()`` reads: ``/documents/%D9%A3`` would be document 3), from 1 to 2⁶³−1. An id
beyond its column (int4 on PostgreSQL for most tables) names nothing: the path answers 404
and the body a 422 naming the field, never asyncpg's overflow as a 500.
"""

from __future__ import annotations

from borderpass.core.errors import FieldError, NotFound

MAX_ID = 2**63 - 1  # bigint columns (notifications, ledger)
INT_MAX = 2**31 - 1  # int columns: every other primary key
_MAX_DIGITS = len(str(MAX_ID))


def id_from_text(raw: str, limit: int = INT_MAX) -> int | None:
    """The id written in ``raw`` (ASCII digits, 1 … ``limit``), or None."""
    if not raw or len(raw) > _MAX_DIGITS or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 1 <= value <= min(limit, MAX_ID) else None


def path_id(raw: str, field: str = "id", limit: int = INT_MAX) -> int:
    """An id from a URL path; anything else is a 404 (there is no such thing)."""
    value = id_from_text(raw, limit)
    if value is None:
        raise NotFound("not_found", field)
    return value


def body_id(value: object, field: str, missing: str = "not_found", limit: int = INT_MAX) -> int:
    """An id from a JSON field: an integer (not a bool), else 422 ``type_int``; out of the
    column's range it names nothing, the same 422 ``missing`` as an unknown id."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise FieldError("type_int", field)
    if not 1 <= value <= min(limit, MAX_ID):
        raise FieldError(missing, field)
    return value
