"""What every parser shares: the field result type and a page of lines indexed by label."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from borderpass.ocr import labels as labels_mod
from borderpass.ocr import layout, normalise
from borderpass.ocr.layout import Line


@dataclass
class FieldReading:
    """One field read from a document: canonical value (or None), confidence, warning codes;
    ``placed`` is False for a value found by its shape alone, away from its label;
    ``height`` is the height in pixels of the print it was read from (0 when unknown; the
    reader brings it back to the photo's own pixels for enlarged or flattened readings)."""

    value: str | None
    confidence: float = 0.0
    warnings: list[str] = field(default_factory=list)
    placed: bool = True
    height: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "value": self.value,
            "confidence": round(self.confidence, 3),
            "warnings": list(self.warnings),
        }

    def warn(self, code: str) -> FieldReading:
        """Add a warning code once; returns self for chaining."""
        if code not in self.warnings:
            self.warnings.append(code)
        return self


def missing() -> FieldReading:
    """A field whose label and value were not found on the page."""
    return FieldReading(None, 0.0, ["not_found"])


def reading(value: str | None, lines: Sequence[Line], *warnings: str) -> FieldReading:
    """A field read from ``lines``: confidence is their mean recognition score."""
    if value is None or value == "":
        return missing()
    height = sum(line.h for line in lines) / len(lines) if lines else 0.0
    return FieldReading(value, layout.mean_score(lines), list(warnings), height=height)


def unplaced(value: str | None, lines: Sequence[Line], *warnings: str) -> FieldReading:
    """A field found by its shape alone (its label unread): trusted less (R-P5)."""
    found = reading(value, lines, *warnings)
    found.placed = found.value is None
    return found


def dated(
    text: str, used: Sequence[Line], parse: Callable[[str], str | None] = normalise.parse_date
) -> FieldReading:
    """A date field: canonical if it parses, else the printed text flagged 'date_format'."""
    value = parse(text)
    if value is None and text:
        return reading(text, used, "date_format")
    return reading(value, used)


class Page:
    """The lines of one document with its printed labels located once."""

    def __init__(self, lines: Sequence[Line], labels: Mapping[str, Sequence[str]]) -> None:
        self.lines = list(lines)
        self.keys = list(labels)
        self.found = labels_mod.locate(self.lines, labels)
        self.stops = [line for line, _ in self.found.values()]

    def order_score(self) -> float:
        """Agreement (-1…1) of the labels' positions with their printed reading order.

        Labels are declared in reading order; on an upright page each later label is below
        an earlier one or right of it on the same row, on an upside-down page the reverse.
        """
        placed = [self.found[key][0] for key in self.keys if key in self.found]
        agree = 0
        pairs = 0
        for i, early in enumerate(placed):
            for late in placed[i + 1 :]:
                if layout.same_row(early, late, 0.5):
                    sign = late.x0 - early.x0
                else:
                    sign = late.cy - early.cy
                agree += 1 if sign > 0 else -1
                pairs += 1
        return agree / pairs if pairs else 0.0

    def label(self, key: str) -> tuple[Line, str] | None:
        """The line carrying label ``key`` and any value text after it on that line."""
        return self.found.get(key)

    def values(self) -> list[Line]:
        """Lines that are not labels."""
        return [line for line in self.lines if line not in self.stops]

    def right(self, key: str) -> tuple[str, list[Line]]:
        """Value text on the label's row (same line after the label, then lines to the right)."""
        hit = self.found.get(key)
        if hit is None:
            return "", []
        line, rest = hit
        parts = layout.right_of(line, self.lines, self.stops)
        used = ([line] if rest else []) + parts
        return rest + layout.join(parts), used

    def below(self, key: str) -> tuple[str, list[Line]]:
        """Value text printed under the label (label-above-value layouts)."""
        hit = self.found.get(key)
        if hit is None:
            return "", []
        line, rest = hit
        if rest:
            return rest, [line]
        under = layout.below(line, self.lines, self.stops)
        return (under.compact, [under]) if under else ("", [])

    def block(self, key: str) -> tuple[str, list[Line]]:
        """A value that may wrap onto following rows (addresses), joined without breaks."""
        hit = self.found.get(key)
        if hit is None:
            return "", []
        line, rest = hit
        parts = layout.right_of(line, self.lines, self.stops)
        if parts:
            first, x_start = parts[0], parts[0].x0
        elif rest:
            # The value shares the label's line: it starts where the label's characters end.
            share = 1 - len(rest) / max(len(line.compact), 1)
            first, x_start = line, line.x0 + share * (line.x1 - line.x0)
        else:
            return "", []
        more = layout.continuation(first, self.lines, self.stops, x_start)[1:]
        used = ([line] if rest else []) + parts + more
        return rest + layout.join(parts) + layout.join(more), used

    def orphans(self, under: bool = False, blocks: Sequence[str] = ("address",)) -> list[Line]:
        """Value lines no found label owns (their own label was misread), in reading order."""
        owned = {id(line) for line in self.stops}
        for key, (line, _) in self.found.items():
            # Owned means tightly following the label: a lone value further along the row
            # may be the value of a neighbouring label that went unread.
            parts = layout.right_of(line, self.lines, self.stops, gap=1.5)
            if parts and key in blocks:
                parts += layout.continuation(parts[0], self.lines, self.stops)
            below = layout.below(line, self.lines, self.stops) if under else None
            owned.update(id(part) for part in [*parts, *([below] if below else [])])
        return [
            line
            for line in self.lines
            if id(line) not in owned and not layout.is_caption(line.text)
        ]


def adopt(
    fields: dict[str, FieldReading],
    keys: Sequence[str],
    orphans: Sequence[Line],
    accept: Callable[[str], str | None],
) -> None:
    """Give fields whose label went unread the unowned values of their type, in order.

    Only when the count matches exactly: then the printed order decides, and the field is
    flagged 'label_not_found' so a person looks at it.
    """
    wanted = [key for key in keys if fields[key].value is None]
    offered = [(line, accept(line.compact)) for line in orphans]
    offered = [(line, value) for line, value in offered if value]
    if not wanted or len(offered) != len(wanted):
        return
    for key, (line, value) in zip(wanted, offered, strict=True):
        fields[key] = unplaced(value, [line], "label_not_found")
