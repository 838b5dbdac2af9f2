"""A filing with its drivers and document slots, in one round trip (the busiest read).

The drivers and slots come back as JSON aggregates beside the filing's own columns, so a
filing read costs one query instead of three, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from borderpass.core import rows
from borderpass.models import Filing, FilingDocument, FilingDriver


@dataclass(frozen=True)
class Parts:
    """A filing's drivers in order (id, user_id, name, phone, is_owner, id_key, sealed) and
    its document slots (kind → document id)."""

    drivers: list[dict[str, Any]]
    documents: dict[str, int]

    def has_driver(self, user_id: int) -> bool:
        """True when the user drives the vehicle of this filing."""
        return any(d["user_id"] == user_id for d in self.drivers)

    def driver(self, driver_id: int) -> dict[str, Any] | None:
        """The driver with this id, if on the filing."""
        return next((d for d in self.drivers if d["id"] == driver_id), None)


_DRIVER = "'id', d.id, 'user_id', d.user_id, 'name', d.name, 'phone', d.phone, " \
          "'is_owner', d.is_owner, 'id_key', d.id_key"
_DRIVERS = FilingDriver._meta.db_table
_SLOTS = FilingDocument._meta.db_table
_SQL = {
    "postgres": (
        f"SELECT f.*, (SELECT json_agg(json_build_object({_DRIVER}, 'sealed', d.sealed)"
        f" ORDER BY d.position, d.id) FROM {_DRIVERS} d WHERE d.filing_id = {{}})"
        f" AS parts_drivers, (SELECT json_object_agg(s.kind, s.document_id) FROM {_SLOTS} s"
        f" WHERE s.filing_id = {{}}) AS parts_documents"
        f' FROM "{Filing._meta.db_table}" f WHERE f.id = {{}}'),
    "sqlite": (
        f"SELECT f.*, (SELECT json_group_array(json_object({_DRIVER}, 'sealed', json(d.sealed)))"
        f" FROM (SELECT * FROM {_DRIVERS} WHERE filing_id = {{}} ORDER BY position, id) d)"
        f" AS parts_drivers, (SELECT json_group_object(s.kind, s.document_id) FROM {_SLOTS} s"
        f" WHERE s.filing_id = {{}}) AS parts_documents"
        f' FROM "{Filing._meta.db_table}" f WHERE f.id = {{}}'),
}


def _json(value: Any, empty: Any) -> Any:
    if value is None:
        return empty
    return json.loads(value) if isinstance(value, str | bytes) else value


async def load(filing_id: int) -> tuple[Filing, Parts] | None:
    """The filing and its parts, or None when there is no such filing."""
    dialect = Filing._meta.db.capabilities.dialect
    found = await rows.values(Filing, _SQL[dialect], filing_id, filing_id, filing_id)
    if not found:
        return None
    row = found[0]
    drivers = _json(row.pop("parts_drivers"), [])
    documents = _json(row.pop("parts_documents"), {})
    for d in drivers:
        d["is_owner"] = bool(d["is_owner"])  # SQLite's JSON has 0 and 1
    return Filing._init_from_db(**row), Parts(drivers, documents)
