"""Masking of personal data for responses and logs (R-U7)."""

from __future__ import annotations


def mask_number(value: str | None, head: int = 3, tail: int = 4) -> str | None:
    """Keep a few leading and trailing characters: 530***********123X."""
    if not value:
        return value
    if len(value) <= head + tail:
        return value[:1] + "*" * (len(value) - 1)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def mask_name(value: str | None) -> str | None:
    """Keep the first character of a name: 张*, 张**; Latin names keep the first letter."""
    if not value:
        return value
    return value[0] + "*" * max(1, len(value) - 1)


def mask_phone(value: str | None) -> str | None:
    """Keep the first 3 and last 2 digits of a phone number."""
    return mask_number(value, 3, 2)
