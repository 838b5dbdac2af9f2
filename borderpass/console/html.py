"""A tiny HTML builder that escapes by construction: only ``Safe`` text passes unescaped."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

_ATTR_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
VOID = frozenset({"br", "hr", "img", "input", "link", "meta"})
Child = object  # str, Safe, numbers, None, or iterables of those


class Safe(str):
    """Text that is already HTML (built by :func:`h`); everything else is escaped."""

    __slots__ = ()


def esc(value: object) -> Safe:
    """Escape a value for HTML text or a quoted attribute (Safe text is kept as is)."""
    if isinstance(value, Safe):
        return value
    return Safe(html.escape("" if value is None else str(value), quote=True))


def join(*children: Child) -> Safe:
    """Concatenate children, escaping every one that is not Safe; None is skipped."""
    parts: list[str] = []
    for child in children:
        if child is None or child is False:
            continue
        if isinstance(child, str | int | float):
            parts.append(esc(child))
        elif isinstance(child, Iterable):
            parts.append(join(*child))
        else:
            parts.append(esc(child))
    return Safe("".join(parts))


def attrs(values: Mapping[str, object] | None) -> str:
    """Render attributes: True → bare name, None/False → left out, else escaped value."""
    out = []
    for name, value in (values or {}).items():
        name = name.rstrip("_").replace("_", "-")  # class_ → class, data_refresh → data-refresh
        if not _ATTR_NAME.match(name):
            raise ValueError(f"bad attribute name {name!r}")
        if value is None or value is False:
            continue
        out.append(f" {name}" if value is True else f' {name}="{esc(value)}"')
    return "".join(out)


def h(tag: str, attributes: Mapping[str, object] | None = None, *children: Child) -> Safe:
    """One element; its text children are escaped."""
    if not _ATTR_NAME.match(tag):
        raise ValueError(f"bad tag {tag!r}")
    opening = f"<{tag}{attrs(attributes)}>"
    if tag in VOID:
        return Safe(opening)
    return Safe(f"{opening}{join(*children)}</{tag}>")
