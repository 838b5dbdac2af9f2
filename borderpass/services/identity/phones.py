"""Phones sealed and blind-indexed like identity numbers (R-U7), wherever they are stored.

A phone lives in the row's ``sealed`` map (AES-GCM, the column name as context) and its
blind index in a ``…phone_key`` column; the old clear column is emptied. Rows written
before sealing keep their clear phone until ``borderpass keys reseal`` moves it, so both
are read here.
"""

from __future__ import annotations

from collections.abc import Mapping

from borderpass.services.ports import Deps

INDEX = "phone"  # one blind-index context for every table: lookups cross tables


def seal(deps: Deps, phone: str, context: str) -> tuple[str, str]:
    """The sealed phone and its blind index."""
    return deps.cipher.encrypt(phone, context), index(deps, phone)


def index(deps: Deps, phone: str) -> str:
    """The blind index of a phone, for exact lookups without the clear value."""
    return deps.cipher.blind_index(phone, INDEX)


def read(deps: Deps, sealed: Mapping[str, str], name: str, context: str,
         clear: str | None = None) -> str | None:
    """The phone stored as ``sealed[name]``, else the legacy clear value, else None."""
    token = sealed.get(name)
    if token:
        return deps.cipher.decrypt(token, context)
    return clear or None
