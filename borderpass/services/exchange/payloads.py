"""What each outbound event carries: the least an agency needs, personal data masked.

No identity, licence or permit number, no name in clear, no phone: a declaration and a
crossing name the vehicle by its plate (the agencies check vehicles by plate) and point at
our filing, declaration and crossing ids; a blacklist entry carries the masked label kept
on it (R-U7) and never its blind-index key (R-P7). See docs/exchange.md for each type's fields.
"""

from __future__ import annotations

from typing import Any

from borderpass.models import BlacklistEntry, Declaration, Filing
from borderpass.models.gate import Crossing


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def declaration(item: Declaration, filing: Filing) -> tuple[str, dict[str, Any]]:
    """Subject and data of declaration.created / .cancelled."""
    return f"declaration/{item.id}", {
        "declaration_id": item.id,
        "filing_id": filing.id,
        "plate": filing.plate_number or "",
        "direction": item.direction.value,
        "port": item.port,
        "planned_at": _time(item.planned_at),
        "status": item.status.value,
    }


def crossing(row: Crossing) -> tuple[str, dict[str, Any]]:
    """Subject and data of crossing.recorded."""
    return f"crossing/{row.id}", {
        "crossing_id": row.id,
        "declaration_id": row.declaration_id,
        "filing_id": row.filing_id,
        "direction": row.direction,
        "kind": row.kind,
        "lane": row.lane_code,
        "port": row.port,
        "plate": row.plate,
        "at": _time(row.at),
    }


def blacklist(entry: BlacklistEntry, source: str = "borderpass") -> tuple[str, dict[str, Any]]:
    """Subject and data of blacklist.listed / .lifted (the subject masked, no key)."""
    return f"blacklist/{entry.id}", {
        "entry_id": entry.id,
        "subject_kind": entry.subject_kind.value,
        "subject": entry.subject_label,
        "reason": entry.reason,
        "filing_id": entry.filing_id,  # type: ignore[attr-defined]
        "source": source,
        "listed_at": _time(entry.created_at),
        "lifted_at": _time(entry.lifted_at),
    }
